/**
 * pad(x, pads, value): constant padding, pads[a] = [before, after] for every
 * axis.
 */
import { ShapeError } from '../errors.js';
import { defineOp, type KernelOp } from '../op.js';
import { fmtShape, stridesOf } from '../shape.js';
import { scatterStrided } from './slice.js';

/**
 * Attributes of the pad primitive.
 * @example
 * const attrs: PadAttrs = { pads: [[1, 2]], value: 0 };
 * apply1(primitives.pad, [tensor([5])], attrs); // [0, 5, 0, 0]
 */
export interface PadAttrs {
  /** [before, after] for every axis. */
  readonly pads: readonly (readonly [number, number])[];
  /** The value of the added elements. */
  readonly value: number;
}

export const pad: KernelOp<PadAttrs> = defineOp<PadAttrs>({
  name: 'pad',
  shape: ([x], { pads }) => {
    const ok =
      pads.length === x.shape.length &&
      pads.every(
        (p) => p.length === 2 && p.every((v) => Number.isInteger(v) && v >= 0),
      );
    if (!ok) {
      throw new ShapeError(
        'BAD_ARGUMENT',
        `pad: need one [before, after] pair of non-negative integers per axis; got ${JSON.stringify(pads)} for shape ${fmtShape(x.shape)}.`,
      );
    }
    return [
      {
        shape: x.shape.map((n, a) => n + pads[a][0] + pads[a][1]),
        dtype: x.dtype,
      },
    ];
  },
  cpu: ([x], [y], { pads, value }) => {
    if (value !== 0) y.data.fill(value);
    const st = stridesOf(y.shape);
    const base = pads.reduce((s, p, a) => s + p[0] * st[a], 0);
    scatterStrided(y.data, x.data, x.shape, st, base);
  },
});
