/**
 * The KKT system of one interior-point step, solved by block elimination
 * with batched Cholesky factorizations, in one of two reductions.
 *
 * Glossary: Q [nz, nz], G [nIneq, nz], A [nEq, nz] (each shared or with a
 * leading nBatch axis); z primal, s slack, lam inequality duals, nu
 * equality duals.
 *
 * The Newton system of the perturbed KKT conditions is
 *
 *   Q dz + Gᵀdlam + Aᵀdnu = −rx          (stationarity)
 *   lam∘ds + s∘dlam       = −rc          (complementarity)
 *   G dz + ds             = −rz          (inequalities, s = h − Gz)
 *   A dz                  = −ry          (equalities)
 *
 * - 'dual' (kkt-dual.ts): eliminate dz through Q⁻¹, factor an
 *   (nIneq + nEq) matrix per iteration. Needs Q positive definite; Q is
 *   factored once. Well conditioned near the solution; the default when Q
 *   is definite.
 * - 'primal' (kkt-primal.ts): eliminate ds and dlam, factor an nz matrix
 *   Q + GᵀDG (+ ρAᵀA + δI) per iteration. Works for any convex Q.
 *
 * preFactorKkt / factorKkt / solveKkt import no autograd: the backward pass
 * calls solveKkt on the forward's final factorization.
 */
import type { DType, Tensor } from '@optnet/tensor';
import { factorDual, preFactorDual, solveDual, type DualFact, type DualPre } from './kkt-dual.js';
import { factorPrimal, preFactorPrimal, solvePrimal, type PrimalFact, type PrimalPre } from './kkt-primal.js';

export interface KktData {
  readonly Q: Tensor;
  readonly G: Tensor | null;
  readonly A: Tensor | null;
  readonly nBatch: number;
  readonly nz: number;
  readonly nIneq: number;
  readonly nEq: number;
  readonly dtype: DType;
}

/** Residuals of the Newton system (null for an absent block). */
export interface KktRhs {
  readonly rx: Tensor;
  readonly rc: Tensor | null;
  readonly rz: Tensor | null;
  readonly ry: Tensor | null;
}

export interface KktStep {
  readonly dz: Tensor;
  readonly ds: Tensor | null;
  readonly dlam: Tensor | null;
  readonly dnu: Tensor | null;
}

export interface KktScales {
  /** Largest |Q_ij| over the batch (sets δ). */
  readonly qMax: number;
  /** Largest diagonal entry of AᵀA over the batch (sets ρ). */
  readonly ataMax: number;
}

export type KktForm = 'dual' | 'primal';
export type KktPre = DualPre | PrimalPre;
export type KktFact = DualFact | PrimalFact;

/**
 * Everything that does not depend on the iterate. `form` 'dual' needs a
 * positive definite Q (the caller decides; see prepare.ts).
 */
export function preFactorKkt(data: KktData, scales: KktScales, form: KktForm, refine: number): KktPre {
  return form === 'dual' ? preFactorDual(data) : preFactorPrimal(data, scales, refine);
}

/** Factor at the iterate (s, lam); a new value, `pre` is unchanged. */
export function factorKkt(pre: KktPre, s: Tensor | null, lam: Tensor | null): KktFact {
  return pre.form === 'dual' ? factorDual(pre, s, lam) : factorPrimal(pre, s, lam);
}

/** Solve the Newton system for `rhs` with a factorization. */
export function solveKkt(f: KktFact, rhs: KktRhs): KktStep {
  return f.form === 'dual' ? solveDual(f, rhs) : solvePrimal(f, rhs);
}
