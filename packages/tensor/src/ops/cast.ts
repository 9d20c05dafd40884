/** cast(x, dtype): convert element type. Float → int truncates toward zero. */
import { isDType, type DType } from '../dtype.js';
import { DTypeError } from '../errors.js';
import { defineOp, type KernelOp } from '../op.js';

/**
 * Attributes of the cast primitive.
 * @example
 * const attrs: CastAttrs = { dtype: 'int32' };
 * apply1(primitives.cast, [tensor([1.7, -1.7])], attrs); // [1, -1]
 */
export interface CastAttrs {
  /** The dtype to convert to. */
  readonly dtype: DType;
}

export const cast: KernelOp<CastAttrs> = defineOp<CastAttrs>({
  name: 'cast',
  shape: ([x], { dtype }) => {
    if (!isDType(dtype)) {
      throw new DTypeError(
        'DTYPE_MISMATCH',
        `cast: dtype must be float32, float64, int32 or bool; got ${String(dtype)}.`,
      );
    }
    return [{ shape: x.shape, dtype }];
  },
  cpu: ([x], [y], { dtype }) => {
    const a = x.data;
    const out = y.data;
    if (dtype === 'bool')
      for (let i = 0; i < a.length; i++) out[i] = a[i] !== 0 ? 1 : 0;
    else if (dtype === 'int32')
      for (let i = 0; i < a.length; i++) out[i] = Math.trunc(a[i]);
    else out.set(a);
  },
});
