/**
 * The KKT system for a diagonal Q and simple bounds ("bounds" reduction):
 * the caller declares `structure: { Q: 'diagonal', G: 'bounds' }` (each row
 * of G has one nonzero, so it bounds one variable: the OptNet paper's z ≥ 0
 * is G = −I, h = 0). prepare.ts checks the declaration on the data it
 * reads back anyway.
 *
 * Glossary: Q [nz, nz] (diagonal q), G [nIneq, nz], A [nEq, nz] (each
 * shared or with a leading nBatch axis); z primal, s slack, lam inequality
 * duals, nu equality duals; d = lam / s. The Newton system is written out
 * in types.ts.
 *
 * As in the variable-space reduction (primal.ts), eliminating
 * ds = −rz − G dz and dlam = d∘(G dz) + w, w = (lam∘rz − rc)/s, leaves
 *
 *   [H  Aᵀ] [dz ]   [r1]     H  = Q + Gᵀ diag(d) G
 *   [A  0 ] [dnu] = [r2],    r1 = −rx − Gᵀw,  r2 = −ry,
 *
 * but here H is diagonal: h = q + (G∘G)ᵀd, since two columns of G never
 * share a row. So dz = (r1 − Aᵀdnu) / h, and only the Schur complement
 *
 *   S dnu = A (r1 / h) − r2,   S = A diag(1/h) Aᵀ,
 *
 * an nEq × nEq matrix, is factored per item: O(nEq²·nz) per iteration
 * instead of the dense reductions' O(nz³) or O((nIneq + nEq)³). A variable
 * with q = 0 and no bound would make h zero; a small δ on h (relative to
 * Q's scale) and on S keeps both definite; their relative size (1e-10 and
 * 1e-12 in float64) is far below the steps' own accuracy, so no
 * refinement is needed (the `refine` option still adds it).
 *
 * With inequalities and equalities (the OptNet layer's form) each piece is
 * one fused kernel per call (kernels/bounds-*-kernel.ts): the factorization
 * (h, S and its regularized Cholesky per item), a whole predictor-corrector
 * direction, and a single solve with its refinement (polishing, the
 * backward, the starting point). Otherwise the same formulas run in tensor
 * ops.
 */
import { regularizedCholesky, type Tensor } from '@optnet/tensor';
import { cholSolveVec, mtv, mv } from '../../kernels/batch.js';
import { boundsFactor } from '../../kernels/bounds-factor-kernel.js';
import { boundsSolve } from '../../kernels/bounds-solve-kernel.js';
import { boundsStep } from '../../kernels/bounds-step-kernel.js';
import type {
  KktFact,
  KktFit,
  KktPre,
  KktProblemInfo,
  KktRhs,
  KktSetup,
  KktStep,
  KktStepRhs,
  KktStrategy,
} from './types.js';
import { eliminateSlacks, recoverSlacks } from './kkt.js';

/** What does not change between iterations. */
export interface BoundsPre extends KktPre {
  /** diag(Q) + δ, [nz] or [nBatch, nz]. */
  readonly qDiag: Tensor;
  /** diag(Q) itself: refinement measures the exact system. */
  readonly qExact: Tensor;
  /** G∘G: (G∘G)ᵀd is the diagonal of GᵀDG. Null without inequalities. */
  readonly gSquare: Tensor | null;
  /** Aᵀ, [nz, nEq] or [nBatch, nz, nEq]; null without equalities. */
  readonly at: Tensor | null;
  readonly delta: number;
}

/** The factorization at one iterate. */
export interface BoundsFact extends KktFact {
  readonly pre: BoundsPre;
  readonly d: Tensor | null;
  /** 1 / h, [nBatch, nz]. */
  readonly hInv: Tensor;
  /** Cholesky factor of S + δI [nBatch, nEq, nEq], or null without A. */
  readonly ls: Tensor | null;
  /**
   * The items factored (bool [nBatch, 1]), when the solver left out its
   * converged ones; the fused direction leaves them out too.
   */
  readonly active: Tensor | null;
}

/** S's regularization per try: its unit times 1, then 1e3 ... 1e12. */
const S_BOOSTS = [1, 1e3, 1e6, 1e9, 1e12];

