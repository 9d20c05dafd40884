/** VJP rules of the movement primitives. */
import type { MovementPrimitives } from '@optnet/tensor';
import type { VjpTable } from './types.js';

export const movementVjps: VjpTable<MovementPrimitives> = {};
