/**
 * The factorization of every dual-reduction iteration, fused: the
 * Cholesky factor of S = K + diag(d) (K = G Q⁻¹ Gᵀ − VᵀV, fixed; d = s/lam
 * per item), without making S as a tensor first. K stays in the CPU
 * backend's WebAssembly memory as a mirror, each item of S is copied from
 * it there, its diagonal shifted and factored in place by the backend's
 * own `$cholBatch`: the `addDiagonal` this replaces was a JS pass writing
 * a [nBatch, m, m] array every iteration (~5% of a solve at nz 50).
 *
 * Where the WebAssembly kernels are missing, or a factorization fails
 * (not positive definite, NaN), the backend's addDiagonal and cholesky
 * kernels run instead, so the result and the errors are exactly
 * `cholesky(addDiagonal(K, d))`'s, which is also the `decompose`.
 *
 * Glossary: K [m, m] or [nBatch, m, m]; d [nBatch, m].
 */
import {
  allocArray,
  apply1,
  defineOp,
  DTypeError,
  primitives,
  ShapeError,
  type CpuTensor,
  type KernelOp,
  type Tensor,
  type TensorMeta,
} from '@optnet/tensor';
import {
  cpuKernelOf,
  inChunks,
  operand,
  wasmKernels,
  type WasmKernels,
} from '@optnet/tensor/wasm';
import { mapsOf } from './fused-common.js';

type Data = Float64Array | Float32Array;

function shiftedShape([k, d]: readonly TensorMeta[]): TensorMeta[] {
  const [nBatch, m] = d.shape;
  const ok =
    d.shape.length === 2 &&
    (k.shape.join() === [m, m].join() ||
      k.shape.join() === [nBatch, m, m].join());
  if (!ok) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `qpShiftedCholesky: K must be [m, m] or [nBatch, m, m] and d [nBatch, m]; got K[${k.shape.join(', ')}], d[${d.shape.join(', ')}].`,
    );
  }
  if (k.dtype !== d.dtype || (d.dtype !== 'float32' && d.dtype !== 'float64')) {
    throw new DTypeError(
      'DTYPE_MISMATCH',
      `qpShiftedCholesky: K and d must share a float dtype; got ${k.dtype} and ${d.dtype}.`,
    );
  }
  return [{ shape: [nBatch, m, m], dtype: d.dtype }];
}

/**
 * Items [0, nBatch) in WebAssembly; false (nothing final written) if anything
 * fails.
 */
function shiftedWasm(
  wk: WasmKernels,
  k: CpuTensor,
  d: CpuTensor,
  out: CpuTensor,
): boolean {
  const [nBatch, m] = d.shape;
  const mm = m * m;
  const [per, shared] = mapsOf(nBatch);
  const kMap = k.shape.length === 3 ? per : shared;
  const D = d.data as Data;
  const L = out.data as Data;
  return inChunks(
    wk,
    mm * 8,
    0,
    nBatch,
    (s, e, at) => {
      const [kAt, kStride] = operand(wk, k.data as Data, kMap, s, e, mm);
      if (kAt < 0) return false;
      const mem = wk.f64();
      const base = at >> 3;
      if (kStride !== 0) {
        mem.copyWithin(base, kAt >> 3, (kAt >> 3) + (e - s) * mm);
      } else {
        for (let t = 0; t < e - s; t++)
          mem.copyWithin(base + t * mm, kAt >> 3, (kAt >> 3) + mm);
      }
      for (let t = s; t < e; t++) {
        const o = base + (t - s) * mm;
        for (let i = 0; i < m; i++) mem[o + i * (m + 1)] += D[t * m + i];
      }
      // A NaN, or a pivot that fails: the JS path below reports it exactly.
      if (
        wk.fn.finite(at, (e - s) * mm) === 0 ||
        wk.fn.cholBatch(at, m, e - s) >= 0
      )
        return false;
      L.set(mem.subarray(base, base + (e - s) * mm), s * mm);
      if (L instanceof Float64Array && s === 0 && e === nBatch)
        wk.remember(L, at);
    },
    mm * 8,
  );
}

/**
 * The backend's own addDiagonal and cholesky kernels, one after the other
 * (their errors too).
 */
function shiftedJs(k: CpuTensor, d: CpuTensor, out: CpuTensor): void {
  const S = {
    data: allocArray(out.dtype, out.data.length),
    shape: out.shape,
    dtype: out.dtype,
  };
  cpuKernelOf(primitives.addDiagonal)([k, d], [S], {});
  cpuKernelOf(primitives.cholesky)([S], [out], {});
}

export const shiftedCholeskyOp: KernelOp<Record<string, never>> = defineOp<
  Record<string, never>
>({
  name: 'qpShiftedCholesky',
  shape: shiftedShape,
  cpu: ([k, d], [out]) => {
    const wk = wasmKernels();
    if (wk === null || !shiftedWasm(wk, k, d, out)) shiftedJs(k, d, out);
  },
  decompose: ([k, d]) => [k.addDiagonal(d).cholesky()],
  // As for cholesky: a factor that returns passed every pivot check.
  finiteOutputs: true,
});

/**
 * cholesky(K + diag(d)) for a fixed K and per-item shifts d, fused (see
 * the file comment).
 * @example const ls = shiftedCholesky(kg, sOverLam);
 */
export function shiftedCholesky(k: Tensor, d: Tensor): Tensor {
  return apply1(shiftedCholeskyOp, [k, d], {});
}
