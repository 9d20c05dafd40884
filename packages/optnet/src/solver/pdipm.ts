/**
 * The batched primal-dual interior-point method (Mattingley–Boyd
 * predictor-corrector, the method of qpth and CVXGEN) for
 *
 *   minimize ½ zᵀQz + pᵀz   subject to   Gz + s = h, s ≥ 0,  Az = b.
 *
 * Glossary: Q p G h A b as above; z primal, s slack, lam ≥ 0 inequality
 * duals, nu equality duals; nBatch nz nIneq nEq their sizes.
 *
 * Every batch item advances together, in tensor ops (step.ts), so the
 * loop runs on any backend. Once per iteration the per-item residuals are
 * read back (the loop is a generator that yields the tensor it needs read;
 * see `runSync`/`runAsync`), and items that have converged, or proved
 * infeasible or unbounded, stop moving.
 */
import { scope, setGradEnabled, type Tensor } from '@optnet/tensor';
import type { KktPre } from './kkt/types.js';
import {
  closeStalled,
  finalIterate,
  held,
  maskOf,
  noBest,
  track,
  type Best,
} from './best.js';
import { judge, type Scales } from './status.js';
import {
  initialIterate,
  residualsAndReadout,
  step,
  type Iterate,
  type Problem,
  type Residuals,
} from './step.js';
import type { QpIterationInfo, QpStatus } from '../api/types.js';

export type { Iterate, Problem } from './step.js';

export interface PdipmOptions {
  readonly tol: number;
  readonly maxIter: number;
  /**
   * Iterations each item already ran in an earlier run it continues
   * (solver/loose.ts): item i stops at maxIter − spent[i] more. Absent: 0.
   */
  readonly spent?: readonly number[];
  readonly onIteration?: (info: QpIterationInfo) => void;
}

export interface PdipmOutcome {
  readonly it: Iterate;
  readonly status: QpStatus[];
  readonly iterations: number[];
  /**
   * Per item: primal residual, dual residual, gap, objective (then the
   * rest of kernels/stats-kernel.ts's statistics and the level).
   */
  readonly stats: Float64Array[];
  /** The residuals at `it` when the loop computed them last, else null. */
  readonly res: Residuals | null;
}

/**
 * The solver loop. Yields a [nBatch, NSTATS + 1] tensor (step.ts readout:
 * the statistics of kernels/stats-kernel.ts and the factorization's
 * regularization level) and expects its contents back; returns the final
 * iterate and the status of every item. Nothing in it throws on a
 * numerical breakdown: an item whose factorization broke down stops with
 * 'numerical_error' while the others go on, and an item that ends without
 * converging returns its best iterate (best.ts).
 */
