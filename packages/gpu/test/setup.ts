/**
 * The backend the tests run on, opened once per test file. Without an
 * adapter, a developer's machine skips the file with a message; under CI
 * (the CI variable set) the file fails instead: it never skips silently.
 */
import { test } from 'uvu';
import { createWebGpuBackend, type WebGpuBackend } from '@optnet/gpu';

/**
 * The WebGPU backend, or null after registering the skip (or, under CI,
 * a failing test) that says why there is none.
 */
export async function gpuForTests(file: string): Promise<WebGpuBackend | null> {
  try {
    return await createWebGpuBackend();
  } catch (e) {
    const why = (e as Error).message;
    if (process.env.CI) {
      test(`${file}: a WebGPU adapter (required under CI)`, () => {
        throw new Error(`no WebGPU backend under CI: ${why}`);
      });
    } else {
      console.log(`${file}: skipped, no WebGPU adapter here (${why})`);
    }
    return null;
  }
}
