/**
 * Public functions for the nn primitives (softmax, logSoftmax, softmax
 * cross-entropy, 2-d pooling) and the composites built on the core ones (logsumexp, variance).
 */
import { apply1 } from '../apply.js';
import { isFloat } from '../dtype.js';
import { ShapeError } from '../errors.js';
import type { Pool2dAttrs } from '../ops/pool2d.js';
import { primitives as P } from '../primitives.js';
import { normalizeAxes, normalizeAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import {
  add,
  div,
  exp,
  log,
  max,
  mean,
  reshape,
  square,
  sub,
  sum,
  where,
  equal,
  abs,
} from './core.js';
import { reducedShape } from '../ops/reduce.js';

/**
 * Softmax along `axis` (default the last), max-subtracted so large logits
 * do not overflow: class probabilities from scores.
 * @example
 * softmax(tensor([[0, 0], [0, 1000]]), -1); // [[0.5, 0.5], [0, 1]]
 */
export function softmax(x: Tensor, axis = -1): Tensor {
  return apply1(P.softmax, [x], {
    axis: normalizeAxis('softmax', axis, x.rank),
  });
}

/**
 * log(softmax(x)) along `axis`, computed stably (no log of a rounded 0):
 * the input of nllLoss.
 * @example
 * logSoftmax(tensor([0, 0])); // [-0.693, -0.693]
 */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return apply1(P.logSoftmax, [x], {
    axis: normalizeAxis('logSoftmax', axis, x.rank),
  });
}

/**
 * Per-row softmax cross-entropy of logits [N, C] against int32 class
 * labels [N]: ℓ_i = logsumexp(x_i) − x_i[t_i] = −logSoftmax(x)[i, t_i],
 * fused and max-subtracted (one kernel forward, one backward), same dtype
 * as the logits. A label outside [0, C) is a ShapeError BAD_ARGUMENT
 * naming the row. nn's crossEntropy reduces it (mean, ignoreIndex).
 * @example
 * const logits = tensor([[2, 0, 0], [0, 0, 2]]);
 * softmaxCrossEntropy(logits, tensor([0, 1], { dtype: 'int32' }));
 * // [0.2395, 2.2395]
 */
export function softmaxCrossEntropy(logits: Tensor, labels: Tensor): Tensor {
  return apply1(P.softmaxCrossEntropy, [logits, labels], {});
}

/**
 * Backward of softmaxCrossEntropy: g_i·(softmax(x_i) − onehot(t_i)), [N, C],
 * for the loss cotangent g [N] (its VJP; call it for a loss VJP of your
 * own).
 * @example
 * const logits = tensor([[0, 0]]);
 * softmaxCrossEntropyGrad(logits, tensor([1], { dtype: 'int32' }), ones([1]));
 * // [[0.5, -0.5]]
 */
export function softmaxCrossEntropyGrad(
  logits: Tensor,
  labels: Tensor,
  g: Tensor,
): Tensor {
  return apply1(P.softmaxCrossEntropyGrad, [logits, labels, g], {});
}

/**
 * One axis, several, or null/undefined for all of them.
 * @inline
 */
type Axes = number | readonly number[] | null;

/**
 * log Σ exp(x) over `axes` (default all), as m + log Σ exp(x − m) with m the
 * max; the m terms cancel in the gradient, which is softmax(x).
 * @example
 * logsumexp(tensor([[0, 0], [1000, 1000]]), -1, true); // [[0.693], [1000.693]]
 */
export function logsumexp(x: Tensor, axes?: Axes, keepdims = false): Tensor {
  const ax = normalizeAxes('logsumexp', axes, x.rank);
  if (!isFloat(x.dtype))
    throw new ShapeError(
      'BAD_ARGUMENT',
      `logsumexp: x must be float; got ${x.dtype}. Cast first: x.cast('float32').`,
    );
  const mk = max(x, ax, true);
  // An infinite max (all -Inf, or a +Inf entry) is replaced by 0 so x − m stays
  // finite-or-±Inf, not NaN.
  const m = where(equal(abs(mk), Infinity), 0, mk);
  const s = log(sum(exp(sub(x, m)), ax, true));
  const out = add(s, m);
  return keepdims ? out : reshape(out, reducedShape(x.shape, ax, false));
}

/**
 * Options of variance.
 * @example
 * const opts: VarianceOptions = { correction: 1, keepdims: true };
 * variance(tensor([[1, 3], [5, 7]]), 1, opts); // [[2], [2]]
 */
