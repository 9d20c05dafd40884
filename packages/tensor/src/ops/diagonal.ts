/**
 * diagonal(A): the main diagonal of each matrix, [..., n, n] → [..., n].
 * O(n) per matrix, where multiplying by I and summing rows reads and
 * writes all n² entries twice.
 */
import { defineOp, type KernelOp, type TensorMeta } from '../op.js';
import { squareSize } from './cholesky.js';
import type { NoAttrs } from './unary.js';

export const diagonal: KernelOp<NoAttrs> = defineOp<NoAttrs>({
  name: 'diagonal',
  shape: ([a]: readonly TensorMeta[]) => {
    const n = squareSize('diagonal', a.shape, 'A');
    return [{ shape: [...a.shape.slice(0, -2), n], dtype: a.dtype }];
  },
  cpu: ([a], [y]) => {
    const n = a.shape[a.shape.length - 1];
    const items = n === 0 ? 0 : y.data.length / n;
    for (let t = 0; t < items; t++) {
      for (let i = 0; i < n; i++)
        y.data[t * n + i] = a.data[t * n * n + i * n + i];
    }
  },
});
