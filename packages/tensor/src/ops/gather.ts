/**
 * gather(x, idx, axis): out[i] = x[i with i[axis] replaced by idx[i]]
 * (torch.gather: idx has x's rank, idx.shape[d] ≤ x.shape[d] for d ≠ axis).
 * scatterAdd(src, idx, {axis, shape}): its transpose, zeros(shape) with
 * out[i with i[axis] = idx[i]] += src[i] (repeated indices accumulate).
 */
import { DTypeError, ShapeError, type OptnetError } from '../errors.js';
import {
  defineOp,
  type KernelFailure,
  type KernelOp,
  type TensorMeta,
} from '../op.js';
import { unknownFailure } from './finite.js';
import { fmtShape, normalizeAxis, stridesOf, type Shape } from '../shape.js';

/**
 * Attributes of the gather primitive.
 * @example
 * const attrs: GatherAttrs = { axis: 0 };
 * const idx = tensor([2, 0], { dtype: 'int32' });
 * apply1(primitives.gather, [tensor([5, 6, 7]), idx], attrs); // [7, 5]
 */
export interface GatherAttrs {
  /** The (normalized) axis indexed. */
  readonly axis: number;
}

/**
 * Attributes of the scatterAdd primitive.
 * @example
 * const attrs: ScatterAddAttrs = { axis: 0, shape: [3] };
 * const idx = tensor([2, 2], { dtype: 'int32' });
 * apply1(primitives.scatterAdd, [ones([2]), idx], attrs); // [0, 0, 2]
 */
export interface ScatterAddAttrs {
  /** The (normalized) axis indexed. */
  readonly axis: number;
  /** Shape of the output (the gathered-from tensor). */
  readonly shape: readonly number[];
}

function checkIndex(
  op: string,
  target: Shape,
  idx: TensorMeta,
  axis: number,
): number {
  if (idx.dtype !== 'int32') {
    throw new DTypeError(
      'DTYPE_MISMATCH',
      `${op}: indices must be int32; got ${idx.dtype}. Cast first: indices.cast('int32').`,
    );
  }
  const a = normalizeAxis(op, axis, target.length);
  if (
    idx.shape.length !== target.length ||
    idx.shape.some((n, d) => d !== a && n > target[d])
  ) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `${op}: indices must have the data's rank and size ≤ the data's on every axis but ${a}; got indices ${fmtShape(idx.shape)}, data ${fmtShape(target)}.`,
    );
  }
  return a;
}

/**
 * The error for index `k` at flat position `i` of indices of shape
 * `idxShape`, outside [0, n) on axis `a`.
 */
function outOfRange(
  op: string,
  idxShape: Shape,
  i: number,
  k: number,
  a: number,
  n: number,
): ShapeError {
  const pos = stridesOf(idxShape).map(
    (s, d) => Math.floor(i / s) % idxShape[d],
  );
  return new ShapeError(
    'BAD_ARGUMENT',
    `${op}: index ${k} at position [${pos.join(', ')}] is out of range for axis ${a} of size ${n}. Indices must lie in [0, ${n}).`,
  );
}

/**
 * The error of a recorded index failure (input 1, flat position `index`,
 * the index `value`) against a target of shape `target`.
 */
function indexFailure(
  op: string,
  f: KernelFailure,
  idx: TensorMeta,
  target: Shape,
  axis: number,
): OptnetError {
  if (f.code !== 'BAD_ARGUMENT') return unknownFailure(op, f);
  const a = normalizeAxis(op, axis, target.length);
  return outOfRange(op, idx.shape, f.index, f.value, a, target[a]);
}

/**
 * Calls visit(i, off) for each row-major position i of idxShape, off = offset
 * into `target` of that position with index idx[i] on axis `a`. When the
 * last axis is not `a`, its positions are stepped in an inner loop (one
 * add per element instead of a pass over every axis).
 */
function walk(
  op: string,
  idx: Int32Array,
  idxShape: Shape,
  target: Shape,
  a: number,
  visit: (i: number, off: number) => void,
): void {
  const r = idxShape.length;
  const ts = stridesOf(target);
  const n = target[a];
  // the inner run: the last axis, unless it is the one indexed
  const last = r - 1;
  const inner = last >= 0 && last !== a ? idxShape[last] : 1;
  const innerStride = inner > 1 ? ts[last] : 0;
  const outer = r - (inner > 1 ? 1 : 0);
  const pos = new Array<number>(outer).fill(0);
  for (let i = 0; i < idx.length;) {
    let base = 0;
    for (let d = 0; d < outer; d++) if (d !== a) base += pos[d] * ts[d];
    for (let j = 0; j < inner; j++, i++) {
      const k = idx[i];
      if (!(k >= 0 && k < n)) throw outOfRange(op, idxShape, i, k, a, n);
      visit(i, base + j * innerStride + k * ts[a]);
    }
    for (let d = outer - 1; d >= 0; d--) {
      if (++pos[d] < idxShape[d]) break;
      pos[d] = 0;
    }
  }
}

export const gather: KernelOp<GatherAttrs> = defineOp<GatherAttrs>({
  name: 'gather',
  shape: ([x, idx], { axis }) => {
    checkIndex('gather', x.shape, idx, axis);
    return [{ shape: [...idx.shape], dtype: x.dtype }];
  },
  failure: (f, [x, idx], { axis }) =>
    indexFailure('gather', f, idx, x.shape, axis),
  cpu: ([x, idx], [y], { axis }) => {
    const a = normalizeAxis('gather', axis, x.shape.length);
    const xd = x.data;
    const yd = y.data;
    walk('gather', idx.data as Int32Array, idx.shape, x.shape, a, (i, off) => {
      yd[i] = xd[off];
    });
  },
});

export const scatterAdd: KernelOp<ScatterAddAttrs> = defineOp<ScatterAddAttrs>({
  name: 'scatterAdd',
  shape: ([src, idx], { axis, shape }) => {
    checkIndex('scatterAdd', shape, idx, axis);
    if (
      src.shape.length !== idx.shape.length ||
      src.shape.some((n, d) => n !== idx.shape[d])
    ) {
      throw new ShapeError(
        'SHAPE_MISMATCH',
        `scatterAdd: src and indices must have one shape; got ${fmtShape(src.shape)} and ${fmtShape(idx.shape)}.`,
      );
    }
    return [{ shape: [...shape], dtype: src.dtype }];
  },
  failure: (f, [, idx], { axis, shape }) =>
    indexFailure('scatterAdd', f, idx, shape, axis),
  cpu: ([src, idx], [y], { axis, shape }) => {
    const a = normalizeAxis('scatterAdd', axis, shape.length);
    const sd = src.data;
    const yd = y.data;
    walk(
      'scatterAdd',
      idx.data as Int32Array,
      idx.shape,
      shape,
      a,
      (i, off) => {
        yd[off] += sd[i];
      },
    );
  },
});
