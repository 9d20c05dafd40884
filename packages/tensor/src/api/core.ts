/**
 * Public functions for the core primitives: elementwise math, comparisons,
 * where, cast, sum-family reductions, reshape, permute and expand, relu,
 * and the composites built from them (mean, squeeze, transpose, ...).
 */
import { apply1 } from '../apply.js';
import { scalar } from '../creation.js';
import { isFloat, type DType } from '../dtype.js';
import { DTypeError, ShapeError } from '../errors.js';
import { primitives as P } from '../primitives.js';
import { normalizeAxes, normalizeAxis, fmtShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { normalizePerm } from '../ops/permute.js';
import type { NoAttrs } from '../ops/unary.js';

/**
 * A tensor, or a number that takes the other operand's dtype: what binary
 * ops accept on either side.
 * @example
 * const b: TensorLike = 2;
 * add(tensor([1, 2]), b); // [3, 4]
 */
export type TensorLike = Tensor | number | boolean;

const none: NoAttrs = {};

/**
 * Turn a number into a scalar tensor of `like`'s dtype and backend (a
 * tensor is returned as is): for functions of your own that take
 * TensorLike.
 * @example
 * asTensor(2, zeros([3], { dtype: 'float64' })); // float64 scalar 2
 */
export function asTensor(v: TensorLike, like: Tensor): Tensor {
  if (v instanceof Tensor) return v;
  return scalar(v, like.dtype, like.backend);
}

/**
 * asTensor for binary op `op`, refusing a number an int32 operand would
 * round (`i.less(2.5)` would compare with 2).
 */
function operand(v: TensorLike, like: Tensor, op: string): Tensor {
  if (like.dtype === 'int32' && typeof v === 'number' && (v | 0) !== v) {
    throw new DTypeError(
      'DTYPE_MISMATCH',
      `${op}: a number takes the int32 tensor's dtype, so it must be an integer from −2³¹ to 2³¹ − 1; got ${v}. Cast the tensor to a float dtype first, e.g. x.cast('float32').${op}(${v}).`,
    );
  }
  return asTensor(v, like);
}

function pair(a: TensorLike, b: TensorLike, op: string): [Tensor, Tensor] {
  if (a instanceof Tensor) return [a, operand(b, a, op)];
  if (b instanceof Tensor) return [operand(a, b, op), b];
  throw new ShapeError(
    'BAD_ARGUMENT',
    `${op}: at least one argument must be a Tensor; got ${typeof a} and ${typeof b}. Wrap one with tensor(...).`,
  );
}

// Unary: y = f(x) elementwise.
/**
 * −x elementwise.
 * @example
 * neg(tensor([1, -2])); // [-1, 2]
 */
export function neg(x: Tensor): Tensor {
  return apply1(P.neg, [x], none);
}
/**
 * |x| elementwise.
 * @example
 * abs(tensor([1, -2])); // [1, 2]
 */
export function abs(x: Tensor): Tensor {
  return apply1(P.abs, [x], none);
}
/**
 * −1, 0 or 1 by the sign of each element.
 * @example
 * sign(tensor([-3, 0, 2])); // [-1, 0, 1]
 */
export function sign(x: Tensor): Tensor {
  return apply1(P.sign, [x], none);
}
/**
 * x² elementwise.
 * @example
 * square(tensor([1, -2])); // [1, 4]
 */
export function square(x: Tensor): Tensor {
  return apply1(P.square, [x], none);
}
/**
 * eˣ elementwise.
 * @example
 * exp(tensor([0, 1])); // [1, 2.718]
 */
export function exp(x: Tensor): Tensor {
  return apply1(P.exp, [x], none);
}
/**
 * The natural logarithm elementwise (−Infinity at 0, NaN below).
 * @example
 * log(tensor([1, Math.E])); // [0, 1]
 */
export function log(x: Tensor): Tensor {
  return apply1(P.log, [x], none);
}
/**
 * log(1 + x), accurate for small x where 1 + x rounds.
 * @example
 * log1p(tensor([1e-10])); // [1e-10]
 */
export function log1p(x: Tensor): Tensor {
  return apply1(P.log1p, [x], none);
}
/**
 * √x elementwise.
 * @example
 * sqrt(tensor([4, 9])); // [2, 3]
 */
export function sqrt(x: Tensor): Tensor {
  return apply1(P.sqrt, [x], none);
}
/**
 * 1/√x elementwise, in one op (normalizations).
 * @example
 * rsqrt(tensor([4, 16])); // [0.5, 0.25]
 */
export function rsqrt(x: Tensor): Tensor {
  return apply1(P.rsqrt, [x], none);
}
/**
 * 1/x elementwise.
 * @example
 * reciprocal(tensor([2, 4])); // [0.5, 0.25]
 */
export function reciprocal(x: Tensor): Tensor {
  return apply1(P.reciprocal, [x], none);
}
/**
 * sin x elementwise (radians).
 * @example
 * sin(tensor([0, Math.PI / 2])); // [0, 1]
 */
export function sin(x: Tensor): Tensor {
  return apply1(P.sin, [x], none);
}
/**
 * cos x elementwise (radians).
 * @example
 * cos(tensor([0, Math.PI])); // [1, -1]
 */
export function cos(x: Tensor): Tensor {
  return apply1(P.cos, [x], none);
}
/**
 * tanh x elementwise.
 * @example
 * tanh(tensor([0, 100])); // [0, 1]
 */
export function tanh(x: Tensor): Tensor {
  return apply1(P.tanh, [x], none);
}
/**
 * 1 / (1 + e⁻ˣ) elementwise, stable for large |x|.
 * @example
 * sigmoid(tensor([0, -100])); // [0.5, 0]
 */
export function sigmoid(x: Tensor): Tensor {
  return apply1(P.sigmoid, [x], none);
}
/**
 * log(1 + eˣ) elementwise, stable (no overflow for large x): a
 * smooth ReLU.
 * @example
 * softplus(tensor([0, 100])); // [0.693, 100]
 */
export function softplus(x: Tensor): Tensor {
  return apply1(P.softplus, [x], none);
}
/**
 * max(x, 0), the usual activation (NaN stays NaN). Its gradient, as in
 * PyTorch, is the incoming one where x > 0 or x is NaN and 0 where x ≤ 0,
 * at x = 0 too (`maximum` splits a tie between its arguments).
 * @example
 * relu(tensor([-1, 2])); // [0, 2]
 */
export function relu(x: Tensor): Tensor {
  return apply1(P.relu, [x], none);
}

// Binary, broadcasting.
/**
 * a + b elementwise, broadcast (NumPy's rules); a number takes the
 * tensor's dtype.
 * @example
 * add(tensor([[1], [2]]), tensor([10, 20])); // [[11, 21], [12, 22]]
 */
export function add(a: TensorLike, b: TensorLike): Tensor {
  return apply1(P.add, pair(a, b, 'add'), none);
}
/**
 * a − b elementwise, broadcast.
 * @example
 * sub(tensor([5, 7]), 2); // [3, 5]
 */
export function sub(a: TensorLike, b: TensorLike): Tensor {
  return apply1(P.sub, pair(a, b, 'sub'), none);
}
/**
 * a · b elementwise, broadcast.
 * @example
 * mul(tensor([1, 2]), tensor([3, 4])); // [3, 8]
 */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  return apply1(P.mul, pair(a, b, 'mul'), none);
}
/**
 * a / b elementwise, broadcast.
 * @example
 * div(tensor([1, 3]), 2); // [0.5, 1.5]
 */
