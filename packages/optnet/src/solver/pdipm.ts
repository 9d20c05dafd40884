/**
 * The batched primal-dual interior-point method (Mattingley–Boyd
 * predictor-corrector, the method of qpth and CVXGEN) for
 *
 *   minimize ½ zᵀQz + pᵀz   subject to   Gz + s = h, s ≥ 0,  Az = b.
 *
 * Glossary: Q p G h A b as above; z primal, s slack, lam ≥ 0 inequality
 * duals, nu equality duals; nBatch nz nIneq nEq their sizes.
 *
 * Every batch item advances together, in tensor ops, so the loop runs on
 * any backend. Once per iteration the per-item residuals are read back (the
 * loop is a generator that yields the tensor it needs read; see
 * `runSync`/`runAsync`), and items that have converged, or proved
 * infeasible or unbounded, stop moving.
 */
import {
  scope,
  setGradEnabled,
  tensor,
  ValueError,
  where,
  type Tensor,
} from '@optnet/tensor';
import { factorKkt, predictorCorrector, solveKkt } from './kkt/kkt.js';
import type { KktData, KktFact, KktPre, KktStep } from './kkt/types.js';
import { judge, type Scales } from './status.js';
import { mtv, mv } from '../kernels/batch.js';
import { centering, move, stepLength } from '../kernels/step-kernels.js';
import { residualStats, type StatsParts } from '../kernels/stats-kernel.js';
import { fusedResiduals } from '../kernels/residual-kernel.js';
import type { QpIterationInfo, QpStatus } from '../api/types.js';

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

export interface PdipmOptions {
  readonly tol: number;
  readonly maxIter: number;
  readonly onIteration?: (info: QpIterationInfo) => void;
}

export interface PdipmOutcome {
  readonly it: Iterate;
  readonly status: QpStatus[];
  readonly iterations: number[];
  /** Per item: primal residual, dual residual, gap, objective. */
  readonly stats: Float64Array[];
}

/**
 * The solver loop. Yields a [nBatch, 10] tensor of statistics (see
 * kernels/stats-kernel.ts) and expects its contents back; returns the final iterate and the status of every item.
 */
export function* pdipm(
  prob: Problem,
  pre: KktPre,
  scales: Scales,
  opts: PdipmOptions,
): Generator<Tensor, PdipmOutcome, ArrayLike<number>> {
  const nBatch = prob.data.nBatch;
  // Each step runs in a scope and the previous iterate and residuals are
  // disposed: on a device (and for the CPU's shared worker memory) buffers
  // are recycled instead of left to the garbage collector.
  let it = scope(() => initialIterate(prob, pre));
  const status: (QpStatus | null)[] = new Array(nBatch).fill(null);
  const iterations = new Array<number>(nBatch).fill(0);
  const last: Float64Array[] = [];
  for (let k = 0; ; k++) {
    const [res, statsT] = scope(() => {
      const r = residuals(prob, it);
      return [r, residualStats(statsParts(prob, it, r))] as const;
    });
    const stats = yield statsT;
    statsT.dispose();
    const open = judge(
      stats,
      scales,
      status,
      k >= opts.maxIter,
      opts.tol,
      last,
    );
    opts.onIteration?.(progress(k, open, last));
    if (open === 0) {
      disposeAll(Object.values(res));
      break;
    }
    for (let i = 0; i < nBatch; i++)
      if (status[i] === null) iterations[i] = k + 1;
    // null while every item is still moving: the step then needs no masks.
    const active =
      open === nBatch
        ? null
        : tensor(
            status.map((st) => st === null),
            { dtype: 'bool' },
          ).unsqueeze(-1);
    try {
      const next = scope(() => step(prob, pre, it, active, res));
      const kept = new Set(Object.values(next));
      disposeAll(Object.values(it).filter((t) => !kept.has(t)));
      it = next;
    } catch (e) {
      // Even the most regularized factorization broke down (factorKkt).
      if (!(e instanceof ValueError && e.code === 'NOT_POSITIVE_DEFINITE'))
        throw e;
      for (let i = 0; i < nBatch; i++)
        if (status[i] === null) status[i] = 'numerical_error';
      break;
    } finally {
      disposeAll([...Object.values(res), active]);
    }
  }
  return { it, status: status as QpStatus[], iterations, stats: last };
}

