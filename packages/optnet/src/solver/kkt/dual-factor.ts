/**
 * The factorizations of the constraint-space ("dual") reduction: what
 * does not move, factored once, and the one matrix factored per
 * iteration. dual.ts solves with them; its comment derives the system.
 *
 * Glossary: Q [nz, nz], G [nIneq, nz], A [nEq, nz] (each shared or with a
 * leading nBatch axis); s slack, lam inequality duals.
 *
 * Every factorization is a `regularizedCholesky` (or the fused
 * `qpShiftedCholesky`): an item that breaks down is factored again, alone,
 * with more regularization, and its level says so; nothing throws.
 */
import {
  diagonal,
  regularizedCholesky,
  tensor,
  where,
  type Tensor,
} from '@optnet/tensor';
import { shiftedCholesky } from '../../kernels/shifted-cholesky-kernel.js';
import { factorStep, type StepFrom } from '../../kernels/factor-step-kernel.js';
import { dualPrefactor } from '../../kernels/prefactor-kernel.js';
import { worseLevel } from './kkt.js';
import type {
  KktFact,
  KktIterate,
  KktPre,
  KktSetup,
  KktStep,
  KktStepRhs,
  KktStrategy,
} from './types.js';

export interface DualPre extends KktPre {
  /** Cholesky factor of Q (shared or per item). */
  readonly lq: Tensor;
  /** W_G = L_Q⁻¹Gᵀ [·, nz, nIneq] and W_A = L_Q⁻¹Aᵀ [·, nz, nEq]. */
  readonly wG: Tensor | null;
  readonly wA: Tensor | null;
  /** L_R (Cholesky of A Q⁻¹ Aᵀ + δI) and V = L_R⁻¹ A Q⁻¹ Gᵀ. */
  readonly lr: Tensor | null;
  readonly v: Tensor | null;
  /** Kgg − VᵀV [·, nIneq, nIneq]: S without its diagonal. */
  readonly kg: Tensor | null;
  /** The unit of S's regularization per item [nBatch, 1]. */
  readonly unit: Tensor | null;
  /** diag(G Q⁻¹ Gᵀ) [·, nIneq]: the scale s/lam is compared with. */
  readonly gDiag: Tensor | null;
}

export interface DualFact extends KktFact {
  readonly pre: DualPre;
  /** Cholesky factor of S = kg + diag(s/lam) (null without inequalities). */
  readonly ls: Tensor | null;
  /** s/lam, and where it exceeds diag(G Q⁻¹ Gᵀ) (an inactive-looking row). */
  readonly sOverLam: Tensor | null;
  readonly inactive: Tensor | null;
  /**
   * The items factored (bool [nBatch, 1]), or null: all. The others' L_S is
   * I, and the fused direction leaves them out too.
   */
  readonly active: Tensor | null;
}

/**
 * S's regularization per try: none, then 1e3, 1e6, 1e9, 1e12 times the
 * unit (1e-14 of S's largest diagonal entry in float64, 1e-7 in float32).
 * Degenerate problems with more active constraints than variables make
 * the active block singular; round-off then breaks it.
 */
const S_BOOSTS = [0, 1e3, 1e6, 1e9, 1e12];

/** R's: 1, 1e3, ... times δ relative to Kaa's diagonal (dependent rows). */
const R_BOOSTS = [1, 1e3, 1e6, 1e9, 1e12];

/** A per-item [nBatch, 1] copy of a level that may be shared ([1]). */
function perItem(level: Tensor, nBatch: number): Tensor {
  return level.rank === 1 ? level.reshape([1, 1]).expand([nBatch, 1]) : level;
}

/**
 * L_R: Cholesky of Kaa + δI, δ = 1e-13 (1e-7 in float32) of Kaa's largest
 * diagonal entry, so that dependent rows of A still factor; per item up
 * to 1e12 times more if round-off still breaks it.
 */
function factorR(kaa: Tensor, f32: boolean): [Tensor, Tensor] {
  const unit = diagonal(kaa)
    .max(-1, true)
    .mul(f32 ? 1e-7 : 1e-13);
  return regularizedCholesky(kaa, unit, R_BOOSTS);
}

/** The equality block: L_R, V and Kgg − VᵀV, and R's levels. */
function equalityBlock(
  wA: Tensor,
  wG: Tensor | null,
  kgg: Tensor | null,
  f32: boolean,
) {
  const [lr, level] = factorR(wA.matmul(wA, { transA: true }), f32);
  if (wG === null || kgg === null) return { lr, level, v: null, kg: kgg };
  const v = lr.triangularSolve(wA.matmul(wG, { transA: true }));
  return { lr, level, v, kg: kgg.sub(v.matmul(v, { transA: true })) };
}

