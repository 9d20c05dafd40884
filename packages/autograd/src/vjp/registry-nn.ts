/** VJP rules of the nn primitives. */
import type { NnPrimitives } from '@optnet/tensor';
import type { VjpTable } from './types.js';

export const nnVjps: VjpTable<NnPrimitives> = {};
