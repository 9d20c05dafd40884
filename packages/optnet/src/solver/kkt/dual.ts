/**
 * The KKT system in constraint space ("dual" reduction, qpth's): for
 * positive definite Q, with everything that does not move factored once.
 *
 * Glossary: Q [nz, nz], G [nIneq, nz], A [nEq, nz] (each shared or with a
 * leading nBatch axis); z primal, s slack, lam/nu duals; y = [dlam; dnu].
 *
 * Eliminating dz = −Q⁻¹(rx + Gᵀdlam + Aᵀdnu) and
 * ds = −rc/lam − (s/lam)∘dlam from the Newton system (types.ts) leaves
 *
 *   [Kgg + diag(s/lam)  Kga] [dlam]   [r1]   r1 = rz − rc/lam − G Q⁻¹ rx
 *   [Kag                Kaa] [dnu ] = [r2],  r2 = ry − A Q⁻¹ rx,
 *
 * with Kgg = G Q⁻¹ Gᵀ, Kga = G Q⁻¹ Aᵀ, Kaa = A Q⁻¹ Aᵀ, all fixed: with
 * W_G = L_Q⁻¹Gᵀ and W_A = L_Q⁻¹Aᵀ, Kgg = W_GᵀW_G and so on. The equality
 * block is eliminated once too: with R = Kaa = L_R L_Rᵀ and
 * V = L_R⁻¹ Kag, the Schur complement S = Kgg − VᵀV + diag(s/lam) is the
 * only matrix factored per iteration, nIneq × nIneq, and
 *
 *   u = L_R⁻¹ r2,  dlam = S⁻¹(r1 − Vᵀu),  dnu = L_R⁻ᵀ(u − V dlam).
 *
 * Unlike the variable-space form, the iterate enters as s/lam on a
 * diagonal, not as lam/s inside GᵀDG: inactive rows get a large, harmless
 * diagonal and active rows keep the bounded Kgg, so the factorization stays
 * well conditioned up to tight tolerances and in float32. A tiny δ on R
 * keeps dependent rows of A factorable. The factorizations are in
 * dual-factor.ts; this file solves with them.
 */
import type { Tensor } from '@optnet/tensor';
import { cholSolveVec, mtv, mv, trsv } from '../../kernels/batch.js';
import {
  dualSolveRx,
  predictCorrect,
} from '../../kernels/dual-solve-kernel.js';
import {
  dualSolveEq,
  predictCorrectEq,
} from '../../kernels/predict-correct-eq-kernel.js';
import { refinedSolveRx } from '../../kernels/refined-solve-kernel.js';
import { slackStep } from '../../kernels/step-kernels.js';
import { residualKernelOf } from './kkt.js';
import {
  factorDual,
  factorStepDual,
  factorStepMoveDual,
  refactorDual,
  preFactorDual,
  type DualFact,
  type DualPre,
} from './dual-factor.js';
import type {
  KktFit,
  KktProblemInfo,
  KktRhs,
  KktStep,
  KktStepRhs,
  KktStrategy,
} from './types.js';

/**
 * (dlam, dnu) from the reduced right-hand sides r1, r2 (see the file comment).
 */
function solveY(
  f: DualFact,
  r1: Tensor | null,
  r2: Tensor | null,
): [Tensor | null, Tensor | null] {
  const { lr, v } = f.pre;
  const u = r2 === null || lr === null ? null : trsv(lr, r2, false);
  let dlam: Tensor | null = null;
  if (r1 !== null && f.ls !== null) {
    const rhs = u === null || v === null ? r1 : r1.sub(mtv(v, u));
    dlam = cholSolveVec(f.ls, rhs);
  }
  if (u === null || lr === null) return [dlam, null];
  const w = dlam === null || v === null ? u : u.sub(mv(v, dlam));
  return [dlam, trsv(lr, w, true)];
}

/** The parts of a solve that depend only on rx, rz, ry (not on rc). */
interface RxParts {
  readonly rx: Tensor;
  readonly rz: Tensor | null;
  readonly ry: Tensor | null;
  readonly t: Tensor;
  /** rz − G Q⁻¹ rx and ry − A Q⁻¹ rx. */
  readonly zPart: Tensor | null;
  readonly r2: Tensor | null;
}

