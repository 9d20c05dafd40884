/** VJP rules of the nn primitives. */
import type { NnPrimitives } from '@optnet/tensor';
import { avgPool2dGradVjp, avgPool2dVjp, maxPool2dVjp } from './pool2d.js';
import { logSoftmaxVjp, softmaxVjp } from './softmax.js';
import {
  softmaxCrossEntropyGradVjp,
  softmaxCrossEntropyVjp,
} from './softmax-cross-entropy.js';
import type { VjpTable } from './types.js';

export const nnVjps: VjpTable<NnPrimitives> = {
  softmax: softmaxVjp,
  logSoftmax: logSoftmaxVjp,
  softmaxCrossEntropy: softmaxCrossEntropyVjp,
  softmaxCrossEntropyGrad: softmaxCrossEntropyGradVjp,
  maxPool2d: maxPool2dVjp,
  avgPool2d: avgPool2dVjp,
  // Piecewise constant in x; its adjoint in g (a gather) has no primitive yet.
  maxPool2dGrad: null,
  avgPool2dGrad: avgPool2dGradVjp,
};
