/** Public functions for the movement primitives (and stack, a composite). */
import { apply1 } from '../apply.js';
import { ShapeError } from '../errors.js';
import { primitives as P } from '../primitives.js';
import { normalizeAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import type { DType } from '../dtype.js';
import { arange } from '../creation.js';
import type { SliceSpec } from '../ops/slice.js';
import { cast, equal, expand, reshape, unsqueeze } from './core.js';

/**
 * NumPy basic slicing: one {start, stop, step} per leading axis; missing axes
 * and missing fields take the whole axis. Negative indices count from the end.
 * @example
 * const x = tensor([[1, 2, 3], [4, 5, 6]]);
 * slice(x, [{}, { start: -1, step: -1 }]); // x[:, ::-1]: [[3, 2, 1], …]
 */
export function slice(x: Tensor, specs: readonly SliceSpec[]): Tensor {
  return apply1(P.slice, [x], { specs });
}

/**
 * Transpose of slice: `g` written into zeros of `shape` at the positions
 * `slice(·, specs)` reads (slice's VJP).
 * @example
 * sliceScatter(ones([2]), [4], [{ step: 2 }]); // [1, 0, 1, 0]
 */
export function sliceScatter(
  g: Tensor,
  shape: readonly number[],
  specs: readonly SliceSpec[],
): Tensor {
  return apply1(P.sliceScatter, [g], { shape: [...shape], specs });
}

/**
 * Constant padding: pads[a] = [before, after] for every axis.
 * @example
 * pad(tensor([[1, 2]]), [[0, 0], [1, 2]], 0); // [[0, 1, 2, 0, 0]]
 */
export function pad(
  x: Tensor,
  pads: readonly (readonly [number, number])[],
  value = 0,
): Tensor {
  return apply1(P.pad, [x], {
    pads: pads.map(([b, a]) => [b, a] as const),
    value,
  });
}

/**
 * Join along an existing axis; the other axes must agree.
 * @example
 * concat([ones([1, 2]), zeros([2, 2])], 0).shape; // [3, 2]
 */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 1) return xs[0];
  return apply1(P.concat, [...xs], { axis });
}

/**
 * Merge the axes `startAxis` … `endAxis` (inclusive) into one; a 0-d
 * tensor becomes [1] (PyTorch's flatten). A reshape: no copy on the CPU.
 * @example
 * flatten(zeros([8, 3, 4, 4]), 1).shape; // [8, 48]
 */
export function flatten(x: Tensor, startAxis = 0, endAxis = -1): Tensor {
  if (x.rank === 0) return reshape(x, [1]);
  const s = normalizeAxis('flatten', startAxis, x.rank);
  const e = normalizeAxis('flatten', endAxis, x.rank);
  if (s > e) {
    throw new ShapeError(
      'BAD_ARGUMENT',
      `flatten: startAxis must not come after endAxis; got ${startAxis} and ${endAxis} for rank ${x.rank}. ` +
        `Swap them.`,
    );
  }
  const merged = x.shape.slice(s, e + 1).reduce((a, b) => a * b, 1);
  return reshape(x, [...x.shape.slice(0, s), merged, ...x.shape.slice(e + 1)]);
}

/**
 * Join along a new axis (unsqueeze + concat): equal shapes required.
 * @example
 * stack([tensor([1, 2]), tensor([3, 4])], 0); // [[1, 2], [3, 4]]
 */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0)
    throw new ShapeError(
      'BAD_ARGUMENT',
      'stack: need at least one tensor; got 0. Pass a non-empty list.',
    );
  const a = normalizeAxis('stack', axis, xs[0].shape.length + 1);
  return concat(
    xs.map((x) => unsqueeze(x, a)),
    a,
  );
}

/**
 * Reverse the order of elements along `axes` (default: all axes).
 * @example
 * flip(tensor([[1, 2], [3, 4]]), [0]); // [[3, 4], [1, 2]]
 */
export function flip(x: Tensor, axes?: number | readonly number[]): Tensor {
  const list =
    axes === undefined
      ? [...Array(x.shape.length).keys()]
      : typeof axes === 'number'
        ? [axes]
        : [...axes];
  return apply1(P.flip, [x], { axes: list });
}

/**
 * torch.gather / take_along_axis: out[i] = x[i with i[axis] = indices[i]].
 * indices are int32 of x's rank; out-of-range → ShapeError BAD_ARGUMENT.
 * @example
 * const x = tensor([[1, 2], [3, 4]]);
 * gather(x, tensor([[1], [0]], { dtype: 'int32' }), 1); // [[2], [3]]
 */
export function gather(x: Tensor, indices: Tensor, axis: number): Tensor {
  return apply1(P.gather, [x, indices], { axis });
}

/**
 * Transpose of gather: zeros(shape) with out[i with i[axis] = indices[i]] +=
 * src[i].
 * Repeated indices accumulate (gather's VJP, histograms).
 * @example
 * const idx = tensor([0, 2, 0], { dtype: 'int32' });
 * scatterAdd(ones([3]), idx, 0, [4]); // [2, 0, 1, 0]
 */
export function scatterAdd(
  src: Tensor,
  indices: Tensor,
  axis: number,
  shape: readonly number[],
): Tensor {
  return apply1(P.scatterAdd, [src, indices], { axis, shape: [...shape] });
}

/**
 * Pick entries `indices` (1-D int32) along `axis`: a composite of gather.
 * Picks rows of a batch, e.g. a shuffled mini-batch.
 * @example
 * const x = tensor([[1, 1], [2, 2], [3, 3]]);
 * indexSelect(x, 0, tensor([2, 0], { dtype: 'int32' })); // [[3, 3], [1, 1]]
 */
export function indexSelect(x: Tensor, axis: number, indices: Tensor): Tensor {
  if (indices.shape.length !== 1) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `indexSelect: indices must be 1-D; got shape [${indices.shape.join(', ')}]. Reshape with indices.reshape([-1]).`,
    );
  }
  const r = x.shape.length;
  const a = normalizeAxis('indexSelect', axis, r);
  const k = indices.shape[0];
  const ones = x.shape.map((_, d) => (d === a ? k : 1));
  const out = x.shape.map((n, d) => (d === a ? k : n));
  return gather(x, expand(reshape(indices, ones), out), a);
}

/**
 * One-hot encoding along a new last axis (composite, no gradient).
 * @example
 * const labels = tensor([2, 0], { dtype: 'int32' });
 * oneHot(labels, 3); // [[0, 0, 1], [1, 0, 0]], float32
 */
export function oneHot(
  indices: Tensor,
  depth: number,
  options: { dtype?: DType } = {},
): Tensor {
  const hits = equal(
    unsqueeze(indices, -1),
    arange(0, depth, 1, { dtype: indices.dtype, backend: indices.backend }),
  );
  return cast(hits, options.dtype ?? 'float32');
}
