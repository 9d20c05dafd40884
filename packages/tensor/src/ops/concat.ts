/** concat(xs, axis): join tensors of equal shape except along `axis`. */
import { assertSameDType } from '../dtype.js';
import { ShapeError } from '../errors.js';
import { defineOp, type KernelOp } from '../op.js';
import { fmtShape, normalizeAxis, stridesOf } from '../shape.js';
import { scatterStrided } from './slice.js';

/**
 * Attributes of the concat primitive.
 * @example
 * const attrs: ConcatAttrs = { axis: 0 };
 * apply1(primitives.concat, [ones([1, 2]), zeros([2, 2])], attrs); // [3, 2]
 */
export interface ConcatAttrs {
  /** The (normalized) axis joined along. */
  readonly axis: number;
}

export const concat: KernelOp<ConcatAttrs> = defineOp<ConcatAttrs>({
  name: 'concat',
  shape: (xs, { axis }) => {
    if (xs.length === 0)
      throw new ShapeError(
        'BAD_ARGUMENT',
        'concat: need at least one tensor; got 0. Pass a non-empty list.',
      );
    const r = xs[0].shape.length;
    const a = normalizeAxis('concat', axis, r);
    const dtype = assertSameDType(
      'concat',
      xs.map((x) => x.dtype),
      xs.map((_, i) => `xs[${i}]`),
    );
    const out = [...xs[0].shape];
    for (let i = 1; i < xs.length; i++) {
      const s = xs[i].shape;
      if (s.length !== r || s.some((n, j) => j !== a && n !== out[j])) {
        throw new ShapeError(
          'SHAPE_MISMATCH',
          `concat: shapes must match except on axis ${a}; got ${xs.map((x) => fmtShape(x.shape)).join(', ')}.`,
        );
      }
      out[a] += s[a];
    }
    return [{ shape: out, dtype }];
  },
  cpu: (xs, [y], { axis }) => {
    const a = normalizeAxis('concat', axis, y.shape.length);
    const st = stridesOf(y.shape);
    let off = 0;
    for (const x of xs) {
      scatterStrided(y.data, x.data, x.shape, st, off * st[a]);
      off += x.shape[a];
    }
  },
});