export function div(a: TensorLike, b: TensorLike): Tensor {
  return apply1(P.div, pair(a, b, 'div'), none);
}
/**
 * aᵇ elementwise, broadcast.
 * @example
 * pow(tensor([2, 3]), 2); // [4, 9]
 */
export function pow(a: TensorLike, b: TensorLike): Tensor {
  return apply1(P.pow, pair(a, b, 'pow'), none);
}
/**
 * The larger of a and b elementwise, broadcast (NaN propagates).
 * @example
 * maximum(tensor([-1, 2]), 0); // [0, 2]
 */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return apply1(P.maximum, pair(a, b, 'maximum'), none);
}
/**
 * The smaller of a and b elementwise, broadcast (NaN propagates).
 * @example
 * minimum(tensor([-1, 2]), 0); // [-1, 0]
 */
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return apply1(P.minimum, pair(a, b, 'minimum'), none);
}

// Comparisons → bool.
/**
 * a = b elementwise, broadcast, as bool (no gradient).
 * @example
 * equal(tensor([1, 2]), 2); // [false, true]
 */
export function equal(a: TensorLike, b: TensorLike): Tensor {
  return apply1(P.equal, pair(a, b, 'equal'), none);
}
/**
 * a ≠ b elementwise, broadcast, as bool.
 * @example
 * notEqual(tensor([1, 2]), 2); // [true, false]
 */
