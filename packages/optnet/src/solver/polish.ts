/**
 * Polishing: after the interior-point iterations, guess each item's active
 * set and solve the equality-constrained QP it defines,
 *
 *   Q z + p + Gᵀlam + Aᵀnu = 0,   G_i z = h_i (i active),
 *   lam_i = 0 (i inactive),       A z = b,
 *
 * one linear system whose solution has s_i = 0 on active rows and
 * lam_i = 0 on inactive ones exactly: complementary to working precision,
 * where the interior point stops at s∘lam ≈ tol. It is accepted per item
 * when it is at least as good as the interior-point answer (see `accept`);
 * then the backward pass differentiates the KKT conditions at that exact
 * active set.
 *
 * The system is the interior-point Newton system (kkt/types.ts) at a
 * synthetic iterate: with λ̃ = 1 on every row, the complementarity row
 * λ̃ ds + s̃ dlam = −rc reads ds = −s (s̃ = 0, active) or, scaled by
 * c = rowScale/δ, c·dlam = −c·lam (inactive: λ̃ = 0, s̃ = c). The KKT
 * strategy factors it regularized, s̃ = δ·rowScale on active rows and
 * λ̃ = 1 on inactive ones (every reduction can: it is a Newton system at an
 * interior point), and iterative refinement against the exact system
 * (`KktFact.target`) removes δ. Since the system is linear, one refined
 * Newton step from the interior-point answer lands on the polished point.
 *
 * Glossary: Q p G h A b the data; z primal, s slack, lam/nu duals;
 * rowScale the strategy's per-row switch scale (kkt/types.ts KktPre).
 */
import { where, type Tensor } from '@optnet/tensor';
import { factorKkt, solveKkt } from './kkt/kkt.js';
import type { KktFact, KktPre } from './kkt/types.js';
import { maskOf, pick } from './best.js';
import { merit, type Scales } from './status.js';
import {
  residuals,
  residualsAndReadout,
  type Iterate,
  type Problem,
} from './step.js';
import { takeIterate, type Subset } from './subset.js';
import {
  polishSystem,
  polishUpdate,
  type PolishSystem,
} from '../kernels/polish-kernel.js';
import type { QpStatus } from '../api/types.js';
import type { PdipmOutcome } from './pdipm.js';

/** The synthetic iterates: the regularized one factored, the exact one. */
export type ActiveSystem = Omit<PolishSystem, 'rc' | 'differs'>;

/** What the solve returns, polished or not. */
export interface Solved extends PdipmOutcome {
  /** Per item: whether the returned point is the polished one. */
  readonly polished: boolean[];
  /**
   * The first polish attempt's factorization, with its exact-system
   * target, and the items it polished (null: none, or polishing off): the
   * backward solves with it for those items (solver/adjoint.ts).
   */
  readonly first: FirstPolish | null;
  /**
   * The active set and synthetic iterates per item (null: polishing off,
   * or no inequalities), built when first asked for: only the backward
   * needs them, so a forward without gradients never merges the two
   * guesses'.
   */
  readonly system: () => ActiveSystem | null;
}

/** A polish attempt's factorization and the items it polished. */
export interface FirstPolish {
  readonly f: KktFact;
  readonly polished: readonly boolean[];
}

/** One polish of every item for one guess of the active sets. */
interface Attempt {
  readonly sys: PolishSystem | null;
  readonly f: KktFact;
  readonly cand: Iterate;
  /** For an attempt on a subset: its tensors to full-batch ones. */
  readonly spread?: (t: Tensor) => Tensor;
}

/**
 * Polish with the first or second `guess` of the active set
 * (kernels/polish-kernel.ts): the synthetic system,
 * one refined Newton step from `it` on it, the projected point.
 */
