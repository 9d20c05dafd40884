/**
 * The factorization of every dual-reduction iteration, fused: the
 * regularized Cholesky factor of S = K + diag(d) (K = G Q⁻¹ Gᵀ − VᵀV,
 * fixed; d = s/lam per item), without making S as a tensor first, and per
 * item the regularization level it needed (`regularizedCholesky` of
 * @optnet/tensor: the first of S + unit·boosts[k]·I that factors; −1 where
 * none does). K stays in the CPU backend's WebAssembly memory as a
 * mirror; each item's factor is made in its slot there straight from it
 * by the backend's own `$cholShiftedBatch` (K + diag(d) + shift, K read
 * where it is): no S is made, neither as a tensor (the `addDiagonal` this
 * replaced was ~5% of a solve at nz 50) nor as a copy per item.
 *
 * Where the WebAssembly kernels are missing, or an item needs a boost (a
 * NaN or Inf in what the factorization reads, K's lower triangle, d or
 * unit, fails its pivots too), the backend's addDiagonal and
 * regularizedCholesky kernels run instead, so the result is exactly
 * `regularizedCholesky(addDiagonal(K, d), unit, boosts)`, which is also
 * the `decompose` (in float64; for float32 see shiftedWasm). Neither
 * reads K's upper triangle. Nothing here throws on a breakdown.
 *
 * An optional fourth input, `active` [nBatch, 1] (bool), skips the items
 * where it is false: their factor is the identity and their level 0 (the
 * solver's converged items, which do not move: on average a quarter of a
 * solve's item-iterations at the bench's sizes). The other items' bits
 * are those without it. Two more inputs after it, a factor [nBatch, m, m]
 * and levels [nBatch, 1], give the skipped items those instead (the
 * backward keeps polishing's factors for the items polishing took).
 *
 * Glossary: K [m, m] or [nBatch, m, m]; d [nBatch, m]; unit [nBatch, 1].
 */
import {
  allocArray,
  apply,
  defineOp,
  DTypeError,
  eye,
  primitives,
  regularizedCholesky,
  ShapeError,
  shapesEqual,
  where,
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
import {
  activeRuns,
  identityAt,
  mapsOf,
  scaledCopy,
  splitActive,
} from './fused-common.js';

type Data = Float64Array | Float32Array;

/**
 * The inputs past K, d and unit: `active`, and the factor and levels its
 * skipped items keep (each null when absent; shapes checked).
 */
function extras<T extends TensorMeta>(
  ins: readonly T[],
): [T | null, T | null, T | null] {
  const [, d] = ins;
  const [nBatch, m] = d.shape;
  if (ins.length !== 3 && ins.length !== 4 && ins.length !== 6) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `qpShiftedCholesky: takes K, d and unit, then optionally active, then optionally a kept factor and its levels (3, 4 or 6 inputs); got ${ins.length}. Pass the kept factor [nBatch, m, m] and levels [nBatch, 1] together, after active.`,
    );
  }
  if (ins.length !== 6) {
    const [, active] = splitActive('qpShiftedCholesky', ins, 3, nBatch);
    return [active, null, null];
  }
  const [, active] = splitActive(
    'qpShiftedCholesky',
    ins.slice(0, 4),
    3,
    nBatch,
  );
  const [, , , , l, level] = ins;
  if (
    !shapesEqual(l.shape, [nBatch, m, m]) ||
    !shapesEqual(level.shape, [nBatch, 1]) ||
    l.dtype !== d.dtype ||
    level.dtype !== d.dtype
  ) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `qpShiftedCholesky: the kept factor must be [nBatch, m, m] = [${nBatch}, ${m}, ${m}] and its levels [${nBatch}, 1], both ${d.dtype}; got ${l.dtype}[${l.shape.join(', ')}] and ${level.dtype}[${level.shape.join(', ')}]. Pass another factorization's L and level of this batch (cast to ${d.dtype}).`,
    );
  }
  return [active, l, level];
}

