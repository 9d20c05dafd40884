/**
 * cholesky(A): lower-triangular L with A = L·Lᵀ, batched over leading dims.
 * Reads only the lower triangle of A (the upper one is never touched).
 */
import { assertFloat } from '../dtype.js';
import { ShapeError, ValueError } from '../errors.js';
import { assertFinite } from './finite.js';
import { defineOp, type KernelOp, type TensorMeta } from '../op.js';
import { fmtShape, sizeOf, type Shape } from '../shape.js';
import type { NoAttrs } from './unary.js';

/** Throws unless `shape` is [..., n, n]; returns n. */
export function squareSize(op: string, shape: Shape, arg: string): number {
  const r = shape.length;
  if (r < 2 || shape[r - 1] !== shape[r - 2]) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `${op}: ${arg} must be a (batch of) square matrices [..., n, n]; got ${arg}${fmtShape(shape)}. ` +
        `Reshape ${arg} so its last two axes are equal.`,
    );
  }
  return shape[r - 1];
}

export const cholesky: KernelOp<NoAttrs> = defineOp<NoAttrs>({
  name: 'cholesky',
  shape: ([a]: readonly TensorMeta[]) => {
    assertFloat('cholesky', a.dtype, 'A');
    squareSize('cholesky', a.shape, 'A');
    return [{ shape: a.shape, dtype: a.dtype }];
  },
  cpu: ([a], [l]) => {
    assertFinite('cholesky', 'A', a);
    const n = a.shape[a.shape.length - 1];
    const nn = n * n;
    const batch = n === 0 ? 0 : sizeOf(a.shape) / nn;
    const A = a.data;
    const L = l.data;
    for (let b = 0; b < batch; b++) {
      const o = b * nn;
      for (let j = 0; j < n; j++) {
        let d = A[o + j * n + j];
        for (let k = 0; k < j; k++) d -= L[o + j * n + k] * L[o + j * n + k];
        if (!(d > 0)) {
          throw new ValueError(
            'NOT_POSITIVE_DEFINITE',
            `cholesky: A must be symmetric positive definite; Cholesky failed for batch item ${b} ` +
              `at pivot ${j} (${d.toPrecision(3)}). ` +
              `Check that A is symmetric PD, or add a small multiple of the identity (A + εI).`,
          );
        }
        const ljj = Math.sqrt(d);
        L[o + j * n + j] = ljj;
        for (let i = j + 1; i < n; i++) {
          let s = A[o + i * n + j];
          for (let k = 0; k < j; k++) s -= L[o + i * n + k] * L[o + j * n + k];
          L[o + i * n + j] = s / ljj;
        }
      }
    }
  },
});