/**
 * Mehrotra's predictor and corrector share rx, rz and ry and differ only
 * in rc, so L_Q⁻¹rx and its products with W_G, W_A are computed once per
 * factorization and reused by the second solve.
 */
const rxCache = new WeakMap<DualFact, RxParts>();

function rxParts(f: DualFact, rhs: KktRhs): RxParts {
  const hit = rxCache.get(f);
  if (
    hit !== undefined &&
    hit.rx === rhs.rx &&
    hit.rz === rhs.rz &&
    hit.ry === rhs.ry
  )
    return hit;
  const { lq, wG, wA } = f.pre;
  const t = trsv(lq, rhs.rx, false);
  const zPart = wG !== null && rhs.rz !== null ? rhs.rz.sub(mtv(wG, t)) : null;
  const r2 = wA !== null && rhs.ry !== null ? rhs.ry.sub(mtv(wA, t)) : null;
  const parts = { rx: rhs.rx, rz: rhs.rz, ry: rhs.ry, t, zPart, r2 };
  rxCache.set(f, parts);
  return parts;
}

/**
 * solveKkt's solve with one step of refinement (against f.target, or
 * f.s, f.lam) in one fused kernel (kernels/refined-solve-kernel.ts: the
 * same bits as the solve, residual and solve it replaces); null where
 * solveKkt would take another path: not exactly one refinement step,
 * equalities, a missing block, one problem or float32 (whose ops round
 * between them).
 */
function refinedSolveDual(f: DualFact, rhs: KktRhs): KktStep | null {
  const { lq, wG, wA } = f.pre;
  const { Q, G } = f.pre.data;
  const s = f.target?.s ?? f.s;
  const lam = f.target?.lam ?? f.lam;
  const { rc, rz } = rhs;
  if (
    f.refine !== 1 ||
    wA !== null ||
    wG === null ||
    G === null ||
    rc === null ||
    rz === null ||
    s === null ||
    lam === null ||
    f.lam === null ||
    f.ls === null ||
    f.sOverLam === null ||
    f.inactive === null ||
    // the Newton residual it replaces came from the dense fused kernel
    residualKernelOf(f.pre.data, null, null) !== 'dense' ||
    rhs.rx.dtype !== 'float64'
  )
    return null;
  const [dz, dlam, ds] = refinedSolveRx(
    lq,
    wG,
    G,
    f.ls,
    Q,
    rhs.rx,
    rc,
    f.lam,
    f.sOverLam,
    f.inactive,
    rz,
    s,
    lam,
  );
  return { dz, ds, dlam, dnu: null };
}

/**
 * With inequalities, the whole solve in one fused kernel (the single-solve
 * mode of qpPredictCorrect, or of qpPredictCorrectEq with equalities);
 * null where a piece is missing.
 */
function solveFused(f: DualFact, rhs: KktRhs): KktStep | null {
  const { lq, wG, wA, lr, v } = f.pre;
  const { G } = f.pre.data;
  const { rc, rz, ry } = rhs;
  if (
    wG === null ||
    G === null ||
    rc === null ||
    rz === null ||
    f.lam === null ||
    f.ls === null ||
    f.sOverLam === null ||
    f.inactive === null
  )
    return null;
  if (wA === null) {
    const [dz, dlam, ds] = dualSolveRx(
      lq,
      wG,
      G,
      f.ls,
      rhs.rx,
      rc,
      f.lam,
      f.sOverLam,
      f.inactive,
      rz,
    );
    return { dz, ds, dlam, dnu: null };
  }
  if (lr === null || v === null || ry === null) return null;
  const [dz, dlam, ds, dnu] = dualSolveEq(
    lq,
    wG,
    G,
    f.ls,
    lr,
    v,
    wA,
    rhs.rx,
    ry,
    rc,
    f.lam,
    f.sOverLam,
    f.inactive,
    rz,
  );
  return { dz, ds, dlam, dnu };
}

/**
 * Solve the Newton system for the residuals `rhs` (no refinement; see kkt.ts).
 */
