/**
 * Batched linear-algebra helpers of the QP solver, written in tensor ops.
 *
 * Vectors always carry the batch: x [nBatch, n]. A matrix is either shared
 * across the batch, M [r, n], or per item, M [nBatch, r, n]; the helpers
 * pick the cheaper product for each case (a shared matrix turns a batch of
 * matrix-vector products into one matrix-matrix product).
 *
 * The solves do not check their right-hand sides for NaN or Inf: a
 * non-finite value stays in its own batch item, which the solver then
 * marks 'numerical_error' (its statistics are read back every iteration),
 * instead of one item stopping the batch.
 */
import { matmul, type Tensor } from '@optnet/tensor';

/** M·x per item: [nBatch, r]. */
export function mv(m: Tensor, x: Tensor): Tensor {
  if (m.rank === 2) return matmul(x, m, { transB: true });
  return matmul(m, x.unsqueeze(-1)).squeeze(-1);
}

/** Mᵀ·y per item: [nBatch, n]. */
export function mtv(m: Tensor, y: Tensor): Tensor {
  if (m.rank === 2) return matmul(y, m);
  return matmul(m, y.unsqueeze(-1), { transA: true }).squeeze(-1);
}

/** Mᵀ·diag(d)·M per item: [nBatch, n, n]; d [nBatch, r]. */
export function mtdm(m: Tensor, d: Tensor): Tensor {
  return matmul(m, m.mul(d.unsqueeze(-1)), { transA: true });
}

/**
 * Triangular solve of a batch of vectors: op(L)⁻¹ x, x [nBatch, n]. A
 * shared L [n, n] solves all items at once, as the columns of xᵀ.
 */
export function trsv(l: Tensor, x: Tensor, transpose: boolean): Tensor {
  const opts = { transpose, checkFinite: false };
  if (l.rank === 2) return l.triangularSolve(x.transpose(), opts).transpose();
  return l.triangularSolve(x.unsqueeze(-1), opts).squeeze(-1);
}

/** (L·Lᵀ)⁻¹ x for a batch of vectors x [nBatch, n] (two triangular solves). */
export function cholSolveVec(l: Tensor, x: Tensor): Tensor {
  const y = l.triangularSolve(x.unsqueeze(-1), { checkFinite: false });
  return l
    .triangularSolve(y, { transpose: true, checkFinite: false })
    .squeeze(-1);
}
