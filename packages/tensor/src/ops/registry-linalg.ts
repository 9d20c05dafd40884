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

export interface LinalgPrimitives {
  readonly cholesky: KernelOp<NoAttrs>;
  readonly regularizedCholesky: KernelOp<RegularizedCholeskyAttrs>;
  readonly triangularSolve: KernelOp<TriangularSolveAttrs>;
  readonly solve: KernelOp<NoAttrs>;
  readonly addDiagonal: KernelOp<NoAttrs>;
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