/** S's unit: this much of its largest diagonal entry (float64, float32). */
const UNIT_REL = 1e-12;
const UNIT_REL_F32 = 1e-7;

function preFactorBounds({ data, scales, refine }: KktSetup): BoundsPre {
  const delta =
    (data.dtype === 'float64' ? 1e-10 : 1e-6) * Math.max(1, scales.qMax);
  // prepare.ts took diag(Q) already where Q is declared diagonal, as it
  // must be here (`fit`).
  const qExact = data.qDiag ?? data.Q.diagonal();
  const qDiag = qExact.add(delta);
  const gSquare = data.G === null ? null : data.G.square();
  const at = data.A === null ? null : data.A.transpose(-2, -1).mul(1);
  // As in primal.ts: row i weighs lam_i/s_i·G_i² in h; it turns active
  // where that reaches Q's scale.
  const rowScale =
    gSquare === null
      ? null
      : gSquare.sum(-1).div(scales.qMax > 0 ? scales.qMax : 1);
  return {
    strategy: boundsKkt,
    data,
    qDiag,
    qExact,
    gSquare,
    at,
    delta,
    refine,
    level: null,
    rowScale,
    // Active rows weigh 1/δ on h's diagonal only: refined once (twice in
    // the backward).
    polish: {
      delta: data.dtype === 'float64' ? 1e-9 : 1e-4,
      refine: 1,
      adjointRefine: 2,
    },
  };
}

function factorBounds(
  pre: BoundsPre,
  s: Tensor | null,
  lam: Tensor | null,
  active: Tensor | null = null,
): BoundsFact {
  const { A, G, nBatch, nz } = pre.data;
  const refine = pre.refine;
  if (A !== null && G !== null && s !== null && lam !== null) {
    // h, S = A diag(1/h) Aᵀ (the Gram product of diag(√(1/h))·Aᵀ, exactly
    // symmetric) and its regularized Cholesky factor, per item in one
    // fused kernel. h ≥ δ > 0, so only S can break down (round-off): an
    // item gets more regularization where it does (`level`), relative to
    // its largest diagonal entry. Items not `active` may be left out (the
    // identity in their place).
    const attrs = {
      boosts: S_BOOSTS,
      rel: pre.data.dtype === 'float64' ? UNIT_REL : UNIT_REL_F32,
      abs: pre.delta * 1e-3,
    };
    const [hInv, ls, level] = boundsFactor(
      pre.qDiag,
      G,
      pre.at!,
      s,
      lam,
      attrs,
      active,
    );
    return { pre, s, lam, refine, d: null, hInv, ls, level, active };
  }
  const d = s === null || lam === null ? null : lam.div(s);
  let h = pre.qDiag;
  if (pre.gSquare !== null && d !== null) h = h.add(mtv(pre.gSquare, d));
  const hInv = h.reciprocal().expand([nBatch, nz]);
  if (A === null)
    return {
      pre,
      s,
      lam,
      refine,
      d,
      hInv,
      ls: null,
      level: null,
      active: null,
    };
  // The same S in tensor ops (W = diag(√hInv)·Aᵀ), without inequalities.
  const w = hInv.sqrt().unsqueeze(-1).mul(pre.at!);
  const schur = w.matmul(w, { transA: true });
  const [ls, level] = regularizedCholesky(schur, unitOf(schur, pre), S_BOOSTS);
  return { pre, s, lam, refine, d, hInv, ls, level, active: null };
}

/** S's regularization unit per item: relative to its largest diagonal. */
function unitOf(schur: Tensor, pre: BoundsPre): Tensor {
  return schur
    .diagonal()
    .max(-1, true)
    .mul(pre.data.dtype === 'float64' ? UNIT_REL : UNIT_REL_F32)
    .add(pre.delta * 1e-3);
}

/** The operands of the fused solves, or null where a block is missing. */
function fusedInputs(f: BoundsFact, rhs: KktStepRhs): Tensor[] | null {
  const { G, A } = f.pre.data;
  const { s, lam, ls } = f;
  const { rx, rz, ry } = rhs;
  if (!G || !A || !s || !lam || !ls || !rz || !ry) return null;
  return [f.hInv, ls, A, G, rx, ry, s, lam, rz];
}

