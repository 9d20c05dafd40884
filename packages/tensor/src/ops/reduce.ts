/**
 * Reductions over any set of axes: sum, prod, max, min (attrs hold the
 * normalized, sorted axes and keepdims), and argmax/argmin along one axis.
 * NaN propagates through max/min as in NumPy.
 */
import { DTypeError } from '../errors.js';
import {
  defineOp,
  type CpuTensor,
  type KernelOp,
  type TensorMeta,
} from '../op.js';
import { normalizeAxis, sizeOf, type Shape } from '../shape.js';
import { broadcastStrides, forEachRow } from './broadcast-loop.js';

/**
 * Attributes of sum, prod, max and min.
 * @example
 * const attrs: ReduceAttrs = { axes: [1], keepdims: true };
 * apply1(primitives.sum, [ones([2, 3])], attrs); // [[3], [3]]
 */
export interface ReduceAttrs {
  /** Normalized, sorted, unique axes. */
  readonly axes: readonly number[];
  /** Keep the reduced axes with size 1. */
  readonly keepdims: boolean;
}

/**
 * Attributes of argmax and argmin.
 * @example
 * const attrs: ArgReduceAttrs = { axis: 0, keepdims: false };
 * apply1(primitives.argmax, [tensor([3, 9, 1])], attrs); // 1
 */
export interface ArgReduceAttrs {
  /** The (normalized) axis searched. */
  readonly axis: number;
  /** Keep the reduced axis with size 1. */
  readonly keepdims: boolean;
}

/**
 * Output shape of a reduction over `axes`: for the `shape` rule of a
 * reduction of your own.
 * @example
 * reducedShape([2, 3, 4], [1], false); // [2, 4]
 * reducedShape([2, 3, 4], [1], true); // [2, 1, 4]
 */
export function reducedShape(
  shape: Shape,
  axes: readonly number[],
  keepdims: boolean,
): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepdims) out.push(1);
  });
  return out;
}

interface ReduceRow {
  readonly init: number;
  readonly f: (acc: number, x: number) => number;
  readonly allowEmpty: boolean;
}

export type ReduceName = 'sum' | 'prod' | 'max' | 'min';

const rows: Record<ReduceName, ReduceRow> = {
  sum: { init: 0, f: (a, x) => a + x, allowEmpty: true },
  prod: { init: 1, f: (a, x) => a * x, allowEmpty: true },
  max: {
    init: -Infinity,
    f: (a, x) => (x > a || x !== x ? x : a),
    allowEmpty: false,
  },
  min: {
    init: Infinity,
    f: (a, x) => (x < a || x !== x ? x : a),
    allowEmpty: false,
  },
};

function reduceShape(name: string, allowEmpty: boolean) {
  return (
    [x]: readonly TensorMeta[],
    { axes, keepdims }: ReduceAttrs,
  ): TensorMeta[] => {
    if (x.dtype === 'bool') {
      throw new DTypeError(
        'DTYPE_MISMATCH',
        `${name}: x must be numeric; got bool. Cast first: x.cast('int32').`,
      );
    }
    if (!allowEmpty && axes.some((a) => x.shape[a] === 0)) {
      throw new DTypeError(
        'BAD_ARGUMENT',
        `${name}: cannot reduce an empty axis; got shape [${x.shape.join(', ')}] with axes [${axes.join(', ')}].`,
      );
    }
    return [{ shape: reducedShape(x.shape, axes, keepdims), dtype: x.dtype }];
  };
}

/** Fold every input element into its output slot with `f`. */
function reduceInto(
  x: CpuTensor,
  y: CpuTensor,
  axes: readonly number[],
  row: ReduceRow,
): void {
  const out = y.data;
  out.fill(row.init);
  if (x.data.length === 0) return;
  const keep = reducedShape(x.shape, axes, true);
  const so = broadcastStrides(keep, x.shape);
  const r = x.shape.length;
  if (r === 0) {
    out[0] = row.f(row.init, x.data[0]);
    return;
  }
  const m = x.shape[r - 1];
  const lo = so[r - 1];
  const f = row.f;
  const a = x.data;
  forEachRow(x.shape, [so], (i, [o]) => {
    if (lo === 0) {
      let acc = out[o];
      for (let j = 0; j < m; j++) acc = f(acc, a[i + j]);
      out[o] = acc;
    } else {
      for (let j = 0; j < m; j++) out[o + j] = f(out[o + j], a[i + j]);
    }
  });
}

/**
 * The common case, a reduction over the last axis only: out[r] folds the
 * contiguous row a[r·m .. r·m + m). One literal per op, so V8 inlines the
 * fold (reduceInto's shared loop calls `f` per element and is several
 * times slower on the solver's small [nBatch, n] reductions).
 */
