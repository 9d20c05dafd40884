/**
 * Chainable methods for the core ops: `x.exp().sum(-1)`. Each method is the
 * function of the same name in api/core.ts with `this` as its first input.
 */
import * as F from '../api/core.js';
import type { DType } from '../dtype.js';
import { Tensor } from '../tensor.js';

type Axes = number | readonly number[] | null;
type Like = F.TensorLike;

declare module '../tensor.js' {
  interface Tensor {
    neg(): Tensor;
    abs(): Tensor;
    sign(): Tensor;
    square(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    log1p(): Tensor;
    sqrt(): Tensor;
    rsqrt(): Tensor;
    reciprocal(): Tensor;
    sin(): Tensor;
    cos(): Tensor;
    tanh(): Tensor;
    sigmoid(): Tensor;
    softplus(): Tensor;
    relu(): Tensor;
    add(b: Like): Tensor;
    sub(b: Like): Tensor;
    mul(b: Like): Tensor;
    div(b: Like): Tensor;
    pow(b: Like): Tensor;
    maximum(b: Like): Tensor;
    minimum(b: Like): Tensor;
    equal(b: Like): Tensor;
    notEqual(b: Like): Tensor;
    less(b: Like): Tensor;
    lessEqual(b: Like): Tensor;
    greater(b: Like): Tensor;
    greaterEqual(b: Like): Tensor;
    /** where(this, a, b): this must be bool. */
    where(a: Like, b: Like): Tensor;
    cast(dtype: DType): Tensor;
    clamp(min?: Like | null, max?: Like | null): Tensor;
    sum(axes?: Axes, keepdims?: boolean): Tensor;
    prod(axes?: Axes, keepdims?: boolean): Tensor;
    max(axes?: Axes, keepdims?: boolean): Tensor;
    min(axes?: Axes, keepdims?: boolean): Tensor;
    mean(axes?: Axes, keepdims?: boolean): Tensor;
    argmax(axis?: number, keepdims?: boolean): Tensor;
    argmin(axis?: number, keepdims?: boolean): Tensor;
    reshape(shape: readonly number[]): Tensor;
    permute(perm: readonly number[]): Tensor;
    transpose(axis0?: number, axis1?: number): Tensor;
    expand(shape: readonly number[]): Tensor;
    squeeze(axes?: number | readonly number[]): Tensor;
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
