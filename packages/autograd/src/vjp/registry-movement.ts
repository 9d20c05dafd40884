/** VJP rules of the movement primitives. */
import type { MovementPrimitives } from '@optnet/tensor';
import { flipVjp } from './flip.js';
import type { VjpTable } from './types.js';

export const movementVjps: VjpTable<MovementPrimitives> = { flip: flipVjp };
