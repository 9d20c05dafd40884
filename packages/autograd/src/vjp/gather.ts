/**
 * VJPs of gather and scatterAdd: each is the other's transpose; indices get
 * none.
 */
import * as T from '@optnet/tensor';
import type { VjpRule } from './types.js';

export const gatherVjp: VjpRule<T.GatherAttrs> = (
  { inputs: [x, idx], attrs: { axis } },
  [g],
) => [T.scatterAdd(g, idx, axis, x.shape), null];

export const scatterAddVjp: VjpRule<T.ScatterAddAttrs> = (
  { inputs: [, idx], attrs: { axis } },
  [g],
) => [T.gather(g, idx, axis), null];