type LastAxis = (
  a: ArrayLike<number>,
  out: { [i: number]: number },
  rows: number,
  m: number,
) => void;
const lastAxis: Record<ReduceName, LastAxis> = {
  sum: (a, out, rows, m) => {
    for (let r = 0, o = 0; r < rows; r++, o += m) {
      let acc = 0;
      for (let j = 0; j < m; j++) acc += a[o + j];
      out[r] = acc;
    }
  },
  prod: (a, out, rows, m) => {
    for (let r = 0, o = 0; r < rows; r++, o += m) {
      let acc = 1;
      for (let j = 0; j < m; j++) acc *= a[o + j];
      out[r] = acc;
    }
  },
  max: (a, out, rows, m) => {
    for (let r = 0, o = 0; r < rows; r++, o += m) {
      let acc = -Infinity;
      for (let j = 0; j < m; j++) {
        const x = a[o + j];
        if (x > acc || x !== x) acc = x;
      }
      out[r] = acc;
    }
  },
  min: (a, out, rows, m) => {
    for (let r = 0, o = 0; r < rows; r++, o += m) {
      let acc = Infinity;
      for (let j = 0; j < m; j++) {
        const x = a[o + j];
        if (x < acc || x !== x) acc = x;
      }
      out[r] = acc;
    }
  },
};

function makeReduce(name: ReduceName): KernelOp<ReduceAttrs> {
  const row: ReduceRow = rows[name];
  const last = lastAxis[name];
  return defineOp<ReduceAttrs>({
    name,
    shape: reduceShape(name, row.allowEmpty),
    cpu: ([x], [y], { axes }) => {
      const r = x.shape.length;
      if (
        r > 0 &&
        axes.length === 1 &&
        axes[0] === r - 1 &&
        x.shape[r - 1] > 0
      ) {
        last(x.data, y.data, y.data.length, x.shape[r - 1]);
        return;
      }
      reduceInto(x, y, axes, row);
    },
  });
}

function makeArgReduce(name: 'argmax' | 'argmin'): KernelOp<ArgReduceAttrs> {
  const better =
    name === 'argmax'
      ? (v: number, b: number) => v > b
      : (v: number, b: number) => v < b;
  return defineOp<ArgReduceAttrs>({
    name,
    shape: ([x], { axis, keepdims }) => {
      const ax = normalizeAxis(name, axis, x.shape.length);
      if (x.shape[ax] === 0) {
        throw new DTypeError(
          'BAD_ARGUMENT',
          `${name}: cannot reduce an empty axis; got shape [${x.shape.join(', ')}], axis ${axis}.`,
        );
      }
      return [{ shape: reducedShape(x.shape, [ax], keepdims), dtype: 'int32' }];
    },
    cpu: ([x], [y], { axis }) => {
      const ax = normalizeAxis(name, axis, x.shape.length);
      const n = x.shape[ax];
      const inner = sizeOf(x.shape.slice(ax + 1));
      const outer = sizeOf(x.shape.slice(0, ax));
      for (let o = 0; o < outer; o++) {
        for (let k = 0; k < inner; k++) {
          const base = o * n * inner + k;
          let best = x.data[base];
          let bi = 0;
          for (let j = 1; j < n && best === best; j++) {
            const v = x.data[base + j * inner];
            // First NaN wins, as in NumPy; ties keep the first index.
            if (better(v, best) || v !== v) {
              best = v;
              bi = j;
            }
          }
          y.data[o * inner + k] = bi;
        }
      }
    },
  });
}

/**
 * The reduction primitives (part of `Primitives`).
 * @example
 * const op: ReducePrimitives['max'] = primitives.max;
 * apply1(op, [tensor([1, 5, 2])], { axes: [0], keepdims: false }); // 5
 */
export interface ReducePrimitives {
  /** Σ over the axes. */
  readonly sum: KernelOp<ReduceAttrs>;
  /** Π over the axes. */
  readonly prod: KernelOp<ReduceAttrs>;
  /** The max over the axes (NaN propagates). */
  readonly max: KernelOp<ReduceAttrs>;
  /** The min over the axes (NaN propagates). */
  readonly min: KernelOp<ReduceAttrs>;
  /** The index of the first max along one axis (int32). */
  readonly argmax: KernelOp<ArgReduceAttrs>;
  /** The index of the first min along one axis (int32). */
  readonly argmin: KernelOp<ArgReduceAttrs>;
}

export const reducePrimitives: ReducePrimitives = {
  sum: makeReduce('sum'),
  prod: makeReduce('prod'),
  max: makeReduce('max'),
  min: makeReduce('min'),
  argmax: makeArgReduce('argmax'),
  argmin: makeArgReduce('argmin'),
};
