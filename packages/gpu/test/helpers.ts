/**
 * Helpers of the gpu tests: run the same code on the CPU backend and on
 * the GPU (same seeds, so the same inputs), and compare what it returns.
 */
import * as T from '@optnet/tensor';

/** `make()` with `be` as the current backend. */
export function on<R>(be: T.Backend, make: () => R): R {
  const prev = T.getBackend();
  T.setBackend(be);
  try {
    return make();
  } finally {
    T.setBackend(prev);
  }
}

/** `await make()` with `be` as the current backend. */
export async function onAsync<R>(
  be: T.Backend,
  make: () => Promise<R>,
): Promise<R> {
  const prev = T.getBackend();
  T.setBackend(be);
  try {
    return await make();
  } finally {
    T.setBackend(prev);
  }
}

/** max |a − b| / max(max |b|, floor): one number per comparison. */
export function relErr(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  floor = 1,
): number {
  if (a.length !== b.length)
    throw new Error(`lengths ${a.length} vs ${b.length}`);
  let num = 0;
  let den = floor;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    num = Number.isNaN(d) ? Infinity : Math.max(num, d);
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}

/**
 * Run `run` on both backends and return the largest relative error of its
 * outputs (float32 on both, so only the kernels' rounding differs).
 */
export async function cpuVsGpu(
  gpu: T.Backend,
  run: () => T.Tensor[],
): Promise<number> {
  const cpu = new T.CpuBackend();
  const want = await Promise.all(on(cpu, run).map((t) => t.data()));
  const gotT = on(gpu, run);
  for (const t of gotT)
    if (t.backend !== gpu) throw new Error('a result left the GPU');
  const got = await Promise.all(gotT.map((t) => t.data()));
  return Math.max(...got.map((g, i) => relErr(g, want[i])));
}
