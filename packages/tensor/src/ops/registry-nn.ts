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

export interface NnPrimitives {
  readonly softmax: KernelOp<SoftmaxAttrs>;
  readonly logSoftmax: KernelOp<SoftmaxAttrs>;
  readonly maxPool2d: KernelOp<Pool2dAttrs>;
  readonly avgPool2d: KernelOp<Pool2dAttrs>;
  readonly maxPool2dGrad: KernelOp<Pool2dAttrs>;
  readonly avgPool2dGrad: KernelOp<Pool2dAttrs>;
}

export const nnPrimitives: NnPrimitives = {
  softmax,
  logSoftmax,
  maxPool2d,
  avgPool2d,
  maxPool2dGrad,
  avgPool2dGrad,
};
