/**
 * VJP of triangularSolve, plus the small matrix helpers the linalg VJPs
 * share. X = op(L)⁻¹ B, so with G = X̄:
 *   B̄ = op(L)⁻ᵀ G                       (one more triangular solve)
 *   op(L)̄ = −B̄ Xᵀ, so L̄ = −B̄ Xᵀ, or −X B̄ᵀ when op(L) = Lᵀ,
 * masked to the triangle the kernel reads (strict if unitDiagonal).
 */
import * as T from '@optnet/tensor';
import type { FloatDType, Tensor, TriangularSolveAttrs } from '@optnet/tensor';
import type { VjpRule } from './types.js';

/** Swap the last two axes. */
export function mT(x: Tensor): Tensor {
  return T.transpose(x, -2, -1);
}

/**
 * n×n mask: 1 on the chosen triangle, `diag` on the diagonal, 0 elsewhere.
 * @example triangleMask(3, true, 0.5, 'float64') // Φ's mask
 */
export function triangleMask(
  n: number,
  lower: boolean,
  diag: number,
  dtype: FloatDType,
  backend?: T.Backend,
): Tensor {
  const data =
    dtype === 'float64' ? new Float64Array(n * n) : new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j) data[i * n + j] = diag;
      else if (lower ? i > j : i < j) data[i * n + j] = 1;
    }
  }
  return T.fromTypedArray(data, [n, n], false, backend);
}

export const triangularSolveVjp: VjpRule<TriangularSolveAttrs> = (
  { inputs: [l], outputs: [x], attrs },
  [g],
) => {
  const { lower, transpose, unitDiagonal } = attrs;
  const gb = T.triangularSolve(l, g, {
    lower,
    transpose: !transpose,
    unitDiagonal,
  });
  const full = transpose
    ? T.matmul(x, gb, { transB: true })
    : T.matmul(gb, x, { transB: true });
  const n = l.shape[l.shape.length - 1];
  const mask = triangleMask(
    n,
    lower,
    unitDiagonal ? 0 : 1,
    l.dtype as FloatDType,
    l.backend,
  );
  return [T.neg(T.mul(full, mask)), gb];
};
