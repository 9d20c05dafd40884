/** VJP rules of the linalg primitives. */
import type { LinalgPrimitives } from '@optnet/tensor';
import { addDiagonalVjp } from './add-diagonal.js';
import { choleskyVjp } from './cholesky.js';
import { diagonalVjp } from './diagonal.js';
import { regularizedCholeskyVjp } from './regularized-cholesky.js';
import { solveVjp } from './solve.js';
import { triangularSolveVjp } from './triangular-solve.js';
import type { VjpTable } from './types.js';

export const linalgVjps: VjpTable<LinalgPrimitives> = {
  cholesky: choleskyVjp,
  regularizedCholesky: regularizedCholeskyVjp,
  triangularSolve: triangularSolveVjp,
  solve: solveVjp,
  addDiagonal: addDiagonalVjp,
  diagonal: diagonalVjp,
};
