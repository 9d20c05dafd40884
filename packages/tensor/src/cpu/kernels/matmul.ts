/**
 * The CPU backend's matmul: the WebAssembly SIMD kernels where they run
 * (not for transA with transB, nor row blocks), else the reference kernel
 * of ops/matmul.ts. Results differ in the last bits only.
 */
import type { CpuBatch, CpuTensor } from '../../op.js';
import {
  isGram,
  layout,
  matmul,
  rowBlocked,
  type MatmulAttrs,
  type MatmulLayout,
} from '../../ops/matmul.js';
import { sgemmApplies, sgemmRange } from './sgemm.js';
import {
  inChunks,
  operand,
  wasmCostScale,
  wasmKernels,
  type WasmKernels,
} from '../wasm/runtime.js';

/**
 * Output items [start, end) with the WebAssembly kernels
 * (cpu/wasm/wat-matmul.ts: mmBatch, which runs gemvN, gemvT for one column,
 * gemm, gemmDot for transB; syrkBatch for a Gram matrix): a and b are read from
 * their mirrors (copied, f32 widened, only
 * when they have none), each chunk of C is computed there and copied out.
 * Not for transA with transB. False if its memory cannot be had (then the
 * JS kernel runs).
 */
function wasmMatmul(
  wk: WasmKernels,
  a: CpuTensor,
  b: CpuTensor,
  y: CpuTensor,
  l: MatmulLayout,
  transA: boolean,
  transB: boolean,
  start: number,
  end: number,
): boolean {
  const { m, n, k, am, bm } = l;
  const fn = wk.fn;
  const mn = m * n;
  const A = a.data as Float64Array | Float32Array;
  const B = b.data as Float64Array | Float32Array;
  const Y = y.data as Float64Array | Float32Array;
  const ta = transA ? 1 : 0;
  const tb = transB ? 1 : 0;
  const gram = isGram(a, b, transA, transB);
  return inChunks(
    wk,
    mn * 8,
    start,
    end,
    (s, e, at) => {
      const [aAt, as] = operand(wk, A, am, s, e, m * k);
      if (aAt < 0) return false;
      if (gram) {
        fn.syrkBatch(aAt, as, at, m, k, e - s);
      } else {
        const [bAt, bs] = operand(wk, B, bm, s, e, k * n);
        if (bAt < 0) return false;
        fn.mmBatch(aAt, as, bAt, bs, at, m, k, n, e - s, ta, tb);
      }
      const base = at >> 3;
      Y.set(wk.f64().subarray(base, base + (e - s) * mn), s * mn);
      if (Y instanceof Float64Array && s === 0 && e * mn === Y.length)
        wk.remember(Y, at);
    },
    Math.max(m * k, k * n, mn) * 8,
  );
}

const reference = matmul.cpuBatch!;

/**
 * matmul on output items [start, end): WebAssembly when it applies and can
 * have its memory, else the reference kernel.
 */
export const matmulFast: CpuBatch<MatmulAttrs> = {
  items: reference.items,
  cost: (inputs, outputs, attrs) => {
    const [y] = outputs;
    const matVec = y.shape[y.shape.length - 1] === 1;
    // Row blocks and transA with transB run the JS kernel (float64), no
    // scaling; the float32 kernel runs them all.
    const f32 = inputs[0].dtype === 'float32' && !matVec;
    const js = !f32 && (rowBlocked(y) || (attrs.transA && attrs.transB));
    const scale = js ? 1 : wasmCostScale(matVec);
    return scale * reference.cost!(inputs, outputs, attrs);
  },
  run: (inputs, outputs, attrs, start, end) => {
    const [a, b] = inputs;
    const [y] = outputs;
    const { transA, transB } = attrs;
    const wk = wasmKernels();
    if (wk !== null && sgemmApplies(a, b, y, transA, transB)) {
      const l = layout(a, b, y, transA);
      if (sgemmRange(wk, a, b, y, l, transA, transB, start, end)) return;
      return reference.run(inputs, outputs, attrs, start, end);
    }
    if (
      wk !== null &&
      !rowBlocked(y) &&
      !(transA && transB) &&
      wasmMatmul(
        wk,
        a,
        b,
        y,
        layout(a, b, y, transA),
        transA,
        transB,
        start,
        end,
      )
    )
      return;
    reference.run(inputs, outputs, attrs, start, end);
  },
};
