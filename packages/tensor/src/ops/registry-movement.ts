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

export interface MovementPrimitives {
  readonly slice: KernelOp<SliceAttrs>;
  readonly sliceScatter: KernelOp<SliceScatterAttrs>;
  readonly pad: KernelOp<PadAttrs>;
  readonly concat: KernelOp<ConcatAttrs>;
  readonly flip: KernelOp<FlipAttrs>;
  readonly gather: KernelOp<GatherAttrs>;
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
