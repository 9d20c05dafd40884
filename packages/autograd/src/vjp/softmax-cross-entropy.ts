/**
 * VJPs of softmaxCrossEntropy and of its gradient primitive. Per row i,
 * with p_i = softmax(x_i) and t_i the label (labels get no cotangent):
 *
 *   ℓ_i = logsumexp(x_i) − x_i[t_i]        ∂ℓ_i/∂x_i = p_i − onehot(t_i)
 *   so x̄_i = g_i·(p_i − onehot(t_i)): the primitive softmaxCrossEntropyGrad.
 *
 *   dx_ij = g_i·(p_ij − [j = t_i]) is linear in g, and in x through p,
 *   whose Jacobian is diag(p_i) − p_i·p_iᵀ; for a cotangent c of dx:
 *   ḡ_i = Σ_j c_ij·(p_ij − [j = t_i]) = ⟨c_i, p_i⟩ − c_i[t_i]
 *   x̄_i = g_i·(diag(p_i) − p_i·p_iᵀ)·c_i = g_i·p_i ⊙ (c_i − ⟨c_i, p_i⟩)
 *
 * The second rule is written in differentiable primitives (softmax, sum,
 * gather, ...), so second derivatives of the loss (the gradient primitive
 * differentiated explicitly, as avgPool2dGrad is) are exact, and so are
 * higher ones.
 */
import * as T from '@optnet/tensor';
import type { NoAttrs } from '@optnet/tensor';
import type { VjpRule } from './types.js';

/** ℓ = softmaxCrossEntropy(x, t): x̄ = g·(softmax(x) − onehot(t)). */
export const softmaxCrossEntropyVjp: VjpRule<NoAttrs> = (
  { inputs: [x, t] },
  [g],
) => [T.softmaxCrossEntropyGrad(x, t, g), null];

/** dx = g·(p − onehot(t)): ḡ = ⟨c, p⟩ − c[t], x̄ = g·p·(c − ⟨c, p⟩). */
export const softmaxCrossEntropyGradVjp: VjpRule<NoAttrs> = (
  { inputs: [x, t, g], needs },
  [c],
) => {
  const n = x.shape[0];
  const p = T.softmax(x, -1);
  const cp = T.sum(T.mul(c, p), -1, true);
  const gBar =
    needs?.[2] === false
      ? null
      : T.sub(cp, T.gather(c, T.reshape(t, [n, 1]), 1)).reshape([n]);
  const xBar =
    needs?.[0] === false
      ? null
      : T.mul(T.mul(p, T.sub(c, cp)), T.reshape(g, [n, 1]));
  return [xBar, null, gBar];
};
