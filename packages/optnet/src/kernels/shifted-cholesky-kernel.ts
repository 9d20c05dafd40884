/**
 * The factorization of every dual-reduction iteration, fused: the
 * regularized Cholesky factor of S = K + diag(d) (K = G Q⁻¹ Gᵀ − VᵀV,
 * fixed; d = s/lam per item), without making S as a tensor first, and per
 * item the regularization level it needed (`regularizedCholesky` of
 * @optnet/tensor: the first of S + unit·boosts[k]·I that factors; −1 where
 * none does). K stays in the CPU backend's WebAssembly memory as a
 * mirror, each item of S is copied from it there, its diagonal shifted
 * and factored in place by the backend's own `$cholBatch`: the
 * `addDiagonal` this replaces was a JS pass writing a [nBatch, m, m] array
 * every iteration (~5% of a solve at nz 50).
 *
 * Where the WebAssembly kernels are missing, or an item needs a boost (or
 * holds a NaN), the backend's addDiagonal and regularizedCholesky kernels
 * run instead, so the result is exactly
 * `regularizedCholesky(addDiagonal(K, d), unit, boosts)`, which is also
 * the `decompose`. Nothing here throws on a breakdown.
 *
 * Glossary: K [m, m] or [nBatch, m, m]; d [nBatch, m]; unit [nBatch, 1].
 */
import {
  allocArray,
  apply,
  defineOp,
  DTypeError,
  primitives,
  regularizedCholesky,
  ShapeError,
  type CpuTensor,
  type KernelOp,
  type RegularizedCholeskyAttrs,
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

function shiftedShape([k, d, unit]: readonly TensorMeta[]): TensorMeta[] {
  const [nBatch, m] = d.shape;
  const ok =
    d.shape.length === 2 &&
    (k.shape.join() === [m, m].join() ||
      k.shape.join() === [nBatch, m, m].join()) &&
    unit.shape.join() === [nBatch, 1].join();
  if (!ok) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `qpShiftedCholesky: K must be [m, m] or [nBatch, m, m], d [nBatch, m] and unit [nBatch, 1]; got K[${k.shape.join(', ')}], d[${d.shape.join(', ')}], unit[${unit.shape.join(', ')}].`,
    );
  }
  const float = d.dtype === 'float32' || d.dtype === 'float64';
  if (k.dtype !== d.dtype || unit.dtype !== d.dtype || !float) {
    throw new DTypeError(
      'DTYPE_MISMATCH',
      `qpShiftedCholesky: K, d and unit must share a float dtype; got ${k.dtype}, ${d.dtype} and ${unit.dtype}.`,
    );
  }
  return [
    { shape: [nBatch, m, m], dtype: d.dtype },
    { shape: [nBatch, 1], dtype: d.dtype },
  ];
}

/**
 * Items [0, nBatch) in WebAssembly at boost 0; false (nothing final
 * written) if any item needs more, or holds a NaN.
 */
function shiftedWasm(
  wk: WasmKernels,
  k: CpuTensor,
  d: CpuTensor,
  out: CpuTensor,
  shift0: ArrayLike<number>,
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
        // (K + d) + shift, in the order of the JS path below.
        for (let i = 0; i < m; i++) {
          mem[o + i * (m + 1)] += D[t * m + i];
          mem[o + i * (m + 1)] += shift0[t];
        }
      }
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
 * The backend's own addDiagonal and regularizedCholesky kernels, one
 * after the other.
 */
function shiftedJs(
  [k, d, unit]: readonly CpuTensor[],
  outs: readonly CpuTensor[],
  attrs: RegularizedCholeskyAttrs,
): void {
  const S = {
    data: allocArray(outs[0].dtype, outs[0].data.length),
    shape: outs[0].shape,
    dtype: outs[0].dtype,
  };
  cpuKernelOf(primitives.addDiagonal)([k, d], [S], {});
  cpuKernelOf(primitives.regularizedCholesky)([S, unit], outs, attrs);
}

export const shiftedCholeskyOp: KernelOp<RegularizedCholeskyAttrs> =
  defineOp<RegularizedCholeskyAttrs>({
    name: 'qpShiftedCholesky',
    shape: shiftedShape,
    cpu: (ins, outs, attrs) => {
      const [k, d, unit] = ins;
      const wk = wasmKernels();
      const b0 = attrs.boosts[0];
      const shift0 = Array.from(unit.data, (u) => u * b0);
      if (wk !== null && shiftedWasm(wk, k, d, outs[0], shift0)) {
        outs[1].data.fill(0);
        return;
      }
      shiftedJs(ins, outs, attrs);
    },
    decompose: ([k, d, unit], { boosts }) =>
      regularizedCholesky(k.addDiagonal(d), unit, boosts),
    // As for regularizedCholesky: a factor or the identity, and levels.
    finiteOutputs: true,
  });

/**
 * regularizedCholesky(K + diag(d), unit, boosts) for a fixed K and
 * per-item shifts d, fused (see the file comment): [L, level].
 * @example const [ls, level] = shiftedCholesky(kg, sOverLam, unit, [0, 1e3]);
 */
export function shiftedCholesky(
  k: Tensor,
  d: Tensor,
  unit: Tensor,
  boosts: readonly number[],
): [Tensor, Tensor] {
  const [l, level] = apply(shiftedCholeskyOp, [k, d, unit], {
    boosts: [...boosts],
  });
  return [l, level];
}
