/** The linalg primitives, one entry per primitive (see ../primitives.ts). */
import type { KernelOp } from '../op.js';
import { addDiagonal } from './add-diagonal.js';
import { diagonal } from './diagonal.js';
import { cholesky } from './cholesky.js';
import {
  regularizedCholesky,
  type RegularizedCholeskyAttrs,
} from './regularized-cholesky.js';
import { solve } from './solve.js';
import {
  triangularSolve,
  type TriangularSolveAttrs,
} from './triangular-solve.js';
import type { NoAttrs } from './unary.js';

/**
 * The batched linear-algebra primitives (part of `Primitives`).
 * @example
 * const op: LinalgPrimitives['cholesky'] = primitives.cholesky;
 * apply1(op, [tensor([[4, 2], [2, 5]])], {}); // [[2, 0], [1, 2]]
 */
export interface LinalgPrimitives {
  /** The lower Cholesky factor L of A = L Lᵀ. */
  readonly cholesky: KernelOp<NoAttrs>;
  /**
   * Cholesky that never throws: per matrix the first of A + unit·boosts[k]·I
   * that factors, and its level.
   */
  readonly regularizedCholesky: KernelOp<RegularizedCholeskyAttrs>;
  /** Solve a triangular system. */
  readonly triangularSolve: KernelOp<TriangularSolveAttrs>;
  /** Solve A X = B by LU with partial pivoting. */
  readonly solve: KernelOp<NoAttrs>;
  /** A + diag(d): add a vector to each matrix's diagonal. */
  readonly addDiagonal: KernelOp<NoAttrs>;
  /** Each matrix's diagonal as a vector. */
  readonly diagonal: KernelOp<NoAttrs>;
}

export const linalgPrimitives: LinalgPrimitives = {
  cholesky,
  regularizedCholesky,
  triangularSolve,
  solve,
  addDiagonal,
  diagonal,
};
