/**
 * Warm starts (QpOptions.warmStart): the earlier answer is polished as it
 * stands first; where its active set still holds, that is the item's new
 * answer without an iteration. The items it did not finish iterate from
 * it, pushed into the interior, and are polished at the end: on their own
 * (a subset of the batch, solver/subset.ts) when they are at most half of
 * it, so that one item whose active set moved does not make the whole
 * batch iterate; else the whole batch iterates, as from scratch.
 *
 * Glossary: w the warm start (z, s, lam, nu per item); n the batch size.
 */
import { type Tensor } from '@optnet/tensor';
import { maskOf, pick } from './best.js';
import { pdipm, type PdipmOptions, type PdipmOutcome } from './pdipm.js';
import {
  mergeSystems,
  once,
  polish,
  type ActiveSystem,
  type Solved,
} from './polish.js';
import type { KktPre } from './kkt/types.js';
import type { Scales } from './status.js';
import { mv } from '../kernels/batch.js';
import { warmIterate, type Iterate, type Problem } from './step.js';
import { takeIterate, type Subset } from './subset.js';
import type { QpStatus } from '../api/types.js';

/**
 * How far a warm start's s and lam are pushed into the interior (times
 * each row's 1 + |h_i|, and absolute for lam): see step.ts warmIterate.
 */
export const WARM_SHIFT = 1e-2;

type Gen<T> = Generator<Tensor, T, ArrayLike<number>>;

/** A prepared batch (prepare.ts Prepared) or a subset of one. */
interface Batch {
  readonly prob: Problem;
  readonly pre: KktPre;
  readonly scales: Scales;
}

/**
 * Polish at a warm start as it is (its s, or max(h − Gz, 0), and its
 * lam, or 0): where the earlier answer's active set still holds, this is
 * the new answer, without iterating.
 */
function* polishAsIs(
  prep: Batch,
  w: Iterate,
  tol: number,
  subsetOf: (idx: readonly number[]) => Subset,
): Gen<Solved> {
  const { prob } = prep;
  const G = prob.data.G;
  const s = w.s ?? (G === null ? null : prob.h!.sub(mv(G, w.z)).maximum(0));
  const lam = w.lam ?? (s === null ? null : s.mul(0));
  const n = prob.data.nBatch;
  const out: PdipmOutcome = {
    it: { z: w.z, s, lam, nu: w.nu ?? prob.b?.mul(0) ?? null },
    status: new Array<QpStatus>(n).fill('max_iterations'),
    iterations: new Array<number>(n).fill(0),
    stats: [],
    res: null,
  };
  return yield* polish(prob, prep.pre, out, prep.scales, tol, subsetOf);
}

/** Iterate from the warm start `w` (pushed inward), then polish. */
function* iterateFrom(
  b: Batch,
  w: Iterate,
  opts: PdipmOptions,
  subsetOf?: (idx: readonly number[]) => Subset,
): Gen<Solved> {
  const start = warmIterate(b.prob, w, WARM_SHIFT);
  const out = yield* pdipm(b.prob, b.pre, b.scales, opts, start);
  return yield* polish(b.prob, b.pre, out, b.scales, opts.tol, subsetOf);
}

/**
 * `first` (the whole batch) with the items `idx` replaced by `part` (the
 * solve of the subset `sub` of those items, in their order).
 */
export function mergeSolved(
  first: Solved,
  part: Solved,
  idx: readonly number[],
  sub: Subset,
): Solved {
  const status = first.status.slice();
  const iterations = first.iterations.slice();
  const stats = first.stats.slice();
  const polished = first.polished.slice();
  idx.forEach((i, j) => {
    status[i] = part.status[j];
    iterations[i] = part.iterations[j];
    stats[i] = part.stats[j];
    polished[i] = part.polished[j];
  });
  const flags = first.status.map(() => false);
  for (const i of idx) flags[i] = true;
  const mask = maskOf(flags);
  const up = (t: Tensor | null) => (t === null ? null : sub.spread(t));
  const p = part.it;
  const spreadIt = { z: up(p.z)!, s: up(p.s), lam: up(p.lam), nu: up(p.nu) };
  const it = pick(mask, spreadIt, first.it);
  const system = once((): ActiveSystem | null => {
    const [a, b] = [first.system(), part.system()];
    if (a === null || b === null) return a;
    const { active, reg, exact } = b;
    const spreadSys = {
      active: up(active)!,
      reg: { s: up(reg.s)!, lam: up(reg.lam)! },
      exact: { s: up(exact.s)!, lam: up(exact.lam)! },
    };
    return mergeSystems(mask, spreadSys, a);
  });
  const base = { it, status, iterations, stats, res: null };
  // The items of idx come from part; the others keep first's polish.
  const f = first.first;
  const kept = f === null ? [] : f.polished.map((p, i) => p && !flags[i]);
  const keep =
    f === null || !kept.some((p) => p) ? null : { f: f.f, polished: kept };
  return { ...base, polished, first: keep, system };
}

/**
 * Solve from the warm start `w` with polishing on (see the file comment).
 * @example const solved = yield* solveWarm(prep, w, opts, subsetOf);
 */
export function* solveWarm(
  prep: Batch,
  w: Iterate,
  opts: PdipmOptions,
  subsetOf: (idx: readonly number[]) => Subset,
): Gen<Solved> {
  const first = yield* polishAsIs(prep, w, opts.tol, subsetOf);
  const rest = first.polished.flatMap((p, i) => (p ? [] : [i]));
  if (rest.length === 0) return first;
  if (2 * rest.length > first.polished.length)
    return yield* iterateFrom(prep, w, opts, subsetOf);
  const sub = subsetOf(rest);
  const part = yield* iterateFrom(sub, takeIterate(sub, w), opts);
  return mergeSolved(first, part, rest, sub);
}
