/**
 * Chainable methods for the nn ops: `x.softmax(-1)`. Each method is the
 * function of the same name in api/nn.ts with `this` as its first input.
 */
import * as F from '../api/nn.js';
import { Tensor } from '../tensor.js';

/**
 * One axis, several, or null/undefined for all of them.
 * @inline
 */
type Axes = number | readonly number[] | null;

declare module '../tensor.js' {
  interface Tensor {
    /** Softmax along `axis` (default the last), max-subtracted. */
    softmax(axis?: number): Tensor;
    /** log(softmax(x)) along `axis`, computed stably. */
    logSoftmax(axis?: number): Tensor;
    /** Per-row softmax cross-entropy of logits [N, C] against labels [N]. */
    softmaxCrossEntropy(labels: Tensor): Tensor;
    /** log Σ exp(x) over `axes` (default all), computed stably. */
    logsumexp(axes?: Axes, keepdims?: boolean): Tensor;
    /** Mean squared deviation over `axes` (default all). */
    variance(axes?: Axes, opts?: F.VarianceOptions): Tensor;
    /** Max over each window of an NCHW tensor. */
    maxPool2d(opts: F.Pool2dOptions): Tensor;
    /** Mean over each window of an NCHW tensor. */
    avgPool2d(opts: F.Pool2dOptions): Tensor;
  }
}

const names = [
  'softmax',
  'logSoftmax',
  'softmaxCrossEntropy',
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