/**
 * Everything that does not move, for `strategy` (dual.ts's). Reuses the
 * Cholesky factor of Q that prepare.ts made, when given; else factors Q
 * (an item where that breaks down gets level −1).
 * @example const pre = preFactorDual(dualKkt, setup);
 */
export function preFactorDual(
  strategy: KktStrategy,
  { data, refine, lq: lqGiven }: KktSetup,
): DualPre {
  const { Q, G, A, nBatch } = data;
  const f32 = data.dtype === 'float32';
  let level: Tensor | null = null;
  let lq = lqGiven;
  if (lq === null) {
    const unit = Q.diagonal().max(-1, true).mul(0);
    [lq, level] = regularizedCholesky(Q, unit, [0]);
    level = perItem(level, nBatch);
  }
  const lift = (t: Tensor): Tensor =>
    lq.rank === 3 && t.rank === 2
      ? t.unsqueeze(0).expand([nBatch, ...t.shape])
      : t;
  // W_G = L_Q⁻¹Gᵀ and Kgg = W_GᵀW_G in one op (kernels/prefactor-kernel.ts)
  const [wG, kgg] = G === null ? [null, null] : dualPrefactor(lq, G);
  const wA = A === null ? null : lq.triangularSolve(lift(A).transpose(-2, -1));
  let eq = { lr: null as Tensor | null, v: null as Tensor | null, kg: kgg };
  if (wA !== null) {
    const block = equalityBlock(wA, wG, kgg, f32);
    level = worseLevel(level, perItem(block.level, nBatch));
    eq = block;
  }
  const gDiag = kgg === null ? null : diagonal(kgg);
  const kgDiag =
    eq.kg === kgg ? gDiag : eq.kg === null ? null : diagonal(eq.kg);
  let unit =
    kgDiag === null
      ? null
      : perItem(kgDiag.max(-1, true), nBatch).mul(f32 ? 1e-7 : 1e-14);
  // An item whose Q or R broke down gets a NaN unit: then every
  // factorization of its S breaks down too, and says so in its level
  // without another op per iteration.
  if (unit !== null && level !== null) unit = where(level.less(0), NaN, unit);
  return {
    strategy,
    data,
    lq,
    wG,
    wA,
    lr: eq.lr,
    v: eq.v,
    kg: eq.kg,
    refine,
    level,
    unit,
    gDiag,
    rowScale: gDiag,
    // δ only adds δ·gDiag to active rows of S and decouples inactive ones:
    // tiny is exact enough without refinement. The equality block's own
    // δ (factorR: 1e-13 of Kaa's largest diagonal entry) is not: unrefined
    // it left ‖Az − b‖∞ at 1e-13-6e-13 on the bench's QPs with 25-50
    // equalities, 10-20x qpth's; one refinement step takes it to qpth's
    // level or below (1e-14-3e-14).
    // The backward: in float64 one step took the bench's gradients
    // (nz 10-100, with and without equalities) to 2e-15 of four steps',
    // where none left 1e-12 (1e-8 with equalities); a second changed
    // nothing and cost a solve and a residual.
    polish: f32
      ? { delta: 1e-6, refine: 1, adjointRefine: 2 }
      : { delta: 1e-14, refine: wA === null ? 0 : 1, adjointRefine: 1 },
  };
}

/**
 * Factor S = kg + diag(s/lam) at the iterate, regularized per item (see
 * S_BOOSTS), in one fused kernel on one thread: splitting the plain
 * factorization over the CPU's worker threads instead (workers know only
 * the backend's primitives) gives the same bits but measured slower, at
 * the paper's sizes and Sudoku's, than the fused kernel alone
 * (BENCHMARKS.md, "Speed of a training step"). Items where `active` is
 * false are not factored (L_S = I).
 * @example const f = factorDual(pre, s, lam);
 */
export function factorDual(
  pre: DualPre,
  s: Tensor | null,
  lam: Tensor | null,
  active: Tensor | null = null,
  keep: readonly [Tensor, Tensor] | null = null,
): DualFact {
  const none = {
    pre,
    s,
    lam,
    refine: pre.refine,
    level: pre.level,
    ls: null,
    sOverLam: null,
    inactive: null,
    active,
  } as const;
  const { kg, gDiag, unit } = pre;
  if (kg === null || s === null || lam === null || gDiag === null || !unit)
    return none;
  const sOverLam = s.div(lam);
  const [ls, level] = shiftedCholesky(
    kg,
    sOverLam,
    unit,
    S_BOOSTS,
    active,
    keep,
  );
  return {
    ...none,
    level,
    ls,
    sOverLam,
    inactive: sOverLam.greater(gDiag),
  };
}