export interface VarianceOptions {
  /** Keep reduced axes as size 1 (default false). */
  keepdims?: boolean;
  /**
   * Divide by count − correction (default 0: population variance; 1: sample
   * variance).
   */
  correction?: number;
}

/**
 * Mean squared deviation over `axes` (default all): the population
 * variance, or the sample variance with `correction: 1`.
 * @example
 * variance(tensor([1, 3])); // 1
 * variance(tensor([1, 3]), 0, { correction: 1 }); // 2
 */
export function variance(
  x: Tensor,
  axes?: Axes,
  opts: VarianceOptions = {},
): Tensor {
  const { keepdims = false, correction = 0 } = opts;
  const ax = normalizeAxes('variance', axes, x.rank);
  if (!isFloat(x.dtype))
    throw new ShapeError(
      'BAD_ARGUMENT',
      `variance: x must be float; got ${x.dtype}. Cast first: x.cast('float32').`,
    );
  const count = ax.reduce((n, a) => n * x.shape[a], 1);
  if (!(correction >= 0) || count - correction <= 0) {
    throw new ShapeError(
      'BAD_ARGUMENT',
      `variance: correction must be in [0, count); got correction ${correction} with count ${count}.`,
    );
  }
  const d = sub(x, mean(x, ax, true));
  return div(sum(square(d), ax, keepdims), count - correction);
}

/**
 * A size for both spatial axes, or [height, width].
 * @example
 * const k: Size2 = [2, 1];
 * maxPool2d(ones([1, 1, 4, 4]), { kernel: k }); // [1, 1, 2, 4]
 */
export type Size2 = number | readonly [number, number];

/**
 * Options of maxPool2d and avgPool2d.
 * @example
 * const opts: Pool2dOptions = { kernel: 3, stride: 1, padding: 1 };
 * avgPool2d(ones([1, 1, 5, 5]), opts); // [1, 1, 5, 5]
 */
export interface Pool2dOptions {
  /** Window size. */
  kernel: Size2;
  /** Default: the kernel. */
  stride?: Size2;
  /** Default 0. */
  padding?: Size2;
}

function pair2(v: Size2): [number, number] {
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}

function poolAttrs(opts: Pool2dOptions): Pool2dAttrs {
  const kernel = pair2(opts.kernel);
  return {
    kernel,
    stride: pair2(opts.stride ?? kernel),
    padding: pair2(opts.padding ?? 0),
  };
}

/**
 * Max over each kh×kw window of an NCHW tensor (padding is ignored):
 * downsampling in a convolutional network.
 * @example
 * maxPool2d(randn([8, 3, 28, 28]), { kernel: 2 }); // [8, 3, 14, 14]
 */
export function maxPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  return apply1(P.maxPool2d, [x], poolAttrs(opts));
}

/**
 * Mean over each kh×kw window of an NCHW tensor; padding counts as zeros.
 * @example
 * avgPool2d(ones([1, 1, 4, 4]), { kernel: 3, stride: 1, padding: 1 });
 * // [1, 1, 4, 4]; 4/9 in the corners
 */
export function avgPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  return apply1(P.avgPool2d, [x], poolAttrs(opts));
}

/**
 * Backward of maxPool2d: g routed to each window's first maximum of x (its
 * VJP; call it for a pooling VJP of your own).
 * @example
 * const x = tensor([[[[1, 2], [4, 3]]]]);
 * const attrs = { kernel: [2, 2], stride: [2, 2], padding: [0, 0] } as const;
 * maxPool2dGrad(x, ones([1, 1, 1, 1]), attrs); // [[[[0, 0], [1, 0]]]]
 */
export function maxPool2dGrad(
  x: Tensor,
  g: Tensor,
  attrs: Pool2dAttrs,
): Tensor {
  return apply1(P.maxPool2dGrad, [x, g], attrs);
}

/**
 * Backward of avgPool2d: g/(kh·kw) spread over each window (x supplies the
 * shape).
 * @example
 * const attrs = { kernel: [2, 2], stride: [2, 2], padding: [0, 0] } as const;
 * avgPool2dGrad(zeros([1, 1, 2, 2]), ones([1, 1, 1, 1]), attrs); // 0.25 each
 */
export function avgPool2dGrad(
  x: Tensor,
  g: Tensor,
  attrs: Pool2dAttrs,
): Tensor {
  return apply1(P.avgPool2dGrad, [x, g], attrs);
}
