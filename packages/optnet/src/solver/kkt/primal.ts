/**
 * The KKT system in variable space ("primal" reduction): for any convex Q,
 * singular included.
 *
 * Glossary: Q [nz, nz], G [nIneq, nz], A [nEq, nz] (each shared or with a
 * leading nBatch axis); z primal, s slack, lam inequality duals, nu
 * equality duals; d = lam / s. The Newton system is written out in
 * types.ts.
 *
 * Eliminating ds = −rz − G dz and dlam = d∘(G dz) + w, w = (lam∘rz − rc)/s,
 * leaves the reduced system
 *
 *   [H  Aᵀ] [dz ]   [r1]     H  = Q + Gᵀ diag(d) G
 *   [A  0 ] [dnu] = [r2],    r1 = −rx − Gᵀw,  r2 = −ry.
 *
 * Q may be singular (an LP, free variables) and A may have dependent rows,
 * so we factor a regularized, equivalent form: adding ρAᵀ(A dz − r2) = 0 to
 * the first row gives P = H + ρAᵀA, which is definite whenever the problem
 * is bounded, and a small δI on P and on the Schur complement
 * S = A P⁻¹ Aᵀ keeps both Cholesky factorizations alive; an item whose
 * factorization still breaks down (round-off, float32) is factored again,
 * alone, with up to 1e12 times more (`regularizedCholesky`). Iterative
 * refinement on the full Newton system (kkt.ts) removes δ's error.
 */
import { full, regularizedCholesky, type Tensor } from '@optnet/tensor';
import { eliminateSlacks, recoverSlacks, worseLevel } from './kkt.js';
import { cholSolveVec, mtdm, mtv, mv, trsv } from '../../kernels/batch.js';
import type {
  KktFact,
  KktFit,
  KktPre,
  KktProblemInfo,
  KktRhs,
  KktSetup,
  KktStep,
  KktStrategy,
} from './types.js';

/** What does not change between iterations. */
export interface PrimalPre extends KktPre {
  /** Q + ρAᵀA + δI. */
  readonly qBase: Tensor;
  readonly rho: number;
  readonly delta: number;
  /** δ per item [nBatch, 1]: the unit of P's regularization. */
  readonly unit: Tensor;
}

/** The factorization at one iterate (d = lam / s). */
export interface PrimalFact extends KktFact {
  readonly pre: PrimalPre;
  readonly d: Tensor | null;
  /** Cholesky factor of P = H + ρAᵀA + δI. */
  readonly l1: Tensor;
  /** L1⁻¹Aᵀ [nBatch, nz, nEq] and the Cholesky factor of S + δI. */
  readonly w: Tensor | null;
  readonly l2: Tensor | null;
}

/**
 * P's and S's regularization per try: none (beyond δ), then 1e3, 1e6, 1e9,
 * 1e12 times δ (for S: 1, 1e3, ... times its unit).
 */
const P_BOOSTS = [0, 1e3, 1e6, 1e9, 1e12];
const S_BOOSTS = [1, 1e3, 1e6, 1e9, 1e12];

/**
 * Everything that does not depend on the iterate: ρAᵀA and δI folded into
 * Q once. δ is relative to Q's scale; ρ makes ρAᵀA comparable to Q.
 */
function preFactorPrimal({ data, scales, refine }: KktSetup): PrimalPre {
  const qScale = Math.max(1, scales.qMax);
  const delta = (data.dtype === 'float64' ? 1e-10 : 1e-6) * qScale;
  let qBase = data.Q.addDiagonal(full([data.nz], delta, { dtype: data.dtype }));
  let rho = 0;
  if (data.A !== null) {
    rho = qScale / Math.max(scales.ataMax, 1e-12);
    qBase = qBase.add(data.A.matmul(data.A, { transA: true }).mul(rho));
  }
  const unit = full([data.nBatch, 1], delta, { dtype: data.dtype });
  // ‖G_i‖² / max|Q| (/ 1 for an LP): where lam_i/s_i·‖G_i‖², row i's
  // weight in Gᵀdiag(lam/s)G, equals Q's scale.
  const rowScale =
    data.G === null
      ? null
      : data.G.square()
          .sum(-1)
          .div(scales.qMax > 0 ? scales.qMax : 1);
  return {
    strategy: primalKkt,
    data,
    qBase,
    rho,
    delta,
    unit,
    refine,
    level: null,
    rowScale,
    // δ sets P's condition (active rows weigh 1/δ): moderate, refined
    // once, and twice in the backward (one step left a gradient of
    // hard-qp.test.ts's objective × 1e4 family 1.5e-10 off).
    polish: {
      delta: data.dtype === 'float64' ? 1e-9 : 1e-4,
      refine: 1,
      adjointRefine: 2,
    },
  };
}

