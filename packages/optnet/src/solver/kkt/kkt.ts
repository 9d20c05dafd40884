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
 * - 'dual' (dual.ts): eliminate dz through Q⁻¹, factor an
 *   (nIneq + nEq) matrix per iteration. Needs Q positive definite; Q is
 *   factored once. Well conditioned near the solution; the default when Q
 *   is definite.
 * - 'primal' (primal.ts): eliminate ds and dlam, factor an nz matrix
 *   Q + GᵀDG (+ ρAᵀA + δI) per iteration. Works for any convex Q.
 *
 * preFactorKkt / factorKkt / solveKkt import no autograd: the backward pass
 * calls solveKkt on the forward's final factorization.
 */
import { ValueError, type DType, type Tensor } from '@optnet/tensor';
import { mtv, mv } from '../../kernels/batch.js';
import {
  factorDual,
  predictorCorrectorDual,
  preFactorDual,
  solveDual,
  type DualFact,
  type DualPre,
} from './dual.js';
import {
  factorPrimal,
  preFactorPrimal,
  solvePrimal,
  type PrimalFact,
  type PrimalPre,
} from './primal.js';

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
 * positive definite Q (the caller decides; see prepare.ts) and reuses its
 * Cholesky factor `lq` when given.
 */
export function preFactorKkt(
  data: KktData,
  scales: KktScales,
  form: KktForm,
  refine: number,
  lq: Tensor | null = null,
): KktPre {
  return form === 'dual'
    ? preFactorDual(data, refine, lq)
    : preFactorPrimal(data, scales, refine);
}

/**
 * Factor at the iterate (s, lam); a new value, `pre` is unchanged. When a
 * Cholesky factorization breaks down (round-off on a nearly singular
 * system) it is retried with regularization a thousand times larger, up to
 * four times; the Newton step then is inexact, which the interior-point
 * iteration corrects. Throws NOT_POSITIVE_DEFINITE after the last try.
 */
export function factorKkt(
  pre: KktPre,
  s: Tensor | null,
  lam: Tensor | null,
): KktFact {
  for (let boost = 0; ; boost = boost === 0 ? 1e3 : boost * 1e3) {
    try {
      return pre.form === 'dual'
        ? factorDual(pre, s, lam, boost)
        : factorPrimal(pre, s, lam, boost);
    } catch (e) {
      if (
        !(e instanceof ValueError && e.code === 'NOT_POSITIVE_DEFINITE') ||
        boost >= 1e12
      )
        throw e;
    }
  }
}

function solveOnce(f: KktFact, rhs: KktRhs): KktStep {
  return f.form === 'dual' ? solveDual(f, rhs) : solvePrimal(f, rhs);
}

/**
 * Solve the Newton system for `rhs`, then refine on the full system: the
 * residual of all four block rows is measured directly (never through
 * Gᵀdiag(d)G, whose entries reach 1e12 near a solution) and a correction
 * solved with the same factorization. This removes the regularization's
 * error and the round-off that d = lam/s amplifies. Steps: `pre.refine`
 * (at least 2 after a boosted factorization).
 */
export function solveKkt(f: KktFact, rhs: KktRhs): KktStep {
  let step = solveOnce(f, rhs);
  const boosted = f.form === 'dual' ? f.boosted : false;
  const n = boosted ? Math.max(f.pre.refine, 2) : f.pre.refine;
  for (let i = 0; i < n; i++) {
    const corr = solveOnce(f, newtonResidual(f, rhs, step));
    step = {
      dz: step.dz.add(corr.dz),
      ds: addOrNull(step.ds, corr.ds),
      dlam: addOrNull(step.dlam, corr.dlam),
      dnu: addOrNull(step.dnu, corr.dnu),
    };
  }
  return step;
}

/**
 * The predictor-corrector direction of an interior-point step in one
 * fused kernel where the reduction allows it (dual, inequalities only, no
 * refinement), else null: then solve the affine system, take qpCentering's
 * right-hand side and solve again (pdipm.ts step).
 */
export function predictorCorrector(
  f: KktFact,
  rhs: { rx: Tensor; rz: Tensor | null; ry: Tensor | null },
): KktStep | null {
  return f.form === 'dual' ? predictorCorrectorDual(f, rhs) : null;
}

function addOrNull(a: Tensor | null, b: Tensor | null): Tensor | null {
  return a === null || b === null ? a : a.add(b);
}

/**
 * The right-hand side whose solution corrects `d`: the Newton system is
 * J·d = −r, so J·(d + e) = −r needs J·e = −(r + J·d).
 */
function newtonResidual(f: KktFact, r: KktRhs, d: KktStep): KktRhs {
  const { Q, G, A } = f.pre.data;
  let rx = r.rx.add(mv(Q, d.dz));
  if (G !== null && d.dlam !== null) rx = rx.add(mtv(G, d.dlam));
  if (A !== null && d.dnu !== null) rx = rx.add(mtv(A, d.dnu));
  let rc: Tensor | null = null;
  let rz: Tensor | null = null;
  if (
    G !== null &&
    r.rc !== null &&
    r.rz !== null &&
    d.ds !== null &&
    d.dlam !== null &&
    f.s !== null &&
    f.lam !== null
  ) {
    rc = r.rc.add(f.lam.mul(d.ds)).add(f.s.mul(d.dlam));
    rz = r.rz.add(mv(G, d.dz)).add(d.ds);
  }
  const ry = A !== null && r.ry !== null ? r.ry.add(mv(A, d.dz)) : null;
  return { rx, rc, rz, ry };
}
