/**
 * The CPU backend's triangularSolve: the WebAssembly SIMD kernels where
 * they run, else the reference kernel of ops/triangular-solve.ts. Same
 * batch items and errors; results differ in the last bits only.
 */
import type { CpuBatch, CpuTensor } from '../../op.js';
import {
  checkInputs,
  layoutOf,
  triangularSolve,
  type TriangularSolveAttrs,
} from '../../ops/triangular-solve.js';
import { isKnownFinite, markFinite } from '../known-finite.js';
import {
  inChunks,
  mapStride,
  operand,
  wasmCostScale,
  wasmKernels,
  type WasmKernels,
} from '../wasm/runtime.js';

/**
 * Output items [start, end) with the WebAssembly kernels
 * (cpu/wasm/wat-triangular-solve.ts: trsBatch, which runs trsvDot, trsvAxpy for one
 * column, trsm for more).
 * Per chunk of output items: L from its mirror, or its items copied (see
 * cpu/wasm/runtime.ts: operand), checked finite unless known; the items of B
 * copied in (f32 widened) and checked finite, solved in place and copied
 * out. False if its memory cannot be had (then the JS kernel runs).
 */
function wasmSolve(
  wk: WasmKernels,
  a: CpuTensor,
  b: CpuTensor,
  X: Float64Array | Float32Array,
  n: number,
  k: number,
  am: Int32Array,
  bm: Int32Array,
  attrs: TriangularSolveAttrs,
  start: number,
  end: number,
): boolean {
  const nn = n * n;
  const nk = n * k;
  const L = a.data as Float64Array | Float32Array;
  const B = b.data as Float64Array | Float32Array;
  const lKnown = isKnownFinite(L);
  const forward = attrs.lower !== attrs.transpose ? 1 : 0;
  const unit = attrs.unitDiagonal ? 1 : 0;
  const trans = attrs.transpose ? 1 : 0;
  const check = attrs.checkFinite !== false;
  const fn = wk.fn;
  const ok = inChunks(
    wk,
    nk * 8,
    start,
    end,
    (s, e, at) => {
      const [lAt, lStride] = operand(wk, L, am, s, e, nn);
      if (lAt < 0) return false;
      const mem = wk.f64();
      const x0 = at >> 3;
      const contiguous = e - s === 1 || mapStride(bm, s, e, 1) === 1;
      if (contiguous) mem.set(B.subarray(bm[s] * nk, (bm[s] + e - s) * nk), x0);
      else
        for (let t = s; t < e; t++)
          mem.set(B.subarray(bm[t] * nk, bm[t] * nk + nk), x0 + (t - s) * nk);
      if (
        check &&
        ((!lKnown && fn.finite(lAt, lStride === 0 ? nn : (e - s) * nn) === 0) ||
          fn.finite(at, (e - s) * nk) === 0)
      ) {
        checkInputs(a, b);
      }
      fn.trsBatch(lAt, lStride, at, n, k, e - s, forward, unit, trans);
      X.set(mem.subarray(x0, x0 + (e - s) * nk), s * nk);
      if (X instanceof Float64Array && s === 0 && e * nk === X.length)
        wk.remember(X, at);
    },
    nn * 8,
  );
  // Every item of L was scanned (broadcasting reaches them all): remember.
  if (ok && check && !lKnown && start === 0 && end === am.length && end > 0)
    markFinite(L);
  return ok;
}

const reference = triangularSolve.cpuBatch!;

/**
 * triangularSolve on output items [start, end): WebAssembly when it can
 * have its memory, else the reference kernel (which also checks an empty
 * batch's inputs).
 */
export const triangularSolveFast: CpuBatch<TriangularSolveAttrs> = {
  items: reference.items,
  cost: (inputs, outputs, attrs) => {
    const [x] = outputs;
    const narrow = x.shape[x.shape.length - 1] <= 2;
    return wasmCostScale(narrow) * reference.cost!(inputs, outputs, attrs);
  },
  run: (inputs, outputs, attrs, start, end) => {
    const [a, b] = inputs;
    const { n, k, am, bm } = layoutOf(a, b, outputs[0]);
    const X = outputs[0].data as Float64Array | Float32Array;
    const wk = wasmKernels();
    if (
      am.length > 0 &&
      wk !== null &&
      wasmSolve(wk, a, b, X, n, k, am, bm, attrs, start, end)
    )
      return;
    reference.run(inputs, outputs, attrs, start, end);
  },
};