/**
 * Factor the reduced system at the iterate (s, lam), d = lam / s (both
 * null without inequalities). Returns a new value; `pre` is not changed.
 */
function factorPrimal(
  pre: PrimalPre,
  s: Tensor | null,
  lam: Tensor | null,
): PrimalFact {
  const { G, A, nBatch, dtype } = pre.data;
  const d = s === null || lam === null ? null : lam.div(s);
  let p = pre.qBase;
  if (G !== null && d !== null) p = p.add(mtdm(G, d));
  const [l1, level1] = regularizedCholesky(p, pre.unit, P_BOOSTS);
  const base = { pre, s, lam, refine: pre.refine, d, l1 };
  if (A === null) return { ...base, level: level1, w: null, l2: null };
  const at = A.rank === 2 ? A.transpose() : A.transpose(-2, -1);
  const w = l1.triangularSolve(
    at.rank === 2 ? at.expand([nBatch, ...at.shape]) : at,
  );
  const schur = w.matmul(w, { transA: true });
  const unit = schur
    .diagonal()
    .max(-1, true)
    .mul(dtype === 'float64' ? 1e-12 : 1e-7)
    .add(pre.delta * 1e-3);
  const [l2, level2] = regularizedCholesky(schur, unit, S_BOOSTS);
  return { ...base, level: worseLevel(level1, level2), w, l2 };
}

/** Solve the regularized reduced system once: (dz, dnu) for (r1, r2). */
function solveReduced(
  f: PrimalFact,
  r1: Tensor,
  r2: Tensor | null,
): [Tensor, Tensor | null] {
  const A = f.pre.data.A;
  if (A === null || f.w === null || f.l2 === null || r2 === null) {
    return [cholSolveVec(f.l1, r1), null];
  }
  // (P) dz + Aᵀdnu = r1 + ρAᵀr2 ;  A dz = r2
  const t = trsv(f.l1, r1.add(mtv(A, r2).mul(f.pre.rho)), false);
  const dnu = cholSolveVec(f.l2, mtv(f.w, t).sub(r2));
  const dz = trsv(f.l1, t.sub(mv(f.w, dnu)), true);
  return [dz, dnu];
}

/**
 * Solve the Newton system for the residuals `rhs` (no refinement; see kkt.ts).
 */
function solvePrimal(f: PrimalFact, rhs: KktRhs): KktStep {
  const { G } = f.pre.data;
  const { r1, w } = eliminateSlacks(G, rhs, f.s, f.lam);
  const r2 = rhs.ry === null ? null : rhs.ry.neg();
  const [dz, dnu] = solveReduced(f, r1, r2);
  return recoverSlacks(G, rhs, w, () => f.d!, dz, dnu);
}

/**
 * Applies to every convex QP. Cost: its factorizations' nIneq·nz² + nz³/3
 * (+ the equality block's), weighted 3×: the dual reduction's conditioning
 * is worth that much (degenerate problems such as Maros–Meszaros QPCBOEI2,
 * 2.1× dearer in dual form, stall in this one).
 */
function fitPrimal({ nz: n, nIneq: m, nEq: k }: KktProblemInfo): KktFit {
  const cost = m * n * n + n ** 3 / 3 + k * n * n + k * k * n + k ** 3 / 3;
  return { cost: 3 * cost };
}

/**
 * The variable-space reduction as a KKT strategy (see the file comment),
 * with one refinement step per solve by default to undo δ and ρ.
 * @example
 * const pre = preFactorKkt(primalKkt, setup); // kkt.ts
 */
export const primalKkt: KktStrategy<PrimalPre, PrimalFact> = {
  name: 'primal',
  defaultRefine: 1,
  fit: fitPrimal,
  prefactor: preFactorPrimal,
  factor: factorPrimal,
  solve: solvePrimal,
  step: () => null,
};
