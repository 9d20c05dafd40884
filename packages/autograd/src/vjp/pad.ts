/** VJP of constant pad: the cotangent sliced back to the input's region. */
import * as T from '@optnet/tensor';
import type { VjpRule } from './types.js';

export const padVjp: VjpRule<T.PadAttrs> = (
  { inputs: [x], attrs: { pads } },
  [g],
) => [
  T.slice(
    g,
    pads.map(([b], a) => ({ start: b, stop: b + x.shape[a] })),
  ),
];
