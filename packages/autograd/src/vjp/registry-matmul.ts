/** VJP rules of the matmul primitives. */
import type { MatmulPrimitives } from '@optnet/tensor';
import type { VjpTable } from './types.js';

export const matmulVjps: VjpTable<MatmulPrimitives> = {};