function shiftedShape(ins: readonly TensorMeta[]): TensorMeta[] {
  const [k, d, unit] = ins;
  const [nBatch, m] = d.shape;
  extras(ins); // checks active's and the kept factor's shapes
  const ok =
    d.shape.length === 2 &&
    (shapesEqual(k.shape, [m, m]) || shapesEqual(k.shape, [nBatch, m, m])) &&
    shapesEqual(unit.shape, [nBatch, 1]);
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
 * Items [0, nBatch) in WebAssembly at boost 0 (the active ones; the rest
 * get the identity); false (nothing final written) if any active item
 * needs more, or holds a NaN. Each factor is made in its slot straight
 * from K's operand (the backend's `$cholShiftedBatch`: K + diag(d) +
 * shift, K read where it is), once per run of consecutive active items.
 */
function shiftedWasm(
  wk: WasmKernels,
  k: CpuTensor,
  d: CpuTensor,
  out: CpuTensor,
  shift0: Float64Array,
  active: ArrayLike<number> | null,
  keep: Data | null,
): boolean {
  const [nBatch, m] = d.shape;
  const mm = m * m;
  const [per, shared] = mapsOf(nBatch);
  const kMap = k.shape.length === 3 ? per : shared;
  const L = out.data as Data;
  // In float32 the diagonal sum K_ii + d_i is made in float64 by the
  // kernel: addDiagonal would round it to float32, where the s/lam of an
  // item diverging towards an infeasibility certificate overflows to Inf
  // and fails every try (numerical_error instead of infeasible: the
  // warm-start test's float32 item). So float32 results agree with the
  // definition to float32 rounding, not to the bit, and an item's bits can
  // depend on whether another item sends the call to the fallback.
  return inChunks(
    wk,
    (mm + m + 1) * 8,
    0,
    nBatch,
    (s, e, at) => {
      const runs = activeRuns(active, s, e);
      const [kAt, kStride] = operand(wk, k.data as Data, kMap, s, e, mm);
      if (kAt < 0) return false;
      const mem = wk.f64();
      const base = at >> 3;
      const dAt = at + (e - s) * mm * 8;
      const shAt = dAt + (e - s) * m * 8;
      mem.set((d.data as Data).subarray(s * m, e * m), dAt >> 3);
      mem.set(shift0.subarray(s, e), shAt >> 3);
      for (const [a, b] of runs) {
        const o = a - s;
        const [at0, kItem] = [at + o * mm * 8, kAt + o * kStride];
        const [dv, sh] = [dAt + o * m * 8, shAt + o * 8];
        const args = [at0, kItem, kStride, m, dv, sh, b - a];
        // A failed pivot (NaN and Inf included): the fallback decides.
        if (wk.fn.cholShiftedBatch(...args) >= 0) return false;
      }
      if (active !== null)
        for (let t = s; t < e; t++) {
          if (active[t]) continue;
          const o = base + (t - s) * mm;
          if (keep === null) identityAt(mem, o, m);
          else mem.set(keep.subarray(t * mm, (t + 1) * mm), o);
        }
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
  [k, d, unit, active, keepL, keepLevel]: readonly CpuTensor[],
  outs: readonly CpuTensor[],
  attrs: RegularizedCholeskyAttrs,
): void {
  const S = {
    data: allocArray(outs[0].dtype, outs[0].data.length),
    shape: outs[0].shape,
    dtype: outs[0].dtype,
  };
  cpuKernelOf(primitives.addDiagonal)([k, d], [S], {});
  let u = unit;
  if (active !== undefined) {
    // Items left out factor I with unit 0: exactly I at level 0, written by
    // the factorization itself (so any mirror it keeps of L agrees).
    const [nBatch, m] = d.shape;
    u = { ...unit, data: unit.data.slice() };
    for (let t = 0; t < nBatch; t++) {
      if (active.data[t]) continue;
      identityAt(S.data as Data, t * m * m, m);
      u.data[t] = 0;
    }
  }
  if (keepL === undefined) {
    cpuKernelOf(primitives.regularizedCholesky)([S, u], outs, attrs);
    return;
  }
  // Factored into scratch, then copied with the kept items in place: the
  // factorization may keep a mirror of its output, which must not differ
  // from what later kernels read.
  const L = { ...S, data: allocArray(S.dtype, S.data.length) };
  cpuKernelOf(primitives.regularizedCholesky)([S, u], [L, outs[1]], attrs);
  outs[0].data.set(L.data);
  const [nBatch, m] = d.shape;
  const mm = m * m;
  for (let t = 0; t < nBatch; t++) {
    if (active.data[t]) continue;
    outs[0].data.set(keepL.data.subarray(t * mm, (t + 1) * mm), t * mm);
    outs[1].data[t] = keepLevel.data[t];
  }
}

export const shiftedCholeskyOp: KernelOp<RegularizedCholeskyAttrs> =
  defineOp<RegularizedCholeskyAttrs>({
    name: 'qpShiftedCholesky',
    shape: shiftedShape,
    cpu: (ins, outs, attrs) => {
      const [k, d, unit, active, keepL, keepLevel] = ins;
      const wk = wasmKernels();
      const b0 = attrs.boosts[0];
      const shift0 = scaledCopy(unit.data, b0);
      const on = active === undefined ? null : (active.data as Uint8Array);
      const keep = keepL === undefined ? null : (keepL.data as Data);
      if (wk !== null && shiftedWasm(wk, k, d, outs[0], shift0, on, keep)) {
        const level = outs[1].data;
        level.fill(0);
        if (keepLevel !== undefined)
          for (let t = 0; t < level.length; t++)
            if (!on![t]) level[t] = keepLevel.data[t];
        return;
      }
      // Outputs come unzeroed (fillsOutputs): the fallback starts clean.
      for (const o of outs) o.data.fill(0);
      shiftedJs(ins, outs, attrs);
    },
    decompose: ([k, d, unit, active, keepL, keepLevel], { boosts }) => {
      const [l, level] = regularizedCholesky(k.addDiagonal(d), unit, boosts);
      if (active === undefined) return [l, level];
      const m = d.shape[1];
      const other = keepL ?? eye(m, { dtype: l.dtype });
      return [
        where(active.unsqueeze(-1), l, other),
        where(active, level, keepLevel ?? 0),
      ];
    },
    // As for regularizedCholesky: a factor or the identity, and levels.
    finiteOutputs: true,
    // Both paths write every element (the WebAssembly one each chunk's
    // whole factors and every level): no zero-fill of the [nBatch, m, m]
    // output first, the largest array a solver iteration allocates.
    fillsOutputs: true,
  });

/**
 * regularizedCholesky(K + diag(d), unit, boosts) for a fixed K and
 * per-item shifts d, fused (see the file comment): [L, level]; items
 * where `active` (bool [nBatch, 1]) is false get L = I and level 0, or,
 * given `keep` ([L, level] of another factorization), its factor and
 * level.
 * @example const [ls, level] = shiftedCholesky(kg, sOverLam, unit, [0, 1e3]);
 */
export function shiftedCholesky(
  k: Tensor,
  d: Tensor,
  unit: Tensor,
  boosts: readonly number[],
  active: Tensor | null = null,
  keep: readonly [Tensor, Tensor] | null = null,
): [Tensor, Tensor] {
  if (keep !== null && active === null) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      'qpShiftedCholesky: a kept factor is for the items `active` leaves out, and active is null. Pass active (bool [nBatch, 1]) with it, or drop it.',
    );
  }
  const ins = active === null ? [k, d, unit] : [k, d, unit, active];
  if (keep !== null) ins.push(...keep);
  const [l, level] = apply(shiftedCholeskyOp, ins, { boosts: [...boosts] });
  return [l, level];
}
