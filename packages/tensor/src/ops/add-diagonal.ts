/**
 * addDiagonal(A, d): A + diag(d) for A [..., n, n] and d [..., n], batch
 * dims broadcasting. One pass (a copy of A with d added on its diagonal)
 * instead of materializing diag(d) as a full [..., n, n] tensor and adding
 * it: the interior-point solver adds a new diagonal to a fixed matrix every
 * iteration, and for 128 matrices of size 100 the two full-size temporaries
 * cost more than the Cholesky factorization that follows.
 */
import { assertSameDType, assertFloat } from '../dtype.js';
import { ShapeError } from '../errors.js';
import {
  defineOp,
  runAll,
  type CpuBatch,
  type KernelOp,
  type TensorMeta,
} from '../op.js';
import { broadcastNamed, fmtShape, sizeOf } from '../shape.js';
import { squareSize } from './cholesky.js';
import { batchMap } from './triangular-solve.js';
import type { NoAttrs } from './unary.js';

/**
 * The kernel on output batch items [start, end): copy each matrix, add its
 * diagonal.
 */
const addDiagonalBatch: CpuBatch<NoAttrs> = {
  items: (_inputs, [y]) => sizeOf(y.shape.slice(0, -2)),
  // A copy, not flops: one unit per element written.
  cost: (_inputs, [y]) => sizeOf(y.shape),
  run: ([a, d], [y], _attrs, start, end) => {
    const n = y.shape[y.shape.length - 1];
    const nn = n * n;
    const outBatch = y.shape.slice(0, -2);
    const am = batchMap(a.shape.slice(0, -2), outBatch);
    const dm = batchMap(d.shape.slice(0, -1), outBatch);
    const A = a.data;
    const D = d.data;
    const Y = y.data;
    for (let t = start; t < end; t++) {
      const ao = am[t] * nn;
      const yo = t * nn;
      Y.set(A.subarray(ao, ao + nn), yo);
      const dOff = dm[t] * n;
      for (let i = 0; i < n; i++) Y[yo + i * n + i] += D[dOff + i];
    }
  },
};

export const addDiagonal: KernelOp<NoAttrs> = defineOp<NoAttrs>({
  name: 'addDiagonal',
  shape: ([a, d]: readonly TensorMeta[]) => {
    assertFloat('addDiagonal', a.dtype, 'A');
    const dtype = assertSameDType(
      'addDiagonal',
      [a.dtype, d.dtype],
      ['A', 'd'],
    );
    const n = squareSize('addDiagonal', a.shape, 'A');
    if (d.shape.length < 1 || d.shape[d.shape.length - 1] !== n) {
      throw new ShapeError(
        'SHAPE_MISMATCH',
        `addDiagonal: d must be [..., n] with n = ${n} to match A; got A${fmtShape(a.shape)}, d${fmtShape(d.shape)}. ` +
          `Pass one diagonal entry per row of A.`,
      );
    }
    const batch = broadcastNamed(
      'addDiagonal',
      [a.shape.slice(0, -2), d.shape.slice(0, -1)],
      ['A', 'd'],
    );
    return [{ shape: [...batch, n, n], dtype }];
  },
  cpuBatch: addDiagonalBatch,
  cpu: runAll(addDiagonalBatch),
});