/**
 * factorDual and then the fused Mehrotra direction (dual.ts's step), in
 * one op that keeps L_S in WebAssembly memory
 * (kernels/factor-step-kernel.ts): the same results, without the
 * [nBatch, m, m] factor written out and read back. Null where dual.ts's
 * step would not run a fused direction: no inequalities, or refinement
 * asked for. Given `rc`, one solve for it instead of a direction (what
 * factorDual and dual.ts's solve give; the starting point's).
 * @example const fused = factorStepDual(pre, s, lam, null, { rx, rz, ry });
 */
export function factorStepDual(
  pre: DualPre,
  s: Tensor,
  lam: Tensor,
  active: Tensor | null,
  rhs: KktStepRhs,
  rc: Tensor | null = null,
): { d: KktStep; level: Tensor } | null {
  const outs = fusedOuts(pre, s, lam, active, rhs, rc, null);
  if (outs === null) return null;
  const [dz, dlam, ds] = outs;
  const dnu = pre.wA === null ? null : outs[3];
  return { d: { dz, ds, dlam, dnu }, level: outs[outs.length - 1] };
}

/**
 * factorStepDual and then the step along the direction (qpStepLength at
 * `scale` with capGap, qpMove), in the same op: the next iterate and the
 * level (the strategy's `factorStepMove`). Null where factorStepDual is.
 * @example const next = factorStepMoveDual(pre, s, lam, null, rhs, it, 0.99);
 */
export function factorStepMoveDual(
  pre: DualPre,
  s: Tensor,
  lam: Tensor,
  active: Tensor | null,
  rhs: KktStepRhs,
  it: KktIterate,
  scale: number,
): { it: KktIterate; level: Tensor } | null {
  if (it.s === null || it.lam === null) return null;
  if ((pre.wA === null) !== (it.nu === null)) return null;
  const step = { z: it.z, s: it.s, lam: it.lam, nu: it.nu, scale };
  const outs = fusedOuts(pre, s, lam, active, rhs, null, step);
  if (outs === null) return null;
  const [z, sN, lamN] = outs;
  const nu = pre.wA === null ? null : outs[3];
  return { it: { z, s: sN, lam: lamN, nu }, level: outs[outs.length - 1] };
}

/** factorStep's outputs for the dual reduction, or null (factorStepDual). */
function fusedOuts(
  pre: DualPre,
  s: Tensor,
  lam: Tensor,
  active: Tensor | null,
  rhs: KktStepRhs,
  rc: Tensor | null,
  step: StepFrom | null,
): Tensor[] | null {
  const { kg, gDiag, unit, lq, wG, wA, lr, v } = pre;
  const G = pre.data.G;
  if (
    kg === null ||
    gDiag === null ||
    unit === null ||
    wG === null ||
    G === null ||
    rhs.rz === null ||
    pre.refine > 0
  )
    return null;
  let eqBlock: [Tensor, Tensor, Tensor, Tensor] | null = null;
  if (wA !== null) {
    if (lr === null || v === null || rhs.ry === null) return null;
    eqBlock = [lr, v, wA, rhs.ry];
  }
  return factorStep(
    kg,
    gDiag,
    unit,
    [lq, wG, G],
    eqBlock,
    rhs.rx,
    s,
    lam,
    rhs.rz,
    S_BOOSTS,
    active,
    rc,
    step,
  );
}

/**
 * factorDual at (s, lam) for the items where `keep` is false, the others
 * keeping `from`'s factor and level (the strategy's `refactor`): one
 * fused factorization that copies the kept factors into place.
 * @example const f = refactorDual(pre, s, lam, polishedMask, polishFact);
 */
export function refactorDual(
  pre: DualPre,
  s: Tensor,
  lam: Tensor,
  keep: readonly boolean[],
  from: DualFact,
): DualFact {
  if (from.ls === null || from.level === null) return factorDual(pre, s, lam);
  const others = tensor(
    keep.map((k) => !k),
    { dtype: 'bool' },
  ).unsqueeze(-1);
  const f = factorDual(pre, s, lam, others, [from.ls, from.level]);
  return { ...f, active: null };
}