function attempt(
  prob: Problem,
  pre: KktPre,
  out: PdipmOutcome,
  scales: Scales,
  guess: 'first' | 'second',
): Attempt {
  const it = out.it;
  const { s, lam, z, nu } = it;
  const G = prob.data.G;
  const r = out.res ?? residuals(prob, it);
  if (G === null || s === null || lam === null || pre.rowScale === null) {
    const base = factorKkt(pre, null, null);
    const f = { ...base, refine: Math.max(base.refine, pre.polish.refine) };
    const d = solveKkt(f, { rx: r.rx, rc: null, rz: null, ry: r.ry });
    const nuNext = nu === null || d.dnu === null ? nu : nu.add(d.dnu);
    const cand = { z: z.add(d.dz), s, lam, nu: nuNext };
    return { sys: null, f, cand };
  }
  const attrs = {
    qMax: scales.qMax,
    pNorm: Array.from(scales.pNorm),
    delta: pre.polish.delta,
    guess,
  };
  const sys = polishSystem(
    s,
    lam,
    z,
    G,
    pre.rowScale,
    attrs,
    prob.data.gRows2 ?? null,
  );
  const base = factorKkt(pre, sys.reg.s, sys.reg.lam);
  const f: KktFact = {
    ...base,
    refine: pre.polish.refine,
    target: sys.exact,
  };
  const d = solveKkt(f, { rx: r.rx, rc: sys.rc, rz: r.rz, ry: r.ry });
  const tail = nu === null || d.dnu === null ? [] : [nu, d.dnu];
  const [zN, sN, lamN, nuN] = polishUpdate(
    z,
    d.dz,
    s,
    d.ds!,
    lam,
    d.dlam!,
    sys.active,
    ...tail,
  );
  return { sys, f, cand: { z: zN, s: sN, lam: lamN, nu: nuN ?? nu } };
}

/**
 * Whether item i takes its polished point: the polish factorization held
 * (level ≥ 0), the point is finite and within tolerance (merit ≤ 1), and
 * no worse than the interior-point answer, or exact to working precision
 * anyway (merit ≤ 1e-4: both are, and the polished one has the exact
 * active set). An infeasible or unbounded item keeps its certificate.
 */
function accept(
  i: number,
  st: Float64Array,
  before: Float64Array | undefined,
  status: QpStatus,
  scales: Scales,
  tol: number,
): boolean {
  if (status === 'infeasible' || status === 'unbounded') return false;
  if (!(st[st.length - 1] >= 0)) return false;
  const m = merit(st, scales, i, tol);
  const m0 = before === undefined ? Infinity : merit(before, scales, i, tol);
  return m <= 1 && (m <= m0 || m <= 1e-4);
}

/** The statistics of an attempt's points, to be read back. */
function statsOf(prob: Problem, a: Attempt): Tensor {
  const [r, stats] = residualsAndReadout(prob, a.cand, a.f.level);
  for (const t of [r.rx, r.rz, r.ry]) t?.dispose();
  return stats;
}

/** Per item of `rows` ([nBatch, k] flat) in `which`: accepted? */
function judgeAttempt(
  rows: ArrayLike<number>,
  which: readonly number[],
  out: PdipmOutcome,
  scales: Scales,
  tol: number,
): Map<number, Float64Array> {
  const n = out.status.length;
  const k = rows.length / n;
  const all = rows instanceof Float64Array ? rows : Float64Array.from(rows);
  const took = new Map<number, Float64Array>();
  for (const i of which) {
    const row = all.subarray(i * k, (i + 1) * k);
    if (accept(i, row, out.stats[i], out.status[i], scales, tol))
      took.set(i, row);
  }
  return took;
}

/**
 * where(mask, a, b) on the active sets and synthetic iterates.
 * @example const sys = mergeSystems(maskOf(took), sysA, sysB);
 */
export function mergeSystems(
  mask: Tensor,
  a: ActiveSystem,
  b: ActiveSystem,
): ActiveSystem {
  const w = (x: Tensor, y: Tensor) => where(mask, x, y);
  return {
    active: w(a.active, b.active),
    reg: { s: w(a.reg.s, b.reg.s), lam: w(a.reg.lam, b.reg.lam) },
    exact: { s: w(a.exact.s, b.exact.s), lam: w(a.exact.lam, b.exact.lam) },
  };
}

/**
 * Polish every item of `out` (see the file comment) with the first guess
 * of the active set; where that is not accepted and the second guess is
 * another set, polish those items again with it. Yields the polished
 * statistics to have them read (and, where an item was not accepted,
 * where the guesses differ, and the second statistics).
 * An item whose polished point is accepted ends 'solved' (it meets the
 * tolerance), with those statistics.
 * @example const solved = yield* polish(prob, pre, out, scales, tol);
 */
