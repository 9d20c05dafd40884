/**
 * The CPU backend's regularizedCholesky: WebAssembly where it runs (the
 * plain cholesky's `cholBatch` on the items; an item that fails is retried
 * alone, each try a fresh copy, `chol`, `zeroUpper`), else the reference
 * kernel of ops/regularized-cholesky.ts. Same levels; factors differ from
 * the reference's in the last bits only.
 */
import type { CpuBatch, CpuTensor } from '../../op.js';
import {
  load,
  mapsOf,
  regularizedCholesky,
  retry,
  type RegularizedCholeskyAttrs,
} from '../../ops/regularized-cholesky.js';
import {
  inChunks,
  mapStride,
  wasmCostScale,
  wasmKernels,
  type WasmKernels,
} from '../wasm/runtime.js';

type Data = Float64Array | Float32Array;

/**
 * Items [start, end) in WebAssembly: a chunk is copied in and factored by
 * cholBatch; from an item that fails, that item is retried alone (each
 * try a fresh copy, `chol`, `zeroUpper`) and cholBatch goes on after it.
 * False when no scratch memory could be had (then the JS kernel runs).
 */
function runWasm(
  wk: WasmKernels,
  a: CpuTensor,
  unit: CpuTensor,
  l: CpuTensor,
  level: CpuTensor,
  boosts: readonly number[],
  start: number,
  end: number,
): boolean {
  const n = l.shape[l.shape.length - 1];
  const nn = n * n;
  const maps = mapsOf(a, unit, l);
  const L = l.data as Data;
  return inChunks(wk, nn * 8, start, end, (s, e, at) => {
    const mem = wk.f64();
    const base = at >> 3;
    // The items whole (cholBatch reads the lower triangles only and zeroes
    // the upper ones of its factors), one copy where they are consecutive,
    // then each diagonal shifted: load's values, 2-3x faster than its
    // element loop.
    const A = a.data;
    if (mapStride(maps.a, s, e, 1) === 1)
      mem.set(A.subarray(maps.a[s] * nn, (maps.a[s] + e - s) * nn), base);
    else
      for (let t = s; t < e; t++)
        mem.set(
          A.subarray(maps.a[t] * nn, (maps.a[t] + 1) * nn),
          base + (t - s) * nn,
        );
    for (let t = s; t < e; t++) {
      const shift = unit.data[maps.u[t]] * boosts[0];
      const o = base + (t - s) * nn;
      for (let i = 0; i < n; i++) mem[o + i * n + i] += shift;
    }
    let t = s;
    while (t < e) {
      const bad = wk.fn.cholBatch(at + (t - s) * nn * 8, n, e - t);
      const stop = bad < 0 ? e : t + bad;
      for (; t < stop; t++) level.data[t] = 0;
      if (bad < 0) break;
      const o = base + (t - s) * nn;
      const p = at + (t - s) * nn * 8;
      const u = unit.data[maps.u[t]];
      const load1 = (shift: number) =>
        load(a.data, maps.a[t], mem, o, n, shift);
      const factor = () => {
        const j = wk.fn.chol(p, n);
        if (j < 0) wk.fn.zeroUpper(p, n);
        return j;
      };
      level.data[t] = retry(mem, o, n, load1, u, boosts, 0, factor);
      t++;
    }
    L.set(mem.subarray(base, base + (e - s) * nn), s * nn);
    // A float64 factor made in one piece stays as its mirror, for solves.
    if (L instanceof Float64Array && (e - s) * nn === L.length)
      wk.remember(L, at);
  });
}

const reference = regularizedCholesky.cpuBatch!;

/**
 * regularizedCholesky on batch items [start, end): WebAssembly when it can
 * have its memory, else the reference kernel.
 */
export const regularizedCholeskyFast: CpuBatch<RegularizedCholeskyAttrs> = {
  items: reference.items,
  cost: (inputs, outputs, attrs) =>
    wasmCostScale(false) * reference.cost!(inputs, outputs, attrs),
  run: (inputs, outputs, attrs, start, end) => {
    const [a, unit] = inputs;
    const [l, level] = outputs;
    const wk = wasmKernels();
    if (wk !== null && runWasm(wk, a, unit, l, level, attrs.boosts, start, end))
      return;
    reference.run(inputs, outputs, attrs, start, end);
  },
};
