/**
 * VJP of diagonal: y_i = A_ii, so Ā = diag(ȳ) (zero off the diagonal),
 * built with addDiagonal on zeros.
 */
import * as T from '@optnet/tensor';
import type { NoAttrs } from '@optnet/tensor';
import type { VjpRule } from './types.js';

export const diagonalVjp: VjpRule<NoAttrs> = ({ inputs: [a] }, [g]) => [
  T.addDiagonal(T.zeros(a.shape, { dtype: g.dtype, backend: g.backend }), g),
];
