/**
 * Chainable methods for the core ops: `x.exp().sum(-1)`. Each method is the
 * function of the same name in api/core.ts with `this` as its first input.
 */
import * as F from '../api/core.js';
import type { DType } from '../dtype.js';
import { Tensor } from '../tensor.js';

/**
 * One axis, several, or null/undefined for all of them.
 * @inline
 */
type Axes = number | readonly number[] | null;
type Like = F.TensorLike;

declare module '../tensor.js' {
  interface Tensor {
    /** −x elementwise (the function neg). */
    neg(): Tensor;
    /** |x| elementwise. */
    abs(): Tensor;
    /** −1, 0 or 1 by the sign of each element. */
    sign(): Tensor;
    /** x² elementwise. */
    square(): Tensor;
    /** eˣ elementwise. */
    exp(): Tensor;
    /** The natural logarithm elementwise. */
    log(): Tensor;
    /** log(1 + x), accurate for small x. */
    log1p(): Tensor;
    /** √x elementwise. */
    sqrt(): Tensor;
    /** 1/√x elementwise. */
    rsqrt(): Tensor;
    /** 1/x elementwise. */
    reciprocal(): Tensor;
    /** sin x elementwise. */
    sin(): Tensor;
    /** cos x elementwise. */
    cos(): Tensor;
    /** tanh x elementwise. */
    tanh(): Tensor;
    /** 1 / (1 + e⁻ˣ) elementwise. */
    sigmoid(): Tensor;
    /** log(1 + eˣ) elementwise, stable. */
    softplus(): Tensor;
    /** max(x, 0) elementwise. */
    relu(): Tensor;
    /** this + b, broadcast. */
    add(b: Like): Tensor;
    /** this − b, broadcast. */
    sub(b: Like): Tensor;
    /** this · b, broadcast. */
    mul(b: Like): Tensor;
    /** this / b, broadcast. */
    div(b: Like): Tensor;
    /** thisᵇ, broadcast. */
    pow(b: Like): Tensor;
    /** The larger of this and b, broadcast. */
    maximum(b: Like): Tensor;
    /** The smaller of this and b, broadcast. */
    minimum(b: Like): Tensor;
    /** this = b as bool, broadcast. */
    equal(b: Like): Tensor;
    /** this ≠ b as bool, broadcast. */
    notEqual(b: Like): Tensor;
    /** this < b as bool, broadcast. */
    less(b: Like): Tensor;
    /** this ≤ b as bool, broadcast. */
    lessEqual(b: Like): Tensor;
    /** this > b as bool, broadcast. */
    greater(b: Like): Tensor;
    /** this ≥ b as bool, broadcast. */
    greaterEqual(b: Like): Tensor;
    /** where(this, a, b): this must be bool. */
    where(a: Like, b: Like): Tensor;
    /** Convert to `dtype` (this itself when it has it). */
    cast(dtype: DType): Tensor;
    /** Limit to [min, max]; either bound may be omitted. */
    clamp(min?: Like | null, max?: Like | null): Tensor;
    /** Σ over `axes` (default all). */
    sum(axes?: Axes, keepdims?: boolean): Tensor;
    /** Π over `axes` (default all). */
    prod(axes?: Axes, keepdims?: boolean): Tensor;
    /** The max over `axes` (default all). */
    max(axes?: Axes, keepdims?: boolean): Tensor;
    /** The min over `axes` (default all). */
    min(axes?: Axes, keepdims?: boolean): Tensor;
    /** The mean over `axes` (default all). */
    mean(axes?: Axes, keepdims?: boolean): Tensor;
    /** Index of the largest value along `axis` (all flattened if omitted). */
    argmax(axis?: number, keepdims?: boolean): Tensor;
    /** Index of the smallest value along `axis` (all flattened if omitted). */
    argmin(axis?: number, keepdims?: boolean): Tensor;
    /** The same elements in a new shape (one entry may be -1). */
    reshape(shape: readonly number[]): Tensor;
    /** Reorder the axes: output axis i is axis perm[i]. */
    permute(perm: readonly number[]): Tensor;
    /** Swap two axes (default the last two). */
    transpose(axis0?: number, axis1?: number): Tensor;
    /** Broadcast to `shape` (-1 keeps an axis). */
    expand(shape: readonly number[]): Tensor;
    /** Remove size-1 axes (all, or the given ones). */
    squeeze(axes?: number | readonly number[]): Tensor;
    /** Insert a size-1 axis at `axis`. */
    unsqueeze(axis: number): Tensor;
  }
}

const unary = [
  'neg',
  'abs',
  'sign',
  'square',
  'exp',
  'log',
  'log1p',
  'sqrt',
  'rsqrt',
  'reciprocal',
  'sin',
  'cos',
  'tanh',
  'sigmoid',
  'softplus',
  'relu',
] as const;
const withArgs = [
  'add',
  'sub',
  'mul',
  'div',
  'pow',
  'maximum',
  'minimum',
  'equal',
  'notEqual',
  'less',
  'lessEqual',
  'greater',
  'greaterEqual',
  'where',
  'cast',
  'clamp',
  'sum',
  'prod',
  'max',
  'min',
  'mean',
  'argmax',
  'argmin',
  'reshape',
  'permute',
  'transpose',
  'expand',
  'squeeze',
  'unsqueeze',
] as const;

const proto = Tensor.prototype as unknown as Record<string, unknown>;
for (const name of [...unary, ...withArgs]) {
  const fn = F[name] as (x: Tensor, ...rest: unknown[]) => Tensor;
  proto[name] = function (this: Tensor, ...rest: unknown[]) {
    return fn(this, ...rest);
  };
}
