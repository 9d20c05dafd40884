/** reshape(x, shape): same data, new shape; one entry may be -1 (inferred). */
import { ShapeError } from '../errors.js';
import { defineOp, type KernelOp } from '../op.js';
import { fmtShape, sizeOf, type Shape } from '../shape.js';

/**
 * Attributes of the reshape primitive.
 * @example
 * const attrs: ReshapeAttrs = { shape: [3, -1] };
 * apply1(primitives.reshape, [zeros([6])], attrs).shape; // [3, 2]
 */
export interface ReshapeAttrs {
  /** The new shape; one entry may be -1 (inferred). */
  readonly shape: readonly number[];
}

/** Resolve one -1 entry and check that the sizes agree. */
export function resolveReshape(from: Shape, to: readonly number[]): number[] {
  const size = sizeOf(from);
  const unknown = to.filter((d) => d === -1).length;
  const bad = to.some((d) => !Number.isInteger(d) || d < -1);
  const known = sizeOf(to.filter((d) => d !== -1));
  if (
    bad ||
    unknown > 1 ||
    (unknown === 1 && (known === 0 || size % known !== 0))
  ) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `reshape: target must be non-negative integers with at most one -1 that divides evenly; ` +
        `got ${fmtShape(from)} → ${fmtShape(to)}.`,
    );
  }
  const out = to.map((d) => (d === -1 ? size / known : d));
  if (sizeOf(out) !== size) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `reshape: sizes must agree; got ${fmtShape(from)} (${size} elements) → ${fmtShape(to)} (${sizeOf(out)}). ` +
        `Use -1 for one inferred axis.`,
    );
  }
  return out;
}

export const reshape: KernelOp<ReshapeAttrs> = defineOp<ReshapeAttrs>({
  name: 'reshape',
  shape: ([x], { shape }) => [
    { shape: resolveReshape(x.shape, shape), dtype: x.dtype },
  ],
  cpu: ([x], [y]) => y.data.set(x.data),
  // Row-major data does not change with the shape: share the buffer.
  aliasOf: 0,
});
