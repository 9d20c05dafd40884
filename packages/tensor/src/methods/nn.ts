/**
 * Chainable methods for the nn ops: `x.softmax(-1)`. Each method is the
 * function of the same name in api/nn.ts with `this` as its first input.
 */
import * as F from '../api/nn.js';
import { Tensor } from '../tensor.js';

type Axes = number | readonly number[] | null;

declare module '../tensor.js' {
  interface Tensor {
    softmax(axis?: number): Tensor;
    logSoftmax(axis?: number): Tensor;
    logsumexp(axes?: Axes, keepdims?: boolean): Tensor;
    variance(axes?: Axes, opts?: F.VarianceOptions): Tensor;
    maxPool2d(opts: F.Pool2dOptions): Tensor;
    avgPool2d(opts: F.Pool2dOptions): Tensor;
  }
}

const names = [
  'softmax',
  'logSoftmax',
  'logsumexp',
  'variance',
  'maxPool2d',
  'avgPool2d',
] as const;

const proto = Tensor.prototype as unknown as Record<string, unknown>;
for (const name of names) {
  const fn = F[name] as (x: Tensor, ...rest: unknown[]) => Tensor;
  proto[name] = function (this: Tensor, ...rest: unknown[]) {
    return fn(this, ...rest);
  };
}
