/** The matmul primitives, one entry per primitive (see ../primitives.ts). */
import type { KernelOp } from '../op.js';
import {
  conv2d,
  conv2dGradInput,
  conv2dGradWeight,
  type Conv2dAttrs,
  type Conv2dGradInputAttrs,
  type Conv2dGradWeightAttrs,
} from './conv2d.js';
import { matmul, type MatmulAttrs } from './matmul.js';

export interface MatmulPrimitives {
  readonly matmul: KernelOp<MatmulAttrs>;
  readonly conv2d: KernelOp<Conv2dAttrs>;
  readonly conv2dGradInput: KernelOp<Conv2dGradInputAttrs>;
  readonly conv2dGradWeight: KernelOp<Conv2dGradWeightAttrs>;
}

export const matmulPrimitives: MatmulPrimitives = {
  matmul,
  conv2d,
  conv2dGradInput,
  conv2dGradWeight,
};