export function notEqual(a: TensorLike, b: TensorLike): Tensor {
  return apply1(P.notEqual, pair(a, b, 'notEqual'), none);
}
/**
 * a < b elementwise, broadcast, as bool.
 * @example
 * less(tensor([1, 2]), 2); // [true, false]
 */
export function less(a: TensorLike, b: TensorLike): Tensor {
  return apply1(P.less, pair(a, b, 'less'), none);
}
/**
 * a ≤ b elementwise, broadcast, as bool.
 * @example
 * lessEqual(tensor([1, 2]), 2); // [true, true]
 */
export function lessEqual(a: TensorLike, b: TensorLike): Tensor {
  return apply1(P.lessEqual, pair(a, b, 'lessEqual'), none);
}
/**
 * a > b elementwise, broadcast, as bool.
 * @example
 * greater(tensor([1, 2]), 1); // [false, true]
 */
export function greater(a: TensorLike, b: TensorLike): Tensor {
  return apply1(P.greater, pair(a, b, 'greater'), none);
}
/**
 * a ≥ b elementwise, broadcast, as bool.
 * @example
 * greaterEqual(tensor([1, 2]), 2); // [false, true]
 */
export function greaterEqual(a: TensorLike, b: TensorLike): Tensor {
  return apply1(P.greaterEqual, pair(a, b, 'greaterEqual'), none);
}

/**
 * Elementwise select: a where cond is true, else b (all broadcast).
 * @example
 * const x = tensor([-1, 2]);
 * where(x.greater(0), x, 0); // [0, 2]
 */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  const [ta, tb] = pair(a, b, 'where');
  return apply1(P.where, [cond, ta, tb], none);
}

/**
 * Convert the element type (float → int truncates toward zero); x itself
 * when it already has `dtype`. Ops do not promote, so cast before mixing.
 * @example
 * cast(tensor([1.7, -1.7]), 'int32'); // [1, -1]
 */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  return apply1(P.cast, [x], { dtype });
}

/**
 * Limit the values to [min, max]; either bound may be omitted (PyTorch's
 * clamp). maximum then minimum, so at a value equal to a bound the gradient
 * is ½ (maximum's tie rule), where PyTorch's is 1.
 * @example
 * clamp(tensor([-1, 0.5, 2]), 0, 1); // [0, 0.5, 1]
 */
export function clamp(
  x: Tensor,
  min?: TensorLike | null,
  max?: TensorLike | null,
): Tensor {
  let y = x;
  if (min !== undefined && min !== null) y = maximum(y, min);
  if (max !== undefined && max !== null) y = minimum(y, max);
  return y;
}

// Reductions over any axes (undefined = all).
/**
 * One axis, several, or null/undefined for all of them.
 * @inline
 */
type Axes = number | readonly number[] | null;

/**
 * Σ over `axes` (default all); `keepdims` keeps them with size 1.
 * @example
 * sum(tensor([[1, 2], [3, 4]]), 1, true); // [[3], [7]]
 */
export function sum(x: Tensor, axes?: Axes, keepdims = false): Tensor {
  return apply1(P.sum, [x], {
    axes: normalizeAxes('sum', axes, x.rank),
    keepdims,
  });
}
/**
 * Π over `axes` (default all).
 * @example
 * prod(tensor([[1, 2], [3, 4]]), -1); // [2, 12]
 */
export function prod(x: Tensor, axes?: Axes, keepdims = false): Tensor {
  return apply1(P.prod, [x], {
    axes: normalizeAxes('prod', axes, x.rank),
    keepdims,
  });
}
/**
 * The max over `axes` (default all); NaN propagates.
 * @example
 * max(tensor([[1, 5], [3, 4]]), 0); // [3, 5]
 */
export function max(x: Tensor, axes?: Axes, keepdims = false): Tensor {
  return apply1(P.max, [x], {
    axes: normalizeAxes('max', axes, x.rank),
    keepdims,
  });
}
/**
 * The min over `axes` (default all); NaN propagates.
 * @example
 * min(tensor([[1, 5], [3, 4]])); // 1
 */
export function min(x: Tensor, axes?: Axes, keepdims = false): Tensor {
  return apply1(P.min, [x], {
    axes: normalizeAxes('min', axes, x.rank),
    keepdims,
  });
}
/**
 * Index of the largest value along `axis` (all axes flattened if
 * omitted), int32: the predicted class of each row of logits.
 * @example
 * argmax(tensor([[1, 9, 3], [7, 0, 2]]), -1); // [1, 0]
 */
