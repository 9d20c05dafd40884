/**
 * VJPs of softmax and logSoftmax along attrs.axis. Derivation, per slice
 * along the axis: y = softmax(x) has Jacobian diag(y) − y·yᵀ, so
 * Jᵀg = y ⊙ g − y·(yᵀg) = y ⊙ (g − Σ g ⊙ y). logSoftmax = x − logsumexp(x)
 * has Jacobian I − 1·softmax(x)ᵀ, so Jᵀg = g − softmax(x)·Σ g, and
 * softmax(x) = exp(y) reuses the output.
 */
import * as T from '@optnet/tensor';
import type { SoftmaxAttrs } from '@optnet/tensor';
import type { VjpRule } from './types.js';

/** y = softmax(x): dx = y·(g − Σ g·y) */
export const softmaxVjp: VjpRule<SoftmaxAttrs> = (
  { outputs: [y], attrs: { axis } },
  [g],
) => [T.mul(y, T.sub(g, T.sum(T.mul(g, y), axis, true)))];

/** y = logSoftmax(x): dx = g − softmax(x)·Σ g, with softmax(x) = exp(y) */
export const logSoftmaxVjp: VjpRule<SoftmaxAttrs> = (
  { outputs: [y], attrs: { axis } },
  [g],
) => [T.sub(g, T.mul(T.exp(y), T.sum(g, axis, true)))];
