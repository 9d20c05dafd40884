/**
 * VJPs of the pooling primitives. avgPool2dGrad is linear in g, so its own
 * VJP (for second derivatives) is avgPool2d; maxPool2dGrad has no rule yet
 * (second derivatives through maxPool2d are not supported).
 */
import * as T from '@optnet/tensor';
import type { Pool2dAttrs } from '@optnet/tensor';
import type { VjpRule } from './types.js';

type PoolRule = VjpRule<Pool2dAttrs>;

/** Route g to the first maximum of each window. */
export const maxPool2dVjp: PoolRule = ({ inputs: [x], attrs }, [g]) => [
  T.maxPool2dGrad(x, g, attrs),
];

/**
 * Spread g/(kh·kw) over each window (padding counted, as count_include_pad).
 */
export const avgPool2dVjp: PoolRule = ({ inputs: [x], attrs }, [g]) => [
  T.avgPool2dGrad(x, g, attrs),
];

/** avgPool2dGrad is linear in g with adjoint avgPool2d. */
export const avgPool2dGradVjp: PoolRule = ({ attrs }, [h]) => [
  null,
  T.avgPool2d(h, attrs),
];
