/** Shapes, strides, axes and NumPy broadcasting. */
import { ShapeError } from './errors.js';

/**
 * A tensor's shape: the size of each axis, outermost first ([] for a
 * scalar).
 * @example
 * const shape: Shape = zeros([2, 3]).shape; // [2, 3]
 */
export type Shape = readonly number[];

/**
 * The number of elements of a tensor of this shape (1 for []).
 * @example
 * sizeOf([2, 3, 4]); // 24
 */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Row-major strides in elements: how far apart neighbours along each axis
 * sit in the flat data.
 * @example
 * stridesOf([2, 3, 4]); // [12, 4, 1]
 */
export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/**
 * A shape as error messages write it.
 * @example
 * fmtShape([2, 3]); // '[2, 3]'
 */
export function fmtShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Whether two shapes are the same, axis by axis.
 * @example
 * shapesEqual([2, 3], [2, 3]); // true
 * shapesEqual([2, 3], [3, 2]); // false
 */
export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * NumPy broadcasting: align trailing axes; each pair must be equal or 1.
 * The output shape of an elementwise op; throws ShapeError otherwise.
 * @example
 * broadcastShapes([2, 1, 3], [4, 3]); // [2, 4, 3]
 */
export function broadcastShapes(...shapes: Shape[]): number[] {
  return broadcastNamed(
    'broadcast',
    shapes,
    shapes.map((_, i) => `#${i}`),
  );
}

/** broadcastShapes with the op and argument names used in the error. */
export function broadcastNamed(
  op: string,
  shapes: Shape[],
  names: string[],
): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (let ax = -1; ax >= -rank; ax--) {
    let owner = -1;
    for (let i = 0; i < shapes.length; i++) {
      const s = shapes[i];
      const d = s.length + ax >= 0 ? s[s.length + ax] : 1;
      const cur = out[rank + ax];
      if (d === cur || d === 1) continue;
      if (cur === 1) {
        out[rank + ax] = d;
        owner = i;
        continue;
      }
      const a = owner >= 0 ? owner : 0;
      throw new ShapeError(
        'SHAPE_MISMATCH',
        `${op}: cannot broadcast ${names[a]}${fmtShape(shapes[a])} with ` +
          `${names[i]}${fmtShape(s)} (axis ${ax}: ${cur} vs ${d}). ` +
          `Axes must be equal or 1; reshape or unsqueeze one input.`,
      );
    }
  }
  return out;
}

/**
 * Resolve a possibly negative axis against `rank`, or throw BAD_AXIS
 * naming `op`: for ops of your own that take an axis.
 * @example
 * normalizeAxis('myOp', -1, 3); // 2
 */
export function normalizeAxis(op: string, axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    const range =
      rank === 0 ? 'none (scalar input)' : `[${-rank}, ${rank - 1}]`;
    throw new ShapeError(
      'BAD_AXIS',
      `${op}: axis must be an integer in ${range}; got ${axis} for rank ${rank}.`,
    );
  }
  return axis < 0 ? axis + rank : axis;
}

/**
 * Resolve an axes argument (undefined = all axes) to sorted unique axes,
 * or throw BAD_AXIS naming `op`: for reductions of your own.
 * @example
 * normalizeAxes('myOp', [-1, 0], 3); // [0, 2]
 * normalizeAxes('myOp', undefined, 2); // [0, 1]
 */
export function normalizeAxes(
  op: string,
  axes: number | readonly number[] | undefined | null,
  rank: number,
): number[] {
  if (axes === undefined || axes === null) return [...Array(rank).keys()];
  if (typeof axes !== 'number' && !Array.isArray(axes)) {
    throw new ShapeError(
      'BAD_ARGUMENT',
      `${op}: axes must be a number or an array of numbers; got ${typeof axes === 'object' ? 'an object' : String(axes)}. Axes and keepdims are positional: x.${op}(1, true) for PyTorch's dim=1, keepdim=True.`,
    );
  }
  const list = typeof axes === 'number' ? [axes] : [...axes];
  const out = list.map((a) => normalizeAxis(op, a, rank));
  const uniq = [...new Set(out)].sort((a, b) => a - b);
  if (uniq.length !== out.length) {
    throw new ShapeError(
      'BAD_AXIS',
      `${op}: axes must not repeat; got [${list.join(', ')}].`,
    );
  }
  return uniq;
}

/** Validate a user-supplied shape (non-negative integers). */
export function checkShape(op: string, shape: readonly number[]): number[] {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new ShapeError(
        'BAD_ARGUMENT',
        `${op}: shape entries must be non-negative integers; got ${fmtShape(shape)}.`,
      );
    }
  }
  return [...shape];
}
