/**
 * The page's script: runs the demo on the CPU backend, or on WebGPU with
 * `?backend=webgpu` (navigator.gpu), and shows the numbers; when the page
 * was opened by the test (`?report=1`), also posts them to the server that
 * served it.
 */
import { createWebGpuBackend } from '@optnet/gpu';
import { setBackend, usingWasmFma } from '@optnet/tensor';
import { runDemo } from './demo.js';
import { report, reportFailure } from './report.js';

const out = document.getElementById('out')!;
const params = new URLSearchParams(location.search);
const webgpu = params.get('backend') === 'webgpu';

async function main(): Promise<void> {
  if (webgpu) setBackend(await createWebGpuBackend());
  const t0 = performance.now();
  const r = await runDemo();
  const seconds = (performance.now() - t0) / 1000;
  const threads = typeof SharedArrayBuffer !== 'undefined';
  out.textContent = [
    `loss ${r.losses[0].toFixed(4)} → ${r.losses[r.losses.length - 1].toFixed(4)} in ${r.losses.length} Adam steps`,
    `QPs: ${r.status.join(', ')}`,
    `z[0] = ${r.z
      .slice(0, 10)
      .map((v) => v.toFixed(4))
      .join(', ')}`,
    `${seconds.toFixed(2)} s on ${webgpu ? 'WebGPU' : 'the CPU backend'}; SharedArrayBuffer ${threads ? 'available' : 'not available (no cross-origin isolation)'}`,
  ].join('\n');
  // Whether the float32 kernels ran with fused multiply-add (relaxed
  // SIMD): the test's Node reference runs the same way.
  const fma = usingWasmFma();
  await report({ result: r, sharedMemory: threads, webgpu, fma });
}

main().catch((e: unknown) => reportFailure(e, out));
