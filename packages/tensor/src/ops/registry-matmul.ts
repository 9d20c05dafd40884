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

/**
 * The matrix-product primitives (part of `Primitives`): matmul and the
 * convolutions with their gradients.
 * @example
 * const op: MatmulPrimitives['matmul'] = primitives.matmul;
 * apply1(op, [eye(2), ones([2, 3])], { transA: false, transB: false });
 */
export interface MatmulPrimitives {
  /** Batched matrix product, with optional transposes. */
  readonly matmul: KernelOp<MatmulAttrs>;
  /** 2-D convolution (NCHW cross-correlation). */
  readonly conv2d: KernelOp<Conv2dAttrs>;
  /** conv2d's gradient with respect to its input. */
  readonly conv2dGradInput: KernelOp<Conv2dGradInputAttrs>;
  /** conv2d's gradient with respect to its weight. */
  readonly conv2dGradWeight: KernelOp<Conv2dGradWeightAttrs>;
}

export const matmulPrimitives: MatmulPrimitives = {
  matmul,
  conv2d,
  conv2dGradInput,
  conv2dGradWeight,
};
