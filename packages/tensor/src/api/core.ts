/**
 * Public functions for the core primitives: elementwise math, comparisons,
 * where, cast, sum-family reductions, reshape, permute and expand, and the
 * composites built from them (relu, mean, squeeze, transpose, ...).
 */
import { apply1 } from '../apply.js';
import { scalar } from '../creation.js';
import { isFloat, type DType } from '../dtype.js';
import { ShapeError } from '../errors.js';
import { primitives as P } from '../primitives.js';
import { normalizeAxes, normalizeAxis, fmtShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { normalizePerm } from '../ops/permute.js';
import type { NoAttrs } from '../ops/unary.js';

/** A tensor, or a number that takes the other operand's dtype. */
export type TensorLike = Tensor | number | boolean;

const none: NoAttrs = {};

/** Turn a number into a scalar tensor of `like`'s dtype and backend. */
export function asTensor(v: TensorLike, like: Tensor): Tensor {
  if (v instanceof Tensor) return v;
  return scalar(v, like.dtype, like.backend);
}

function pair(a: TensorLike, b: TensorLike, op: string): [Tensor, Tensor] {
  if (a instanceof Tensor) return [a, asTensor(b, a)];
  if (b instanceof Tensor) return [asTensor(a, b), b];
  throw new ShapeError(
    'BAD_ARGUMENT',
    `${op}: at least one argument must be a Tensor; got ${typeof a} and ${typeof b}. Wrap one with tensor(...).`,
  );
}

// Unary: y = f(x) elementwise.
/** @example neg(x) */ export function neg(x: Tensor): Tensor {
  return apply1(P.neg, [x], none);
}
/** @example abs(x) */ export function abs(x: Tensor): Tensor {
  return apply1(P.abs, [x], none);
}
/** @example sign(x) */ export function sign(x: Tensor): Tensor {
  return apply1(P.sign, [x], none);
}
/** @example square(x) */ export function square(x: Tensor): Tensor {
  return apply1(P.square, [x], none);
}
/** @example exp(x) */ export function exp(x: Tensor): Tensor {
  return apply1(P.exp, [x], none);
}
/** @example log(x) */ export function log(x: Tensor): Tensor {
  return apply1(P.log, [x], none);
}
/** @example log1p(x) */ export function log1p(x: Tensor): Tensor {
  return apply1(P.log1p, [x], none);
}
/** @example sqrt(x) */ export function sqrt(x: Tensor): Tensor {
  return apply1(P.sqrt, [x], none);
}
/** @example rsqrt(x) // 1/sqrt(x) */ export function rsqrt(x: Tensor): Tensor {
  return apply1(P.rsqrt, [x], none);
}
/** @example reciprocal(x) // 1/x */ export function reciprocal(
  x: Tensor,
): Tensor {
  return apply1(P.reciprocal, [x], none);
}
/** @example sin(x) */ export function sin(x: Tensor): Tensor {
  return apply1(P.sin, [x], none);
}
/** @example cos(x) */ export function cos(x: Tensor): Tensor {
  return apply1(P.cos, [x], none);
}
/** @example tanh(x) */ export function tanh(x: Tensor): Tensor {
  return apply1(P.tanh, [x], none);
}
/** @example sigmoid(x) */ export function sigmoid(x: Tensor): Tensor {
  return apply1(P.sigmoid, [x], none);
}
/** log(1 + e^x), stable. @example softplus(x) */ export function softplus(
  x: Tensor,
): Tensor {
  return apply1(P.softplus, [x], none);
}
/** max(x, 0), a composite of `maximum`. @example relu(x) */
export function relu(x: Tensor): Tensor {
  return maximum(x, 0);
}

// Binary, broadcasting.
/** @example add(x, 1) */ export function add(
  a: TensorLike,
  b: TensorLike,
): Tensor {
  return apply1(P.add, pair(a, b, 'add'), none);
}
/** @example sub(x, y) */ export function sub(
  a: TensorLike,
  b: TensorLike,
): Tensor {
  return apply1(P.sub, pair(a, b, 'sub'), none);
}
/** @example mul(x, y) */ export function mul(
  a: TensorLike,
  b: TensorLike,
): Tensor {
  return apply1(P.mul, pair(a, b, 'mul'), none);
}
/** @example div(x, 2) */ export function div(
  a: TensorLike,
  b: TensorLike,
): Tensor {
  return apply1(P.div, pair(a, b, 'div'), none);
}
/** @example pow(x, 3) */ export function pow(
  a: TensorLike,
  b: TensorLike,
): Tensor {
  return apply1(P.pow, pair(a, b, 'pow'), none);
}
/** @example maximum(x, 0) */ export function maximum(
  a: TensorLike,
  b: TensorLike,
): Tensor {
  return apply1(P.maximum, pair(a, b, 'maximum'), none);
}
/** @example minimum(x, y) */ export function minimum(
  a: TensorLike,
  b: TensorLike,
): Tensor {
  return apply1(P.minimum, pair(a, b, 'minimum'), none);
}

// Comparisons → bool.
/** @example equal(x, 0) */ export function equal(
  a: TensorLike,
  b: TensorLike,
): Tensor {
  return apply1(P.equal, pair(a, b, 'equal'), none);
}
/** @example notEqual(x, 0) */ export function notEqual(
  a: TensorLike,
  b: TensorLike,
): Tensor {
  return apply1(P.notEqual, pair(a, b, 'notEqual'), none);
}
/** @example less(x, y) */ export function less(
  a: TensorLike,
  b: TensorLike,
): Tensor {
  return apply1(P.less, pair(a, b, 'less'), none);
}
/** @example lessEqual(x, y) */ export function lessEqual(
  a: TensorLike,
  b: TensorLike,
): Tensor {
  return apply1(P.lessEqual, pair(a, b, 'lessEqual'), none);
}
/** @example greater(x, 0) */ export function greater(
  a: TensorLike,
  b: TensorLike,
): Tensor {
  return apply1(P.greater, pair(a, b, 'greater'), none);
}
/** @example greaterEqual(x, 0) */ export function greaterEqual(
  a: TensorLike,
  b: TensorLike,
): Tensor {
  return apply1(P.greaterEqual, pair(a, b, 'greaterEqual'), none);
}

/**
 * Elementwise select: a where cond is true, else b (all broadcast).
 * @example where(x.greater(0), x, 0)
 */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  const [ta, tb] = pair(a, b, 'where');
  return apply1(P.where, [cond, ta, tb], none);
}

