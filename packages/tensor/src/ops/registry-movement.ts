/** The movement primitives, one entry per primitive (see ../primitives.ts). */
import type { KernelOp } from '../op.js';
import { flip, type FlipAttrs } from './flip.js';

export interface MovementPrimitives {
  readonly flip: KernelOp<FlipAttrs>;
}

export const movementPrimitives: MovementPrimitives = { flip };
