/**
 * VJP of matmul, y = op(A)·op(B) (op = identity or transpose of the last two
 * axes). With G = ȳ, using the trans flags instead of transposed copies:
 *   plain:   Ā = G·Bᵀ,   B̄ = Aᵀ·G
 *   transA:  Ā = B·Gᵀ,   B̄ = A·G
 *   transB:  Ā = G·B,    B̄ = Gᵀ·A
 *   both:    Ā = Bᵀ·Gᵀ,  B̄ = Gᵀ·Aᵀ
 * Results have the broadcast batch shape; the walker sums them down.
 */
import * as T from '@optnet/tensor';
import type { MatmulAttrs } from '@optnet/tensor';
import type { VjpRule } from './types.js';

export const matmulVjp: VjpRule<MatmulAttrs> = (
  { inputs: [a, b], attrs: { transA, transB }, needs },
  [g],
) => {
  // an operand that needs no cotangent (data, not a parameter) costs no product
  const [da, db] = cotangents(a, b, g, transA, transB);
  return [
    needs?.[0] === false ? null : da(),
    needs?.[1] === false ? null : db(),
  ];
};

/** Ā and B̄ as deferred products (see the table above). */
function cotangents(
  a: T.Tensor,
  b: T.Tensor,
  g: T.Tensor,
  transA: boolean,
  transB: boolean,
): [() => T.Tensor, () => T.Tensor] {
  if (!transA && !transB)
    return [
      () => T.matmul(g, b, { transB: true }),
      () => T.matmul(a, g, { transA: true }),
    ];
  if (transA && !transB)
    return [() => T.matmul(b, g, { transB: true }), () => T.matmul(a, g)];
  if (!transA && transB)
    return [() => T.matmul(g, b), () => T.matmul(g, a, { transA: true })];
  return [
    () => T.matmul(b, g, { transA: true, transB: true }),
    () => T.matmul(g, a, { transA: true, transB: true }),
  ];
}
