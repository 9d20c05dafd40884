/** The movement primitives, one entry per primitive (see ../primitives.ts). */
import type { KernelOp } from '../op.js';
import { concat, type ConcatAttrs } from './concat.js';
import { flip, type FlipAttrs } from './flip.js';
import {
  gather,
  scatterAdd,
  type GatherAttrs,
  type ScatterAddAttrs,
} from './gather.js';
import { pad, type PadAttrs } from './pad.js';
import {
  slice,
  sliceScatter,
  type SliceAttrs,
  type SliceScatterAttrs,
} from './slice.js';

/**
 * The primitives that move or select elements (part of `Primitives`).
 * @example
 * const op: MovementPrimitives['flip'] = primitives.flip;
 * apply1(op, [tensor([1, 2, 3])], { axes: [0] }); // [3, 2, 1]
 */
export interface MovementPrimitives {
  /** A strided sub-range of each axis. */
  readonly slice: KernelOp<SliceAttrs>;
  /** A copy of x with a slice replaced by src (slice's gradient). */
  readonly sliceScatter: KernelOp<SliceScatterAttrs>;
  /** Constant padding before and after each axis. */
  readonly pad: KernelOp<PadAttrs>;
  /** Join tensors along an axis. */
  readonly concat: KernelOp<ConcatAttrs>;
  /** Reverse the order along axes. */
  readonly flip: KernelOp<FlipAttrs>;
  /** Pick elements along an axis by index (PyTorch's gather). */
  readonly gather: KernelOp<GatherAttrs>;
  /** Add values into positions along an axis (gather's gradient). */
  readonly scatterAdd: KernelOp<ScatterAddAttrs>;
}

export const movementPrimitives: MovementPrimitives = {
  slice,
  sliceScatter,
  pad,
  concat,
  flip,
  gather,
  scatterAdd,
};
