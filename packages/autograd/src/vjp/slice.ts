/** VJPs of slice and its transpose sliceScatter (each is the other's VJP). */
import * as T from '@optnet/tensor';
import type { VjpRule } from './types.js';

export const sliceVjp: VjpRule<T.SliceAttrs> = (
  { inputs: [x], attrs: { specs } },
  [g],
) => [T.sliceScatter(g, x.shape, specs)];

export const sliceScatterVjp: VjpRule<T.SliceScatterAttrs> = (
  { attrs: { specs } },
  [g],
) => [T.slice(g, specs)];
