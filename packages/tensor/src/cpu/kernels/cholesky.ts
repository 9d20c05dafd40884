/**
 * The CPU backend's cholesky: the WebAssembly SIMD kernel where it runs,
 * else the reference kernel of ops/cholesky.ts. Same batch items and
 * errors; results differ from the reference's in the last bits only.
 */
import { assertFinite } from '../../ops/finite.js';
import {
  checkFinite,
  cholesky,
  notPositiveDefinite,
} from '../../ops/cholesky.js';
import type { CpuBatch, CpuTensor } from '../../op.js';
import type { NoAttrs } from '../../ops/unary.js';
import {
  inChunks,
  wasmCostScale,
  wasmKernels,
  type WasmKernels,
} from '../wasm/runtime.js';

/**
 * Items [start, end) with the WebAssembly kernel (cpu/wasm/wat-cholesky.ts:
 * cholBatch): copied in (f32 widened), checked finite, factored in place, the
 * upper triangle zeroed, copied out. A float64 factor made in one piece
 * stays behind as the output's mirror, for the solves that follow. False
 * if its memory cannot be had (then the JS kernel runs).
 */
function wasmFactor(
  k: WasmKernels,
  a: CpuTensor,
  dst: Float64Array | Float32Array,
  n: number,
  start: number,
  end: number,
): boolean {
  const nn = n * n;
  const src = a.data as Float64Array | Float32Array;
  return inChunks(k, nn * 8, start, end, (s, e, at) => {
    const mem = k.f64();
    const base = at >> 3;
    mem.set(src.subarray(s * nn, e * nn), base);
    if (k.fn.finite(at, (e - s) * nn) === 0) assertFinite('cholesky', 'A', a);
    const bad = k.fn.cholBatch(at, n, e - s);
    if (bad >= 0) {
      const d = mem[0];
      const j = new Int32Array(mem.buffer, 8, 1)[0];
      checkFinite('cholesky', 'A', a); // a NaN anywhere in A is the error to report
      throw notPositiveDefinite(d, s + bad, j);
    }
    dst.set(mem.subarray(base, base + (e - s) * nn), s * nn);
    if (dst instanceof Float64Array && s === 0 && e * nn === dst.length)
      k.remember(dst, at);
  });
}

const reference = cholesky.cpuBatch!;

/**
 * cholesky on batch items [start, end): WebAssembly when it can have its
 * memory, else the reference kernel.
 */
export const choleskyFast: CpuBatch<NoAttrs> = {
  items: reference.items,
  cost: (inputs, outputs, attrs) =>
    wasmCostScale(false) * reference.cost!(inputs, outputs, attrs),
  run: (inputs, outputs, attrs, start, end) => {
    const [a] = inputs;
    const n = a.shape[a.shape.length - 1];
    const L = outputs[0].data as Float64Array | Float32Array;
    const k = wasmKernels();
    if (k !== null && wasmFactor(k, a, L, n, start, end)) return;
    reference.run(inputs, outputs, attrs, start, end);
  },
};
