/**
 * The steps of one interior-point iteration, in tensor ops on the whole
 * batch: the residuals and their statistics, the starting point, and the
 * predictor-corrector step (pdipm.ts runs them in a loop).
 *
 * Glossary: Q p G h A b the data; z primal, s slack, lam ≥ 0 inequality
 * duals, nu equality duals; rx = Qz + p + Gᵀlam + Aᵀnu, rz = Gz + s − h,
 * ry = Az − b; nBatch nz nIneq nEq the sizes.
 */
import { where, type Tensor } from '@optnet/tensor';
import {
  factorKkt,
  fusedResidualStatsOf,
  fusedResidualsOf,
  predictorCorrector,
  solveKkt,
} from './kkt/kkt.js';
import type { KktData, KktFact, KktPre, KktStep } from './kkt/types.js';
import { mtv, mv } from '../kernels/batch.js';
import {
  centering,
  move,
  shiftPositive,
  stepLength,
} from '../kernels/step-kernels.js';
import { residualStats, type StatsParts } from '../kernels/stats-kernel.js';

/** A batch of QPs, vectors expanded to [nBatch, ·]. */
export interface Problem {
  readonly data: KktData;
  readonly p: Tensor;
  readonly h: Tensor | null;
  readonly b: Tensor | null;
  /** 1 / (1 + |h|) and 1 / (1 + |b|): the row scales of the primal residual. */
  readonly hInv: Tensor | null;
  readonly bInv: Tensor | null;
  /** Zeros [nBatch, 1]: the statistic of an absent block. */
  readonly zero: Tensor;
}

export interface Iterate {
  readonly z: Tensor;
  readonly s: Tensor | null;
  readonly lam: Tensor | null;
  readonly nu: Tensor | null;
}

/** Residuals of the KKT conditions at an iterate. */
export interface Residuals {
  readonly rx: Tensor;
  readonly rz: Tensor | null;
  readonly ry: Tensor | null;
}

export interface FullResiduals extends Residuals {
  /** Gᵀlam + Aᵀnu, Qz and Gz. */
  readonly u: Tensor | null;
  readonly qz: Tensor;
  readonly gz: Tensor | null;
}

/** Residuals of the KKT conditions at `it`. */
export function residuals(prob: Problem, it: Iterate): FullResiduals {
  const { Q, G, A } = prob.data;
  const { s, lam, nu } = it;
  const { h, b } = prob;
  // A batch with inequalities: fused (fusedResidualsOf says when).
  const fused =
    s !== null && lam !== null && h !== null
      ? fusedResidualsOf(prob.data, it.z, prob.p, s, lam, h, nu, b)
      : null;
  if (fused !== null) {
    const [rx, rz, u, qz, gz, ry] = fused;
    return { rx, rz, ry: ry ?? null, u, qz, gz };
  }
  const qz = mv(Q, it.z);
  // u = Gᵀlam + Aᵀnu
  let u: Tensor | null = G !== null && lam !== null ? mtv(G, lam) : null;
  if (A !== null && nu !== null)
    u = u === null ? mtv(A, nu) : u.add(mtv(A, nu));
  const rx = u === null ? qz.add(prob.p) : qz.add(prob.p).add(u);
  const gz = G !== null && s !== null && h !== null ? mv(G, it.z) : null;
  const rz = gz !== null && s !== null && h !== null ? gz.add(s).sub(h) : null;
  const ry = A !== null && b !== null ? mv(A, it.z).sub(b) : null;
  return { rx, rz, ry, u, qz, gz };
}

/**
 * What the solver reads back per item: the statistics of `it`
 * (kernels/stats-kernel.ts) and, last, the regularization level of the
 * factorization that made it (−1: a breakdown; null: 0).
 */
