/** The nn primitives, one entry per primitive (see ../primitives.ts). */
import type { KernelOp } from '../op.js';
import {
  avgPool2d,
  avgPool2dGrad,
  maxPool2d,
  maxPool2dGrad,
  type Pool2dAttrs,
} from './pool2d.js';
import { logSoftmax, softmax, type SoftmaxAttrs } from './softmax.js';
import {
  softmaxCrossEntropy,
  softmaxCrossEntropyGrad,
} from './softmax-cross-entropy.js';
import type { NoAttrs } from './unary.js';

/**
 * The neural-network primitives that are fused for speed and stability
 * (part of `Primitives`): softmax, logSoftmax, softmax cross-entropy
 * and 2-d pooling.
 * @example
 * const op: NnPrimitives['softmax'] = primitives.softmax;
 * apply1(op, [tensor([0, 0])], { axis: 0 }); // [0.5, 0.5]
 */
export interface NnPrimitives {
  /** e^x / Σ e^x along an axis, max-subtracted. */
  readonly softmax: KernelOp<SoftmaxAttrs>;
  /** x − logsumexp(x) along an axis, max-subtracted. */
  readonly logSoftmax: KernelOp<SoftmaxAttrs>;
  /**
   * Per-row loss logsumexp(x_i) − x_i[t_i] of logits [N, C] and int32
   * labels [N], max-subtracted.
   */
  readonly softmaxCrossEntropy: KernelOp<NoAttrs>;
  /**
   * softmaxCrossEntropy's gradient: g_i·(softmax(x_i) − onehot(t_i)),
   * [N, C], from logits, labels and the loss cotangent g [N].
   */
  readonly softmaxCrossEntropyGrad: KernelOp<NoAttrs>;
  /** The max over each 2-d window. */
  readonly maxPool2d: KernelOp<Pool2dAttrs>;
  /** The mean over each 2-d window. */
  readonly avgPool2d: KernelOp<Pool2dAttrs>;
  /** maxPool2d's gradient with respect to its input. */
  readonly maxPool2dGrad: KernelOp<Pool2dAttrs>;
  /** avgPool2d's gradient with respect to its input. */
  readonly avgPool2dGrad: KernelOp<Pool2dAttrs>;
}

export const nnPrimitives: NnPrimitives = {
  softmax,
  logSoftmax,
  softmaxCrossEntropy,
  softmaxCrossEntropyGrad,
  maxPool2d,
  avgPool2d,
  maxPool2dGrad,
  avgPool2dGrad,
};
