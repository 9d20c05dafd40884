/**
 * VJP of addDiagonal: Y = A + diag(d), so dY = dA + diag(dd) and
 *   Ā = Ȳ,   d̄ = diagonal(Ȳ).
 * The tape sums over any batch axes A or d were broadcast along.
 */
import * as T from '@optnet/tensor';
import type { NoAttrs } from '@optnet/tensor';
import type { VjpRule } from './types.js';

export const addDiagonalVjp: VjpRule<NoAttrs> = (_ctx, [g]) => [
  g,
  T.diagonal(g),
];