/** Solve the Newton system for `rhs` once (kkt.ts refines). */
function solveBounds(f: BoundsFact, rhs: KktRhs): KktStep {
  const ins = fusedInputs(f, rhs);
  if (ins !== null && rhs.rc !== null) {
    const { s, lam } = f as { s: Tensor; lam: Tensor };
    const sys = [...ins, rhs.rc, s, lam, f.pre.qExact];
    const [dz, ds, dlam, dnu] = boundsSolve(sys, 0);
    return { dz, ds, dlam, dnu };
  }
  const { G, A } = f.pre.data;
  const { s, lam } = f;
  const slack = eliminateSlacks(G, rhs, s, lam);
  let r1 = slack.r1;
  let dnu: Tensor | null = null;
  if (A !== null && f.ls !== null && rhs.ry !== null) {
    // S dnu = A (r1/h) − r2 with r2 = −ry.
    dnu = cholSolveVec(f.ls, mv(A, r1.mul(f.hInv)).add(rhs.ry));
    r1 = r1.sub(mtv(A, dnu));
  }
  const dz = r1.mul(f.hInv);
  return recoverSlacks(G, rhs, slack.w, () => f.d ?? lam!.div(s!), dz, dnu);
}

/**
 * A whole predictor-corrector direction in one fused kernel (affine
 * solve, centering, corrector solve), unless refinement is asked for or a
 * block is missing (then null: pdipm.ts runs the separate solves).
 */
function predictorCorrectorBounds(
  f: BoundsFact,
  rhs: KktStepRhs,
): KktStep | null {
  const ins = fusedInputs(f, rhs);
  if (ins === null || f.refine > 0) return null;
  const [dz, ds, dlam, dnu] = boundsStep(
    ...(f.active === null ? ins : [...ins, f.active]),
  );
  return { dz, ds, dlam, dnu };
}

/**
 * solveKkt's solve with its f.refine steps of refinement against f.target
 * (polishing's exact system) or f.s, f.lam, in one fused kernel; null
 * where a block is missing.
 */
function refinedSolveBounds(f: BoundsFact, rhs: KktRhs): KktStep | null {
  const ins = fusedInputs(f, rhs);
  if (ins === null || rhs.rc === null) return null;
  const s = f.target?.s ?? f.s!;
  const lam = f.target?.lam ?? f.lam!;
  const sys = [...ins, rhs.rc, s, lam, f.pre.qExact];
  const [dz, ds, dlam, dnu] = boundsSolve(sys, f.refine);
  return { dz, ds, dlam, dnu };
}

/**
 * Applies only when the caller declared `structure: { Q: 'diagonal',
 * G: 'bounds' }`. Cost per iteration: forming and factoring S, and the
 * mat-vecs with A and G, far below the dense reductions'.
 */
function fitBounds(info: KktProblemInfo): KktFit {
  const st = info.options.structure;
  if (st?.Q !== 'diagonal' || (info.nIneq > 0 && st.G !== 'bounds')) {
    return {
      refused:
        "needs the structure the caller declares: structure: { Q: 'diagonal', G: 'bounds' } (G may be absent).",
      code: 'BAD_OPTION',
    };
  }
  const { nz: n, nIneq: m, nEq: k } = info;
  return { cost: k * k * n + k ** 3 / 3 + 2 * (m + k) * n };
}

/**
 * The diagonal-Q, simple-bounds reduction as a KKT strategy (see the file
 * comment), without refinement by default.
 * @example
 * const z = qp(Q, p, G, h, A, b, { structure: { Q: 'diagonal', G: 'bounds' } });
 */
export const boundsKkt: KktStrategy<BoundsPre, BoundsFact> = {
  name: 'bounds',
  defaultRefine: 0,
  fit: fitBounds,
  prefactor: preFactorBounds,
  factor: factorBounds,
  solve: solveBounds,
  refinedSolve: refinedSolveBounds,
  step: predictorCorrectorBounds,
};