export function* pdipm(
  prob: Problem,
  pre: KktPre,
  scales: Scales,
  opts: PdipmOptions,
  start: Iterate | null = null,
): Generator<Tensor, PdipmOutcome, ArrayLike<number>> {
  const nBatch = prob.data.nBatch;
  // Each step runs in a scope and the previous iterate and residuals are
  // disposed (unless the best iterates hold them): on a device (and for
  // the CPU's shared worker memory) buffers are recycled instead of left
  // to the garbage collector.
  let cur =
    start === null
      ? scope(() => initialIterate(prob, pre))
      : { it: start, level: null };
  let it = cur.it;
  let best: Best = noBest(nBatch);
  // Earlier iterates kept alive because some item's best is there.
  const kept = new Set<Iterate>();
  const status: (QpStatus | null)[] = new Array(nBatch).fill(null);
  const iterations = new Array<number>(nBatch).fill(0);
  const last: Float64Array[] = [];
  let lastRes: Residuals | undefined;
  for (let k = 0; ; k++) {
    const [res, readT] = scope(() => residualsAndReadout(prob, it, cur.level));
    const stats = yield readT;
    readT.dispose();
    const fresh = openItems(status);
    const spent = opts.spent;
    const atMax = (i: number) => k + (spent?.[i] ?? 0) >= opts.maxIter;
    let open = judge(stats, scales, status, atMax, opts.tol, last);
    best = track(best, it, fresh, last, scales, opts.tol);
    open -= closeStalled(best, status, last, opts.tol);
    const keep = held(best, status);
    for (const old of kept) {
      if (keep.has(old)) continue;
      release(old, [it, ...keep]);
      kept.delete(old);
    }
    opts.onIteration?.(progress(k, open, last));
    if (open === 0) {
      lastRes = res;
      break;
    }
    for (let i = 0; i < nBatch; i++)
      if (status[i] === null) iterations[i] = k + 1;
    // null while every item is still moving: the step then needs no masks.
    const active = open === nBatch ? null : activeMask(status);
    cur = scope(() => step(prob, pre, it, active, res));
    if (keep.has(it)) kept.add(it);
    else release(it, [cur.it, ...kept]);
    it = cur.it;
    disposeAll([...Object.values(res), active]);
  }
  const final = finalIterate(best, it, status as QpStatus[], last);
  const res = final === it ? (lastRes ?? null) : null;
  if (res === null && lastRes !== undefined) disposeAll(Object.values(lastRes));
  return {
    it: final,
    status: status as QpStatus[],
    iterations,
    stats: last,
    res,
  };
}

function openItems(status: readonly (QpStatus | null)[]): number[] {
  const out: number[] = [];
  status.forEach((s, i) => s === null && out.push(i));
  return out;
}

function activeMask(status: readonly (QpStatus | null)[]): Tensor {
  return maskOf(status.map((st) => st === null));
}

function disposeAll(ts: readonly (Tensor | null)[]): void {
  for (const t of ts) t?.dispose();
}

/** Dispose the tensors of `old` that none of `keep` holds. */
function release(old: Iterate, keep: Iterable<Iterate>): void {
  for (const t of [old.z, old.s, old.lam, old.nu]) {
    if (t === null) continue;
    let held = false;
    for (const k of keep)
      if (k.z === t || k.s === t || k.lam === t || k.nu === t) held = true;
    if (!held) t.dispose();
  }
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

/** The yielded tensors the drivers may read without a copy (`borrow`). */
const borrowed = new WeakSet<Tensor>();

/**
 * Mark a tensor for a solver generator to yield when it reads the data
 * only while the tensor lives (and never writes to it): the drivers then
 * read the tensor's own storage where the backend keeps it in host memory
 * (the CPU), without a copy. For the inputs and Q's factor, which prepare
 * reads once (megabytes at nz 100). A tensor disposed right after its read
 * (the per-iteration statistics) must not be borrowed: its memory is
 * recycled while the generator still holds the data.
 * @example const q = yield borrow(x.Q);
 */
export function borrow(t: Tensor): Tensor {
  borrowed.add(t);
  return t;
}

const NO_COPY = { copy: false } as const;

function readOptions(t: Tensor) {
  return borrowed.has(t) ? NO_COPY : undefined;
}

/** Drive a solver generator, reading tensors synchronously. */
export function runSync<T>(gen: Generator<Tensor, T, ArrayLike<number>>): T {
  let r = stepNoGrad(gen, new Float64Array(0));
  while (!r.done) {
    const data = r.value.dataSync(readOptions(r.value));
    r = stepNoGrad(gen, data as ArrayLike<number>);
  }
  return r.value;
}

/** Drive a solver generator with asynchronous reads (any backend). */
export async function runAsync<T>(
  gen: Generator<Tensor, T, ArrayLike<number>>,
): Promise<T> {
  let r = stepNoGrad(gen, new Float64Array(0));
  while (!r.done) {
    const data = await r.value.data(readOptions(r.value));
    r = stepNoGrad(gen, data as ArrayLike<number>);
  }
  return r.value;
}
