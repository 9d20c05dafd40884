/**
 * VJP of solve. X = A⁻¹B, dX = A⁻¹(dB − dA·X), so with G = X̄:
 *   B̄ = A⁻ᵀ G,  Ā = −B̄ Xᵀ.
 */
import * as T from '@optnet/tensor';
import type { NoAttrs } from '@optnet/tensor';
import { mT } from './triangular-solve.js';
import type { VjpRule } from './types.js';

export const solveVjp: VjpRule<NoAttrs> = (
  { inputs: [a], outputs: [x] },
  [g],
) => {
  const gb = T.solve(mT(a), g);
  return [T.neg(T.matmul(gb, x, { transB: true })), gb];
};
