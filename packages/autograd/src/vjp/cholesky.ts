/**
 * VJP of cholesky (Murray 2016, "Differentiation of the Cholesky
 * decomposition", the symmetric form PyTorch and JAX use).
 *
 * Derivation. A = L·Lᵀ, so dA = dL·Lᵀ + L·dLᵀ and, with C = L⁻¹ dA L⁻ᵀ
 * (symmetric), C = L⁻¹dL + (L⁻¹dL)ᵀ. L⁻¹dL is lower triangular, hence
 * L⁻¹dL = Φ(C), where Φ keeps the lower triangle and halves the diagonal,
 * i.e. dL = L Φ(L⁻¹ dA L⁻ᵀ). For the cotangent L̄:
 *   ⟨L̄, dL⟩ = ⟨Lᵀ L̄, Φ(C)⟩ = ⟨Φ(Lᵀ L̄), C⟩     (C symmetric)
 *           = ⟨L⁻ᵀ Φ(Lᵀ L̄) L⁻¹, dA⟩.
 * Only symmetric dA are admissible, so the gradient is the symmetric part:
 *   Ā = ½ (S + Sᵀ),  S = L⁻ᵀ Φ(Lᵀ L̄) L⁻¹.
 * (The kernel reads only A's lower triangle; like PyTorch we return the
 * symmetrized gradient, which is exact for f(A) = cholesky(sym(A)).)
 * Both products with L⁻¹ are triangular solves: S₁ = L⁻ᵀ P, S = (L⁻ᵀ S₁ᵀ)ᵀ.
 */
import * as T from '@optnet/tensor';
import type { FloatDType, NoAttrs } from '@optnet/tensor';
import { mT, triangleMask } from './triangular-solve.js';
import type { VjpRule } from './types.js';

export const choleskyVjp: VjpRule<NoAttrs> = ({ outputs: [l] }, [g]) => {
  const n = l.shape[l.shape.length - 1];
  const phi = T.mul(
    T.matmul(l, g, { transA: true }),
    triangleMask(n, true, 0.5, l.dtype as FloatDType, l.backend),
  );
  const s1 = T.triangularSolve(l, phi, { transpose: true });
  const s = mT(T.triangularSolve(l, mT(s1), { transpose: true }));
  return [T.mul(T.add(s, mT(s)), 0.5)];
};
