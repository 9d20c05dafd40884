/**
 * Chainable methods for the linalg ops: `A.cholesky()`, `A.solve(B)`. Each
 * method is the function of the same name in api/linalg.ts with `this` as
 * its first input.
 */
import * as F from '../api/linalg.js';
import { Tensor } from '../tensor.js';

declare module '../tensor.js' {
  interface Tensor {
    /** Lower-triangular L with this = L·Lᵀ. */
    cholesky(): Tensor;
    /** X with op(this)·X = b, this triangular. */
    triangularSolve(b: Tensor, options?: F.TriangularSolveOptions): Tensor;
    /** X with (L·Lᵀ)·X = b, this being the Cholesky factor L. */
    choleskySolve(b: Tensor): Tensor;
    /** X with this·X = b (LU with partial pivoting). */
    solve(b: Tensor): Tensor;
    /** The inverse matrix of each batch item. */
    inverse(): Tensor;
    /** this + diag(d). */
    addDiagonal(d: Tensor): Tensor;
    /** The main diagonal of each matrix. */
    diagonal(): Tensor;
  }
}

const names = [
  'cholesky',
  'triangularSolve',
  'choleskySolve',
  'solve',
  'inverse',
  'addDiagonal',
  'diagonal',
] as const;

const proto = Tensor.prototype as unknown as Record<string, unknown>;
for (const name of names) {
  const fn = F[name] as (x: Tensor, ...rest: unknown[]) => Tensor;
  proto[name] = function (this: Tensor, ...rest: unknown[]) {
    return fn(this, ...rest);
  };
}
