/** VJP rules of the movement primitives. */
import type { MovementPrimitives } from '@optnet/tensor';
import { concatVjp } from './concat.js';
import { flipVjp } from './flip.js';
import { gatherVjp, scatterAddVjp } from './gather.js';
import { padVjp } from './pad.js';
import { sliceScatterVjp, sliceVjp } from './slice.js';
import type { VjpTable } from './types.js';

export const movementVjps: VjpTable<MovementPrimitives> = {
  slice: sliceVjp,
  sliceScatter: sliceScatterVjp,
  pad: padVjp,
  concat: concatVjp,
  flip: flipVjp,
  gather: gatherVjp,
  scatterAdd: scatterAddVjp,
};