function disposeAll(ts: readonly (Tensor | null)[]): void {
  for (const t of ts) t?.dispose();
}

function progress(
  k: number,
  open: number,
  last: Float64Array[],
): QpIterationInfo {
  let pr = 0;
  let du = 0;
  let gap = 0;
  for (const st of last) {
    pr = Math.max(pr, st[0]);
    du = Math.max(du, st[1]);
    gap = Math.max(gap, st[2]);
  }
  return {
    iteration: k,
    active: open,
    primalResidual: pr,
    dualResidual: du,
    gap,
  };
}

/** Residuals of the KKT conditions at `it`. */
interface Residuals {
  rx: Tensor;
  rz: Tensor | null;
  ry: Tensor | null;
}

interface FullResiduals extends Residuals {
  /** Gᵀlam + Aᵀnu, Qz and Gz. */
  u: Tensor | null;
  qz: Tensor;
  gz: Tensor | null;
}

function residuals(prob: Problem, it: Iterate): FullResiduals {
  const { Q, G, A } = prob.data;
  const { s, lam, nu } = it;
  const { h, b } = prob;
  // A batch (a single problem keeps the tensor ops, whose summation
  // order the Maros–Meszaros suite was tuned on) with inequalities: fused.
  if (
    prob.data.nBatch > 1 &&
    G !== null &&
    s !== null &&
    lam !== null &&
    h !== null &&
    (A === null || (nu !== null && b !== null))
  ) {
    const [rx, rz, u, qz, gz, ry] = fusedResiduals(
      Q,
      G,
      A,
      it.z,
      prob.p,
      s,
      lam,
      h,
      A === null ? null : nu,
      A === null ? null : b,
    );
    return { rx, rz, ry: ry ?? null, u, qz, gz };
  }
  const qz = mv(Q, it.z);
  // u = Gᵀlam + Aᵀnu
  let u: Tensor | null = G !== null && it.lam !== null ? mtv(G, it.lam) : null;
  if (A !== null && it.nu !== null)
    u = u === null ? mtv(A, it.nu) : u.add(mtv(A, it.nu));
  const rx = u === null ? qz.add(prob.p) : qz.add(prob.p).add(u);
  const gz =
    G !== null && it.s !== null && prob.h !== null ? mv(G, it.z) : null;
  const rz =
    gz !== null && it.s !== null && prob.h !== null
      ? gz.add(it.s).sub(prob.h)
      : null;
  const ry = A !== null && prob.b !== null ? mv(A, it.z).sub(prob.b) : null;
  return { rx, rz, ry, u, qz, gz };
}

/**
 * The statistics' inputs (kernels/stats-kernel.ts); a block is there when
 * all its parts are.
 */
function statsParts(prob: Problem, it: Iterate, r: FullResiduals): StatsParts {
  const { s, lam, nu } = it;
  const { h, hInv, b, bInv } = prob;
  const ineq =
    r.rz && r.gz && s && lam && h && hInv
      ? { s, lam, rz: r.rz, hInv, h, gz: r.gz }
      : null;
  const eq = r.ry && b && bInv && nu ? { ry: r.ry, bInv, b, nu } : null;
  return { rx: r.rx, qz: r.qz, z: it.z, p: prob.p, ineq, eq, u: r.u };
}

/**
 * Starting point (CVXOPT's): solve the KKT system with d = 1, i.e.
 * minimize ½zᵀQz + pᵀz + ½‖Gz − h‖² s.t. Az = b, then shift s = h − Gz and
 * lam = Gz − h into the positive orthant.
 */