export function readout(
  prob: Problem,
  it: Iterate,
  r: FullResiduals,
  level: Tensor | null,
): Tensor {
  const { s, lam, nu } = it;
  const { h, hInv, b, bInv } = prob;
  const ineq =
    r.rz && r.gz && s && lam && h && hInv
      ? { s, lam, rz: r.rz, hInv, h, gz: r.gz }
      : null;
  const eq = r.ry && b && bInv && nu ? { ry: r.ry, bInv, b, nu } : null;
  const parts: StatsParts = {
    rx: r.rx,
    qz: r.qz,
    z: it.z,
    p: prob.p,
    ineq,
    eq,
    u: r.u,
    level,
  };
  return residualStats(parts);
}

/**
 * The residuals at `it` and its readout (the statistics, then `level`),
 * in one op where the batch allows it (kkt.ts fusedResidualStatsOf: u, Qz
 * and Gz, which only the statistics read, are then never made as
 * tensors), else as residuals() and readout(). The same numbers either
 * way.
 * @example const [res, read] = residualsAndReadout(prob, it, level);
 */
export function residualsAndReadout(
  prob: Problem,
  it: Iterate,
  level: Tensor | null,
): [Residuals, Tensor] {
  const { s, lam, nu } = it;
  const { h, hInv, b, bInv } = prob;
  const fused =
    s !== null && lam !== null && h !== null && hInv !== null
      ? fusedResidualStatsOf(
          prob.data,
          it.z,
          prob.p,
          s,
          lam,
          h,
          nu,
          b,
          hInv,
          bInv,
          level,
        )
      : null;
  if (fused !== null) {
    const eq = fused.length === 4;
    const stats = fused[fused.length - 1];
    return [{ rx: fused[0], rz: fused[1], ry: eq ? fused[2] : null }, stats];
  }
  const r = residuals(prob, it);
  return [r, readout(prob, it, r, level)];
}

/** An iterate and the regularization level of the factorization it took. */
export interface Stepped {
  readonly it: Iterate;
  readonly level: Tensor | null;
}

/**
 * Starting point (CVXOPT's): solve the KKT system with d = 1, i.e.
 * minimize ½zᵀQz + pᵀz + ½‖Gz − h‖² s.t. Az = b, then shift s = h − Gz and
 * lam = Gz − h into the positive orthant.
 */
export function initialIterate(prob: Problem, pre: KktPre): Stepped {
  const { G } = prob.data;
  const ones = G === null ? null : prob.h!.mul(0).add(1);
  const rz = prob.h === null ? null : prob.h.neg();
  const rc = ones === null ? null : ones.mul(0);
  const ry = prob.b === null ? null : prob.b.neg();
  const rhs = { rx: prob.p, rz, ry };
  // The strategy may factor and solve in one op (the factor is not kept).
  const fused =
    ones === null
      ? null
      : (pre.strategy.factorStep?.(pre, ones, ones, null, rhs, rc) ?? null);
  let st: KktStep;
  let level: Tensor | null;
  if (fused !== null) {
    st = fused.d;
    level = fused.level;
  } else {
    const f = factorKkt(pre, ones, ones);
    st = solveKkt(f, { ...rhs, rc });
    level = f.level;
  }
  const nu = st.dnu;
  if (st.ds === null || st.dlam === null)
    return { it: { z: st.dz, s: null, lam: null, nu }, level };
  const s = shiftPositive(st.ds);
  return { it: { z: st.dz, s, lam: shiftPositive(st.dlam), nu }, level };
}

/**
 * The starting point from a warm start: z as given, s = h − Gz (or as
 * given) and lam (or 0) pushed to at least `shift` times their row's
 * scale, so the iterate is interior and each row's s∘lam starts near
 * `shift`, nu as given (or 0). Non-finite entries (an earlier item that
 * broke down) become 0 first.
 * @example const it = warmIterate(prob, start, 1e-2);
 */
export function warmIterate(prob: Problem, w: Iterate, shift: number): Iterate {
  const clean = (t: Tensor) => where(t.sub(t).equal(0), t, 0);
  const z = clean(w.z);
  const nu = w.nu === null ? (prob.b?.mul(0) ?? null) : clean(w.nu);
  const { G } = prob.data;
  if (G === null || prob.h === null) return { z, s: null, lam: null, nu };
  const s0 = w.s === null ? prob.h.sub(mv(G, z)) : clean(w.s);
  const lam0 = w.lam === null ? s0.mul(0) : clean(w.lam);
  const floor = prob.h.abs().add(1).mul(shift);
  return { z, s: s0.maximum(floor), lam: lam0.maximum(shift), nu };
}