export function argmax(x: Tensor, axis?: number, keepdims = false): Tensor {
  if (axis === undefined)
    return apply1(P.argmax, [reshape(x, [-1])], { axis: 0, keepdims: false });
  return apply1(P.argmax, [x], {
    axis: normalizeAxis('argmax', axis, x.rank),
    keepdims,
  });
}
/**
 * Index of the smallest value along `axis` (all axes flattened if
 * omitted), int32.
 * @example
 * argmin(tensor([[1, 9], [7, 0]]), 0); // [0, 1]
 */
export function argmin(x: Tensor, axis?: number, keepdims = false): Tensor {
  if (axis === undefined)
    return apply1(P.argmin, [reshape(x, [-1])], { axis: 0, keepdims: false });
  return apply1(P.argmin, [x], {
    axis: normalizeAxis('argmin', axis, x.rank),
    keepdims,
  });
}
/**
 * Mean over `axes` (default all): sum / count. Float tensors only.
 * @example
 * mean(tensor([[1, 2], [3, 4]]), -1); // [1.5, 3.5]
 */
export function mean(x: Tensor, axes?: Axes, keepdims = false): Tensor {
  const ax = normalizeAxes('mean', axes, x.rank);
  if (!isFloat(x.dtype))
    throw new DTypeError(
      'DTYPE_MISMATCH',
      `mean: x must be float; got ${x.dtype}. Cast first: x.cast('float32').`,
    );
  const count = ax.reduce((n, a) => n * x.shape[a], 1);
  return div(sum(x, ax, keepdims), count);
}

// Movement.
/**
 * The same elements in a new shape (row-major order); one entry may be
 * -1, inferred. No copy on the CPU.
 * @example
 * reshape(arange(6), [2, -1]); // [[0, 1, 2], [3, 4, 5]]
 */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  if (!Array.isArray(shape)) {
    throw new ShapeError(
      'BAD_ARGUMENT',
      `reshape: shape must be an array of sizes; got ${String(shape)}. Write x.reshape([${String(shape)}]).`,
    );
  }
  return apply1(P.reshape, [x], { shape: [...shape] });
}
/**
 * Reorder the axes: output axis i is input axis perm[i].
 * @example
 * permute(zeros([2, 3, 4]), [0, 2, 1]).shape; // [2, 4, 3]
 */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  return apply1(P.permute, [x], {
    perm: normalizePerm('permute', perm, x.rank),
  });
}
/**
 * Swap two axes (default the last two: the matrix transpose of a batch).
 * @example
 * transpose(tensor([[1, 2, 3]])); // [[1], [2], [3]]
 */
export function transpose(x: Tensor, axis0 = -2, axis1 = -1): Tensor {
  if (x.rank < 2 && axis0 === -2 && axis1 === -1) {
    throw new ShapeError(
      'BAD_AXIS',
      `transpose: x must have rank ≥ 2 to swap its last two axes; got ${fmtShape(x.shape)}. Pass two axes.`,
    );
  }
  const a = normalizeAxis('transpose', axis0, x.rank);
  const b = normalizeAxis('transpose', axis1, x.rank);
  const perm = [...Array(x.rank).keys()];
  [perm[a], perm[b]] = [perm[b], perm[a]];
  return permute(x, perm);
}
/**
 * Broadcast to a shape (-1 keeps an axis), copying.
 * @example
 * expand(tensor([1, 2, 3]), [2, 3]); // [[1, 2, 3], [1, 2, 3]]
 */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  return apply1(P.expand, [x], { shape: [...shape] });
}
/**
 * Remove size-1 axes (all, or the given ones).
 * @example
 * squeeze(zeros([1, 3, 1]), 0).shape; // [3, 1]
 */
export function squeeze(x: Tensor, axes?: number | readonly number[]): Tensor {
  const ax =
    axes === undefined
      ? x.shape.flatMap((d, i) => (d === 1 ? [i] : []))
      : normalizeAxes('squeeze', axes, x.rank);
  for (const a of ax) {
    if (x.shape[a] !== 1) {
      throw new ShapeError(
        'SHAPE_MISMATCH',
        `squeeze: axis ${a} must have size 1; got ${fmtShape(x.shape)}.`,
      );
    }
  }
  return reshape(
    x,
    x.shape.filter((_, i) => !ax.includes(i)),
  );
}
/**
 * Insert a size-1 axis at `axis` (of the result): to broadcast a vector
 * against rows or columns.
 * @example
 * unsqueeze(tensor([1, 2]), 1).shape; // [2, 1]
 */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = normalizeAxis('unsqueeze', axis, x.rank + 1);
  const shape = [...x.shape];
  shape.splice(a, 0, 1);
  return reshape(x, shape);
}
