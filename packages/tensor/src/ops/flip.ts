/** flip(x, axes): reverse the order of elements along each of `axes`. */
import { defineOp, type KernelOp } from '../op.js';
import { normalizeAxes, stridesOf } from '../shape.js';
import { copyStrided } from './permute.js';

/**
 * Attributes of the flip primitive.
 * @example
 * const attrs: FlipAttrs = { axes: [1] };
 * apply1(primitives.flip, [tensor([[1, 2], [3, 4]])], attrs); // [[2, 1], …]
 */
export interface FlipAttrs {
  /** The (normalized) axes reversed. */
  readonly axes: readonly number[];
}

export const flip: KernelOp<FlipAttrs> = defineOp<FlipAttrs>({
  name: 'flip',
  shape: ([x], { axes }) => {
    normalizeAxes('flip', axes, x.shape.length);
    return [{ shape: [...x.shape], dtype: x.dtype }];
  },
  cpu: ([x], [y], { axes }) => {
    const ax = normalizeAxes('flip', axes, x.shape.length);
    const strides = stridesOf(x.shape);
    let base = 0;
    for (const a of ax) {
      if (x.shape[a] > 0) base += (x.shape[a] - 1) * strides[a];
      strides[a] = -strides[a];
    }
    if (y.data.length === 0) return;
    copyStrided(y.data, y.shape, x.data, strides, base);
  },
});
