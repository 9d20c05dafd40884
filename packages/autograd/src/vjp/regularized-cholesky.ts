/**
 * VJP of regularizedCholesky. Item b's factor is L = chol(A + c·unit·I)
 * with c = boosts[level] a constant (piecewise: the level does not move
 * under an infinitesimal change), so with Ā the cholesky VJP at L,
 *   Ā_b = Ā,   ūnit_b = c·tr(Ā)   (d(A + c·unit·I) = dA + c·d unit·I).
 * An item that broke down (level −1) returned the constant identity: its
 * gradients are 0. `level` itself is piecewise constant: no gradient.
 */
import * as T from '@optnet/tensor';
import type { RegularizedCholeskyAttrs, Tensor } from '@optnet/tensor';
import { choleskyVjp } from './cholesky.js';
import type { VjpRule } from './types.js';

/** boosts[level] per item [..., 1], 0 where level is −1. */
function boostOf(level: Tensor, boosts: readonly number[]): Tensor {
  let c = T.mul(level, 0);
  boosts.forEach((b, k) => {
    c = T.where(T.equal(level, k), b, c);
  });
  return c;
}

export const regularizedCholeskyVjp: VjpRule<RegularizedCholeskyAttrs> = (
  { outputs: [l, level], attrs },
  [g],
) => {
  const ok = T.greaterEqual(level, 0).unsqueeze(-1);
  const [gA] = choleskyVjp({ inputs: [], outputs: [l], attrs: {} }, [g]);
  const ga = T.where(ok, gA!, 0);
  const trace = T.diagonal(ga).sum(-1, true);
  return [ga, T.mul(trace, boostOf(level, attrs.boosts))];
};
