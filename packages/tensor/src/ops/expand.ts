/** expand(x, shape): broadcast x to `shape` (NumPy broadcast_to), copying. */
import { ShapeError } from '../errors.js';
import { defineOp, type KernelOp } from '../op.js';
import type { TypedArray } from '../dtype.js';
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
  cpu: ([x], [y]) => {
    if (!expandFast(x.data, x.shape, y.data, y.shape))
      copyStrided(y.data, y.shape, x.data, broadcastStrides(x.shape, y.shape));
  },
});

/**
 * The two common expands as native fills and copies: a column [..., r, 1]
 * along its last axis (each row one value), and a block repeated along
 * leading axes (x equals y's trailing axes). False for any other.
 */
function expandFast(
  x: TypedArray,
  xShape: Shape,
  y: TypedArray,
  yShape: Shape,
): boolean {
  const n = y.length;
  const m = yShape[yShape.length - 1];
  if (n === 0 || x.length === 0) return false;
  const tail = yShape.slice(yShape.length - xShape.length);
  const lead = xShape.findIndex((d) => d !== 1);
  const block =
    lead >= 0 && xShape.slice(lead).every((d, i) => d === tail[lead + i]);
  if (x.length === 1) {
    y.fill(x[0]);
    return true;
  }
  if (block) {
    for (let o = 0; o < n; o += x.length) y.set(x, o);
    return true;
  }
  const column =
    xShape[xShape.length - 1] === 1 &&
    x.length * m === n &&
    xShape.slice(0, -1).every((d, i) => d === tail[i]);
  if (!column) return false;
  for (let i = 0, o = 0; i < x.length; i++, o += m) y.fill(x[i], o, o + m);
  return true;
}