/** Convert the element type. @example x.cast('float64') */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  return apply1(P.cast, [x], { dtype });
}

/**
 * Limit the values to [min, max]; either bound may be omitted (PyTorch's
 * clamp). maximum then minimum, so at a value equal to a bound the gradient
 * is ½ (maximum's tie rule), where PyTorch's is 1.
 * @example clamp(x, 0, 1)
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
type Axes = number | readonly number[] | null;

/** @example sum(x, 1, true) */
export function sum(x: Tensor, axes?: Axes, keepdims = false): Tensor {
  return apply1(P.sum, [x], {
    axes: normalizeAxes('sum', axes, x.rank),
    keepdims,
  });
}
/** @example prod(x, -1) */
export function prod(x: Tensor, axes?: Axes, keepdims = false): Tensor {
  return apply1(P.prod, [x], {
    axes: normalizeAxes('prod', axes, x.rank),
    keepdims,
  });
}
/** @example max(x, 0) */
export function max(x: Tensor, axes?: Axes, keepdims = false): Tensor {
  return apply1(P.max, [x], {
    axes: normalizeAxes('max', axes, x.rank),
    keepdims,
  });
}
/** @example min(x) */
export function min(x: Tensor, axes?: Axes, keepdims = false): Tensor {
  return apply1(P.min, [x], {
    axes: normalizeAxes('min', axes, x.rank),
    keepdims,
  });
}
/**
 * Index of the largest value along `axis` (all axes flattened if omitted).
 * @example argmax(logits, -1)
 */
export function argmax(x: Tensor, axis?: number, keepdims = false): Tensor {
  if (axis === undefined)
    return apply1(P.argmax, [reshape(x, [-1])], { axis: 0, keepdims: false });
  return apply1(P.argmax, [x], {
    axis: normalizeAxis('argmax', axis, x.rank),
    keepdims,
  });
}
/** @example argmin(x, 0) */
export function argmin(x: Tensor, axis?: number, keepdims = false): Tensor {
  if (axis === undefined)
    return apply1(P.argmin, [reshape(x, [-1])], { axis: 0, keepdims: false });
  return apply1(P.argmin, [x], {
    axis: normalizeAxis('argmin', axis, x.rank),
    keepdims,
  });
}
/** Mean over axes: sum / count. @example mean(x, -1) */
export function mean(x: Tensor, axes?: Axes, keepdims = false): Tensor {
  const ax = normalizeAxes('mean', axes, x.rank);
  if (!isFloat(x.dtype))
    throw new ShapeError(
      'BAD_ARGUMENT',
      `mean: x must be float; got ${x.dtype}. Cast first: x.cast('float32').`,
    );
  const count = ax.reduce((n, a) => n * x.shape[a], 1);
  return div(sum(x, ax, keepdims), count);
}

// Movement.
/** @example reshape(x, [2, -1]) */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  return apply1(P.reshape, [x], { shape: [...shape] });
}
/** @example permute(x, [0, 2, 1]) */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  return apply1(P.permute, [x], {
    perm: normalizePerm('permute', perm, x.rank),
  });
}
/** Swap two axes (default the last two). @example transpose(x) */
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
/** Broadcast to a shape (-1 keeps an axis). @example expand(b, [4, 3]) */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  return apply1(P.expand, [x], { shape: [...shape] });
}
/** Remove size-1 axes (all, or the given ones). @example squeeze(x, 0) */
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
/** Insert a size-1 axis at `axis` (of the result). @example unsqueeze(x, 0) */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = normalizeAxis('unsqueeze', axis, x.rank + 1);
  const shape = [...x.shape];
  shape.splice(a, 0, 1);
  return reshape(x, shape);
}
