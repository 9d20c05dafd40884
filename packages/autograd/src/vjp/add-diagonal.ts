/**
 * VJP of addDiagonal: Y = A + diag(d), so dY = dA + diag(dd) and
 *   Ā = Ȳ,   d̄ = diagonal(Ȳ) = (Ȳ ∘ I)·1.
 * The tape sums over any batch axes A or d were broadcast along.
 */
import * as T from '@optnet/tensor';
import type { NoAttrs } from '@optnet/tensor';
import type { VjpRule } from './types.js';

export const addDiagonalVjp: VjpRule<NoAttrs> = ({ inputs: [a] }, [g]) => {
  const n = a.shape[a.rank - 1];
  return [g, T.sum(T.mul(g, T.eye(n, { dtype: g.dtype })), -1)];
};
