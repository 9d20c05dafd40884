/** expand(x, shape): broadcast x to `shape` (NumPy broadcast_to), copying. */
import { ShapeError } from '../errors.js';
import { defineOp, type KernelOp } from '../op.js';
import { fmtShape, type Shape } from '../shape.js';
import { broadcastStrides } from './broadcast-loop.js';
import { copyStrided } from './permute.js';

/**
 * Attributes of the expand primitive.
 * @example
 * const attrs: ExpandAttrs = { shape: [2, 3] };
 * apply1(primitives.expand, [tensor([1, 2, 3])], attrs); // [2, 3]
 */
export interface ExpandAttrs {
  /** The target shape (x broadcasts to it). */
  readonly shape: readonly number[];
}

/** Resolve -1 entries (keep x's size) and check that x broadcasts to it. */
export function resolveExpand(from: Shape, to: readonly number[]): number[] {
  const off = to.length - from.length;
  const out = to.map((d, i) => (d === -1 && i >= off ? from[i - off] : d));
  const ok =
    off >= 0 &&
    out.every((d) => Number.isInteger(d) && d >= 0) &&
    from.every((d, i) => d === out[i + off] || d === 1);
  if (!ok) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `expand: x${fmtShape(from)} cannot broadcast to ${fmtShape(to)}; ` +
        `each axis of x must equal the target's or be 1. Reshape x first.`,
    );
  }
  return out;
}

export const expand: KernelOp<ExpandAttrs> = defineOp<ExpandAttrs>({
  name: 'expand',
  shape: ([x], { shape }) => [
    { shape: resolveExpand(x.shape, shape), dtype: x.dtype },
  ],
  cpu: ([x], [y]) =>
    copyStrided(y.data, y.shape, x.data, broadcastStrides(x.shape, y.shape)),
});
