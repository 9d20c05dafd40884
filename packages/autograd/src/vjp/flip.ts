/** VJP of flip: flipping is its own inverse (and its own transpose). */
import * as T from '@optnet/tensor';
import type { VjpRule } from './types.js';

export const flipVjp: VjpRule<T.FlipAttrs> = ({ attrs: { axes } }, [g]) => [
  T.flip(g, axes),
];