function solveDual(f: DualFact, rhs: KktRhs): KktStep {
  const fused = solveFused(f, rhs);
  if (fused !== null) return fused;
  const { lq, wG, wA } = f.pre;
  const { t, zPart, r2 } = rxParts(f, rhs);
  let rcOverLam: Tensor | null = null;
  let r1: Tensor | null = null;
  if (zPart !== null && rhs.rc !== null && f.lam !== null) {
    rcOverLam = rhs.rc.div(f.lam);
    r1 = zPart.sub(rcOverLam);
  }
  const [dlam, dnu] = solveY(f, r1, r2);
  let back = t;
  if (wG !== null && dlam !== null) back = back.add(mv(wG, dlam));
  if (wA !== null && dnu !== null) back = back.add(mv(wA, dnu));
  const dz = trsv(lq, back, true).neg();
  if (
    dlam === null ||
    rcOverLam === null ||
    f.sOverLam === null ||
    f.inactive === null
  ) {
    return { dz, ds: null, dlam, dnu };
  }
  // Two exact-arithmetic-equal formulas for ds; take the better conditioned
  // per row. On inactive rows s/lam reaches 1e12 and −rc/lam − (s/lam)∘dlam
  // would amplify the round-off in dlam into the primal residual, so use
  // the linear row G dz + ds = −rz there; on active rows (s/lam small) the
  // complementarity form keeps s∘lam consistent.
  const ds = slackStep(
    rcOverLam,
    f.sOverLam,
    dlam,
    rhs.rz!,
    mv(f.pre.data.G!, dz),
    f.inactive,
  );
  return { dz, ds, dlam, dnu };
}

/**
 * A whole Mehrotra direction (affine solve with rc = s∘lam, corrector
 * right-hand side, corrector solve) in one fused kernel, for the factors
 * of `f` (made at f.s, f.lam), with or without equalities; null where it
 * does not apply (no inequalities, or refinement asked for): then the
 * caller runs the separate solves.
 */
function predictorCorrectorDual(f: DualFact, rhs: KktStepRhs): KktStep | null {
  const { lq, wG, wA, lr, v } = f.pre;
  const { G } = f.pre.data;
  if (
    wG === null ||
    G === null ||
    rhs.rz === null ||
    f.s === null ||
    f.lam === null ||
    f.ls === null ||
    f.sOverLam === null ||
    f.inactive === null ||
    f.refine > 0
  )
    return null;
  if (wA === null) {
    const [dz, dlam, ds] = predictCorrect(
      lq,
      wG,
      G,
      f.ls,
      rhs.rx,
      f.s,
      f.lam,
      f.sOverLam,
      f.inactive,
      rhs.rz,
      f.active,
    );
    return { dz, ds, dlam, dnu: null };
  }
  if (lr === null || v === null || rhs.ry === null) return null;
  const [dz, dlam, ds, dnu] = predictCorrectEq(
    lq,
    wG,
    G,
    f.ls,
    lr,
    v,
    wA,
    rhs.rx,
    rhs.ry,
    f.s,
    f.lam,
    f.sOverLam,
    f.inactive,
    rhs.rz,
    f.active,
  );
  return { dz, ds, dlam, dnu };
}

/**
 * Needs Q safely definite: Cholesky pivots L_jj² ≥ 1e-10·Q_jj (1e-4 in
 * float32). Cost: the (nIneq + nEq)³/3 of its factorization.
 */
function fitDual(info: KktProblemInfo): KktFit {
  const thr = info.float32 ? 1e-4 : 1e-10;
  if (!(info.pivotRatio >= thr)) {
    return {
      code: 'Q_NOT_PSD',
      refused: `needs a positive definite Q; got a Q whose smallest Cholesky pivot is ${info.pivotRatio.toExponential(1)} of its diagonal (below ${thr}). Use kkt: 'auto' or 'primal'.`,
    };
  }
  return { cost: (info.nIneq + info.nEq) ** 3 / 3 };
}

/**
 * The constraint-space reduction as a KKT strategy (see the file comment).
 * Refinement is off by default: measured (BENCHMARKS.md), it changes
 * nothing here, float32 included.
 * @example
 * const pre = preFactorKkt(dualKkt, setup); // kkt.ts
 */
export const dualKkt: KktStrategy<DualPre, DualFact> = {
  name: 'dual',
  defaultRefine: 0,
  fit: fitDual,
  prefactor: (setup) => preFactorDual(dualKkt, setup),
  factor: factorDual,
  solve: solveDual,
  refinedSolve: refinedSolveDual,
  step: predictorCorrectorDual,
  factorStep: factorStepDual,
  factorStepMove: factorStepMoveDual,
  refactor: refactorDual,
};
