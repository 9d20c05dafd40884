/**
 * solve(A, B): X with A·X = B by LU with partial pivoting, batched; batch
 * dims of A and B broadcast. A singular A throws ValueError SINGULAR.
 */
import { assertFloat, assertSameDType } from '../dtype.js';
import { ValueError } from '../errors.js';
import { defineOp, type KernelOp, type TensorMeta } from '../op.js';
import { nonFiniteFailure } from './finite.js';
import { solveLayout, solveShape } from './triangular-solve.js';
import type { NoAttrs } from './unary.js';

/** The SINGULAR error for batch item `t`, whose pivot `j` is `piv`. */
function singular(t: number, j: number, piv: number): ValueError {
  return new ValueError(
    'SINGULAR',
    `solve: A must be nonsingular; got a singular matrix at batch item ${t} (pivot ${j} is ${piv}). ` +
      `Check A's rank, or regularize with A + εI.`,
  );
}

export const solve: KernelOp<NoAttrs> = defineOp<NoAttrs>({
  name: 'solve',
  shape: ([a, b]: readonly TensorMeta[]) => {
    assertFloat('solve', a.dtype, 'A');
    const dtype = assertSameDType('solve', [a.dtype, b.dtype], ['A', 'B']);
    return [{ shape: solveShape('solve', a.shape, b.shape), dtype }];
  },
  failure: (f, inputs) =>
    nonFiniteFailure('solve', ['A', 'B'], f, inputs) ??
    singular(f.index, f.pivot, f.value),
  cpu: ([a, b], [x]) => {
    const { n, k, am, bm } = solveLayout('solve', ['A', 'B'], a, b, x);
    const X = x.data;
    const lu = new Float64Array(n * n);
    for (let t = 0; t < am.length; t++) {
      const xo = t * n * k;
      for (let i = 0; i < n * n; i++) lu[i] = a.data[am[t] * n * n + i];
      X.set(b.data.subarray(bm[t] * n * k, (bm[t] + 1) * n * k), xo);
      // scale for the singularity test: a pivot this small relative to A is
      // zero
      let amax = 0;
      for (let i = 0; i < n * n; i++) amax = Math.max(amax, Math.abs(lu[i]));
      const eps = x.dtype === 'float32' ? 1.1920929e-7 : 2.220446049250313e-16;
      const tiny = amax * n * eps;
      for (let j = 0; j < n; j++) {
        let p = j;
        for (let i = j + 1; i < n; i++)
          if (Math.abs(lu[i * n + j]) > Math.abs(lu[p * n + j])) p = i;
        const piv = lu[p * n + j];
        if (!(Math.abs(piv) > tiny)) throw singular(t, j, piv);
        if (p !== j) {
          for (let c = 0; c < n; c++) {
            const tmp = lu[j * n + c];
            lu[j * n + c] = lu[p * n + c];
            lu[p * n + c] = tmp;
          }
          for (let c = 0; c < k; c++) {
            const tmp = X[xo + j * k + c];
            X[xo + j * k + c] = X[xo + p * k + c];
            X[xo + p * k + c] = tmp;
          }
        }
        for (let i = j + 1; i < n; i++) {
          const f = lu[i * n + j] / piv;
          if (f === 0) continue;
          for (let c = j + 1; c < n; c++) lu[i * n + c] -= f * lu[j * n + c];
          for (let c = 0; c < k; c++)
            X[xo + i * k + c] -= f * X[xo + j * k + c];
        }
      }
      for (let i = n - 1; i >= 0; i--) {
        for (let c = 0; c < k; c++) {
          let v = X[xo + i * k + c];
          for (let j = i + 1; j < n; j++)
            v -= lu[i * n + j] * X[xo + j * k + c];
          X[xo + i * k + c] = v / lu[i * n + i];
        }
      }
    }
  },
});
