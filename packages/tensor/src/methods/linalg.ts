/**
 * Chainable methods for the linalg ops: `A.cholesky()`, `A.solve(B)`. Each
 * method is the function of the same name in api/linalg.ts with `this` as
 * its first input.
 */
import * as F from '../api/linalg.js';
import { Tensor } from '../tensor.js';

declare module '../tensor.js' {
  interface Tensor {
    cholesky(): Tensor;
    triangularSolve(b: Tensor, options?: F.TriangularSolveOptions): Tensor;
    choleskySolve(b: Tensor): Tensor;
    solve(b: Tensor): Tensor;
    inverse(): Tensor;
    addDiagonal(d: Tensor): Tensor;
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