function initialIterate(prob: Problem, pre: KktPre): Iterate {
  const { G } = prob.data;
  const ones = G === null ? null : prob.h!.mul(0).add(1);
  const f = factorKkt(pre, ones, ones);
  const rz = prob.h === null ? null : prob.h.neg();
  const rc = ones === null ? null : ones.mul(0);
  const ry = prob.b === null ? null : prob.b.neg();
  const st = solveKkt(f, { rx: prob.p, rc, rz, ry });
  const nu = st.dnu;
  if (st.ds === null || st.dlam === null)
    return { z: st.dz, s: null, lam: null, nu };
  return { z: st.dz, s: shiftPositive(st.ds), lam: shiftPositive(st.dlam), nu };
}

/** x + (1 + a)·1 when a = −min(x) ≥ 0, else x. */
function shiftPositive(x: Tensor): Tensor {
  const a = x.min(-1, true).neg();
  return x.add(where(a.greaterEqual(0), a.add(1), 0));
}

/**
 * One predictor-corrector step; items where `active` is false stay put
 * (`active` null: all move).
 */
function step(
  prob: Problem,
  pre: KktPre,
  it: Iterate,
  active: Tensor | null,
  res: Residuals,
): Iterate {
  const { rx, rz, ry } = res;
  if (it.s === null || it.lam === null) {
    const f = factorKkt(pre, null, null);
    const d = solveKkt(f, { rx, rc: null, rz: null, ry });
    return update(it, d, prob.zero.add(1), active);
  }
  // Converged items may have extreme d = lam/s; factor them at s = lam = 1.
  const s = active === null ? it.s : where(active, it.s, 1);
  const lam = active === null ? it.lam : where(active, it.lam, 1);
  const f: KktFact = factorKkt(pre, s, lam);
  // Predictor (affine direction), centering, corrector; then the step
  // length, 0.99 of the way to the boundary and capped where the gap
  // would rise (kernels/step-kernels.ts).
  const d = predictorCorrector(f, { rx, rz, ry }) ?? corrected(f, s, lam, res);
  const alpha = stepLength(s, lam, d.ds!, d.dlam!, {
    scale: 0.99,
    capGap: true,
  });
  return update(it, d, alpha, active);
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

/** it + α·d per item (one fused kernel); items where `active` is false stay. */
function update(
  it: Iterate,
  d: KktStep,
  alpha: Tensor,
  active: Tensor | null,
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
  const out = move(alpha, pairs, active);
  const rest = out.slice(1);
  return {
    z: out[0],
    s: moves.s ? rest.shift()! : it.s,
    lam: moves.lam ? rest.shift()! : it.lam,
    nu: moves.nu ? rest.shift()! : it.nu,
  };
}

/**
 * One step of a solver generator with gradient recording off: the solve is
 * not differentiated through its iterations (qp's backward is implicit),
 * and its fused kernels have no VJP. Only the synchronous step is covered,
 * so other code running between reads is unaffected.
 */
function stepNoGrad<T>(
  gen: Generator<Tensor, T, ArrayLike<number>>,
  v: ArrayLike<number>,
): IteratorResult<Tensor, T> {
  const prev = setGradEnabled(false);
  try {
    return gen.next(v);
  } finally {
    setGradEnabled(prev);
  }
}

/** Drive a solver generator, reading tensors synchronously. */
export function runSync<T>(gen: Generator<Tensor, T, ArrayLike<number>>): T {
  let r = stepNoGrad(gen, new Float64Array(0));
  while (!r.done) r = stepNoGrad(gen, r.value.dataSync() as ArrayLike<number>);
  return r.value;
}

/** Drive a solver generator with asynchronous reads (any backend). */
export async function runAsync<T>(
  gen: Generator<Tensor, T, ArrayLike<number>>,
): Promise<T> {
  let r = stepNoGrad(gen, new Float64Array(0));
  while (!r.done)
    r = stepNoGrad(gen, (await r.value.data()) as ArrayLike<number>);
  return r.value;
}