export function* polish(
  prob: Problem,
  pre: KktPre,
  out: PdipmOutcome,
  scales: Scales,
  tol: number,
  subsetOf?: (idx: readonly number[]) => Subset,
): Generator<Tensor, Solved, ArrayLike<number>> {
  const n = out.status.length;
  const a1 = attempt(prob, pre, out, scales, 'first');
  const every = out.status.map((_, i) => i);
  const took1 = judgeAttempt(yield statsOf(prob, a1), every, out, scales, tol);
  let took2 = new Map<number, Float64Array>();
  let a2: Attempt | null = null;
  const missed = every.filter((i) => !took1.has(i));
  if (missed.length > 0 && a1.sys !== null) {
    // Only now is it worth reading where the second guess differs.
    const differs = yield a1.sys.differs;
    const retry = missed.filter((i) => differs[i] > 0);
    if (retry.length > 0 && subsetOf !== undefined && 2 * retry.length <= n) {
      [a2, took2] = yield* retryOn(subsetOf(retry), retry, out, tol);
    } else if (retry.length > 0) {
      a2 = attempt(prob, pre, out, scales, 'second');
      took2 = judgeAttempt(yield statsOf(prob, a2), retry, out, scales, tol);
    }
  }
  return finish(out, a1, took1, a2, took2);
}

/**
 * The second guess on the items `retry` alone (a subset of the batch,
 * refactored for them only): the attempt, spread back to the batch, and
 * the rows it took, by their index in the batch.
 */
function* retryOn(
  sub: Subset,
  retry: readonly number[],
  out: PdipmOutcome,
  tol: number,
): Generator<Tensor, [Attempt, Map<number, Float64Array>], ArrayLike<number>> {
  const part: PdipmOutcome = {
    it: takeIterate(sub, out.it),
    status: retry.map((i) => out.status[i]),
    iterations: retry.map((i) => out.iterations[i]),
    stats: retry.map((i) => out.stats[i]),
    res: null,
  };
  const a = attempt(sub.prob, sub.pre, part, sub.scales, 'second');
  const local = retry.map((_, j) => j);
  const rows = yield statsOf(sub.prob, a);
  const took = judgeAttempt(rows, local, part, sub.scales, tol);
  const mapped = new Map([...took].map(([j, row]) => [retry[j], row]));
  return [{ ...a, spread: sub.spread }, mapped];
}

/**
 * f's value, computed on the first call only.
 * @example const system = once(() => mergeSystems(mask, a, b));
 */
export function once<T>(f: () => T): () => T {
  let done = false;
  let v: T;
  return () => {
    if (!done) [v, done] = [f(), true];
    return v;
  };
}

/** The returned point, statistics and system per item, from the attempts. */
function finish(
  out: PdipmOutcome,
  a1: Attempt,
  took1: Map<number, Float64Array>,
  a2: Attempt | null,
  took2: Map<number, Float64Array>,
): Solved {
  const stats = out.stats.slice();
  const status = out.status.slice();
  for (const [i, row] of [...took1, ...took2]) {
    stats[i] = row;
    status[i] = 'solved';
  }
  const p1 = out.status.map((_, i) => took1.has(i));
  const p2 = out.status.map((_, i) => took2.has(i));
  const polished = p1.map((p, i) => p || p2[i]);
  const all1 = p1.every((p) => p);
  let it = out.it;
  if (all1) it = a1.cand;
  else if (p1.some((p) => p)) it = pick(maskOf(p1), a1.cand, out.it);
  let system = (): ActiveSystem | null => a1.sys;
  if (a2 !== null && p2.some((p) => p)) {
    const up = a2.spread ?? ((t: Tensor) => t);
    const upOr = (t: Tensor | null) => (t === null ? null : up(t));
    const c = a2.cand;
    const cand = { z: up(c.z), s: upOr(c.s), lam: upOr(c.lam), nu: upOr(c.nu) };
    const mask = maskOf(p2);
    it = pick(mask, cand, it);
    const [s1, s2] = [a1.sys, a2.sys];
    if (s2 !== null && s1 !== null)
      system = once(() => {
        const { active, reg, exact } = s2;
        const sys2 = {
          active: up(active),
          reg: { s: up(reg.s), lam: up(reg.lam) },
          exact: { s: up(exact.s), lam: up(exact.lam) },
        };
        return mergeSystems(mask, sys2, s1);
      });
  }
  // a1's factorization serves the backward of the items it polished.
  const first = p1.some((p) => p) ? { f: a1.f, polished: p1 } : null;
  return { ...out, it, status, stats, polished, first, system };
}

/**
 * The interior-point outcome as a `Solved` with nothing polished.
 * @example const solved = unpolished(out);
 */
export function unpolished(out: PdipmOutcome): Solved {
  const polished = out.status.map(() => false);
  return { ...out, polished, first: null, system: () => null };
}
