/**
 * Public functions for the linalg primitives (cholesky, triangularSolve,
 * solve) and their composites (choleskySolve, inverse). All are batched
 * over leading dims; the batch dims of A and B broadcast.
 */
import { apply, apply1 } from '../apply.js';
import { eye } from '../creation.js';
import type { TriangularSolveAttrs } from '../ops/triangular-solve.js';
import { squareSize } from '../ops/cholesky.js';
import type { NoAttrs } from '../ops/unary.js';
import { primitives as P } from '../primitives.js';
import type { Tensor } from '../tensor.js';

const none: NoAttrs = {};

/**
 * Options of triangularSolve; every field defaults as shown.
 * @example
 * const opts: TriangularSolveOptions = { lower: false };
 * triangularSolve(tensor([[2, 1], [0, 1]]), tensor([[3], [1]]), opts);
 * // [[1], [1]]
 */
export interface TriangularSolveOptions {
  /** L is lower triangular (default true); else upper. */
  lower?: boolean;
  /** Solve Lᵀ·X = B (default false). */
  transpose?: boolean;
  /** Take diag(L) as ones without reading it (default false). */
  unitDiagonal?: boolean;
  /**
   * Throw NON_FINITE for a NaN or Inf in L or B (default true). false: no
   * check, a NaN in B spreads only through its own batch item's X.
   */
  checkFinite?: boolean;
}

/**
 * Lower-triangular L with A = L·Lᵀ; reads only A's lower triangle.
 * Throws ValueError NOT_POSITIVE_DEFINITE naming the batch item and pivot.
 * The factor of a symmetric positive definite matrix, for solves
 * (choleskySolve) and log-determinants.
 * @example
 * const L = cholesky(tensor([[4, 2], [2, 5]])); // [[2, 0], [1, 2]]
 */
export function cholesky(a: Tensor): Tensor {
  return apply1(P.cholesky, [a], none);
}

/**
 * A Cholesky factorization that never throws: per matrix b, the factor of
 * A_b + unit_b·boosts[k]·I for the first k that succeeds, and `level` [..., 1]
 * that k, or −1 where every try broke down (then that L_b is the identity).
 * NaN or Inf in one matrix fails only that matrix. unit: [..., 1], batch
 * dims broadcasting with A's.
 * @example
 * const [L, level] = regularizedCholesky(A, unit, [0, 1, 1e3]); // level[b] < 0: item b failed
 */
export function regularizedCholesky(
  a: Tensor,
  unit: Tensor,
  boosts: readonly number[] = [0],
): [Tensor, Tensor] {
  const [l, level] = apply(P.regularizedCholesky, [a, unit], {
    boosts: [...boosts],
  });
  return [l, level];
}

/**
 * X with op(L)·X = B, op(L) = L or Lᵀ; L: [..., n, n], B: [..., n, k].
 * @example
 * const L = tensor([[2, 0], [1, 1]]);
 * triangularSolve(L, tensor([[2], [3]])); // L⁻¹B = [[1], [2]]
 * triangularSolve(L, tensor([[2], [3]]), { transpose: true }); // L⁻ᵀB
 */
export function triangularSolve(
  l: Tensor,
  b: Tensor,
  options: TriangularSolveOptions = {},
): Tensor {
  const attrs: TriangularSolveAttrs = {
    lower: options.lower ?? true,
    transpose: options.transpose ?? false,
    unitDiagonal: options.unitDiagonal ?? false,
    ...(options.checkFinite === false ? { checkFinite: false } : {}),
  };
  return apply1(P.triangularSolve, [l, b], attrs);
}

/**
 * X with (L·Lᵀ)·X = B given the Cholesky factor L: two triangular solves.
 * Factor once, solve many right-hand sides.
 * @example
 * const A = tensor([[4, 2], [2, 5]]);
 * choleskySolve(cholesky(A), tensor([[6], [7]])); // A⁻¹B = [[1], [1]]
 */
export function choleskySolve(l: Tensor, b: Tensor): Tensor {
  return triangularSolve(l, triangularSolve(l, b), { transpose: true });
}

/**
 * X with A·X = B by LU with partial pivoting; A: [..., n, n], B: [..., n, k].
 * Throws ValueError SINGULAR naming the batch item.
 * For a general (not symmetric) A; prefer choleskySolve for a positive
 * definite one.
 * @example
 * solve(tensor([[0, 1], [1, 0]]), tensor([[2], [3]])); // [[3], [2]]
 */
export function solve(a: Tensor, b: Tensor): Tensor {
  return apply1(P.solve, [a, b], none);
}

/**
 * A⁻¹, as solve(A, I).
 * Prefer solve(A, B) to inverse(A)·B: fewer operations and less
 * round-off.
 * @example
 * inverse(tensor([[2, 0], [0, 4]])); // [[0.5, 0], [0, 0.25]]
 */
export function inverse(a: Tensor): Tensor {
  const n = squareSize('inverse', a.shape, 'A');
  return solve(a, eye(n, { dtype: a.dtype, backend: a.backend }));
}

/**
 * A + diag(d): adds d [..., n] to the diagonal of A [..., n, n] in one
 * pass (batch dims broadcast).
 * @example
 * addDiagonal(zeros([2, 2]), full([2], 1e-6)); // 1e-6·I: a ridge
 */
export function addDiagonal(a: Tensor, d: Tensor): Tensor {
  return apply1(P.addDiagonal, [a, d], none);
}

/**
 * The main diagonal of each matrix: [..., n, n] → [..., n].
 * @example
 * diagonal(eye(3)); // [1, 1, 1]
 */
export function diagonal(a: Tensor): Tensor {
  return apply1(P.diagonal, [a], none);
}