/** The fraction of the step to the boundary taken (the iterate stays interior). */
const STEP_SCALE = 0.99;

/**
 * One predictor-corrector step; items where `active` is false stay put
 * (`active` null: all move), and so do items whose factorization broke
 * down.
 */
export function step(
  prob: Problem,
  pre: KktPre,
  it: Iterate,
  active: Tensor | null,
  res: Residuals,
): Stepped {
  const { rx, rz, ry } = res;
  if (it.s === null || it.lam === null) {
    const f = factorKkt(pre, null, null);
    const d = solveKkt(f, { rx, rc: null, rz: null, ry });
    const next = update(it, d, prob.zero.add(1), active, f.level);
    return { it: next, level: f.level };
  }
  // Converged items may have extreme d = lam/s; factor them at s = lam = 1.
  const s = active === null ? it.s : where(active, it.s, 1);
  const lam = active === null ? it.lam : where(active, it.lam, 1);
  // Predictor (affine direction), centering, corrector; then the step
  // length, 0.99 of the way to the boundary and capped where the gap
  // would rise (kernels/step-kernels.ts). The strategy may fuse the
  // factorization with the direction (no factor is kept: nothing after
  // the direction needs it).
  const rhs = { rx, rz, ry };
  // The strategy may take the whole step in one op (factorization,
  // direction, step length and move; no factor or direction is kept).
  const moved =
    pre.strategy.factorStepMove?.(pre, s, lam, active, rhs, it, STEP_SCALE) ??
    null;
  if (moved !== null) return { it: moved.it, level: moved.level };
  let fused = pre.strategy.factorStep?.(pre, s, lam, active, rhs) ?? null;
  if (fused === null) {
    const f: KktFact = factorKkt(pre, s, lam, active);
    const d = predictorCorrector(f, rhs) ?? corrected(f, s, lam, res);
    fused = { d, level: f.level };
  }
  const { d, level } = fused;
  const alpha = stepLength(s, lam, d.ds!, d.dlam!, {
    scale: STEP_SCALE,
    capGap: true,
  });
  return { it: update(it, d, alpha, active, level), level };
}

/**
 * The affine solve (rc = s∘lam), the corrector's right-hand side, the corrector
 * solve.
 */
function corrected(
  f: KktFact,
  s: Tensor,
  lam: Tensor,
  { rx, rz, ry }: Residuals,
): KktStep {
  const aff = solveKkt(f, { rx, rc: s.mul(lam), rz, ry });
  const rc = centering(s, lam, aff.ds!, aff.dlam!);
  return solveKkt(f, { rx, rc, rz, ry });
}

/**
 * it + α·d per item (one fused kernel); items where `active` is false, or
 * whose factorization broke down (level < 0), stay.
 */
function update(
  it: Iterate,
  d: KktStep,
  alpha: Tensor,
  active: Tensor | null,
  level: Tensor | null,
): Iterate {
  const pairs: [Tensor, Tensor][] = [[it.z, d.dz]];
  const moves = {
    s: it.s !== null && d.ds !== null,
    lam: it.lam !== null && d.dlam !== null,
    nu: it.nu !== null && d.dnu !== null,
  };
  if (moves.s) pairs.push([it.s!, d.ds!]);
  if (moves.lam) pairs.push([it.lam!, d.dlam!]);
  if (moves.nu) pairs.push([it.nu!, d.dnu!]);
  const out = move(alpha, pairs, active, level);
  const rest = out.slice(1);
  return {
    z: out[0],
    s: moves.s ? rest.shift()! : it.s,
    lam: moves.lam ? rest.shift()! : it.lam,
    nu: moves.nu ? rest.shift()! : it.nu,
  };
}
