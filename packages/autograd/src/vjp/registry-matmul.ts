/** VJP rules of the matmul primitives. */
import type { MatmulPrimitives } from '@optnet/tensor';
import {
  conv2dGradInputVjp,
  conv2dGradWeightVjp,
  conv2dVjp,
} from './conv2d.js';
import { matmulVjp } from './matmul.js';
import type { VjpTable } from './types.js';

export const matmulVjps: VjpTable<MatmulPrimitives> = {
  matmul: matmulVjp,
  conv2d: conv2dVjp,
  conv2dGradInput: conv2dGradInputVjp,
  conv2dGradWeight: conv2dGradWeightVjp,
};
