/** VJP rules of the linalg primitives. */
import type { LinalgPrimitives } from '@optnet/tensor';
import type { VjpTable } from './types.js';

export const linalgVjps: VjpTable<LinalgPrimitives> = {};
