/**
 * The best iterate of every batch item so far, by `merit` (status.ts: the
 * largest residual over its tolerance), so that an item that ends without
 * converging (max_iterations, numerical_error) returns the best point it
 * reached, not the last. While every item improves, which is the common
 * case, the best iterate is the current one and nothing is copied.
 *
 * Glossary: z primal, s slack, lam/nu duals; nBatch the batch size.
 */
import { tensor, where, type Tensor } from '@optnet/tensor';
import { merit, type Scales } from './status.js';
import type { Iterate } from './step.js';
import type { QpStatus } from '../api/types.js';

export interface Best {
  readonly it: Iterate;
  /** Per item: the merit of its best iterate (Infinity: none yet). */
  readonly merit: Float64Array;
  /** Per item: the statistics read at its best iterate. */
  readonly stats: Float64Array[];
  /** Per item: reads in a row without a better iterate. */
  readonly stale: Int32Array;
}

/**
 * A mask [nBatch, 1] from per-item booleans.
 * @example const m = maskOf([true, false]); // [[true], [false]]
 */
export function maskOf(flags: readonly boolean[]): Tensor {
  return tensor([...flags], { dtype: 'bool' }).unsqueeze(-1);
}

/**
 * where(mask, a, b) on every block of two iterates.
 * @example const it = pick(maskOf(better), current, best.it);
 */
export function pick(mask: Tensor, a: Iterate, b: Iterate): Iterate {
  const sel = (x: Tensor | null, y: Tensor | null): Tensor | null =>
    x === null || y === null || x === y ? x : where(mask, x, y);
  return {
    z: sel(a.z, b.z)!,
    s: sel(a.s, b.s),
    lam: sel(a.lam, b.lam),
    nu: sel(a.nu, b.nu),
  };
}

/** Whether an item that ended so returns its best iterate (finalIterate). */
const returnsBest = (s: QpStatus | null): boolean =>
  s === 'max_iterations' || s === 'numerical_error';

/**
 * The best iterates after reading `it`'s statistics (`last`) for the
 * items in `fresh` (those open before this read). Of the others, an item
 * that ended without converging keeps its best; the rest follow `it` (what
 * they return is `it` anyway). Returns `best` itself when nothing changed.
 * @example best = track(best, it, fresh, last, status, scales, tol);
 */
export function track(
  best: Best,
  it: Iterate,
  fresh: readonly number[],
  last: readonly Float64Array[],
  status: readonly (QpStatus | null)[],
  scales: Scales,
  tol: number,
): Best {
  const better = status.map((s) => !returnsBest(s));
  const meritNext = Float64Array.from(best.merit);
  const stats = best.stats.slice();
  const stale = Int32Array.from(best.stale);
  for (const i of fresh) {
    const m = merit(last[i], scales, i, tol);
    better[i] = m < best.merit[i];
    stale[i] = better[i] ? 0 : stale[i] + 1;
    if (!better[i]) continue;
    meritNext[i] = m;
    stats[i] = last[i];
  }
  if (!fresh.some((i) => better[i]) && best.it !== it)
    return { ...best, stale };
  const all = better.every((b) => b);
  const next = all ? it : pick(maskOf(better), it, best.it);
  return { it: next, merit: meritNext, stats, stale };
}

/** Reads without progress after which a converged-gap item has stalled. */
const STALL = 5;

/**
 * Close as 'numerical_error' every open item that has stalled at its
 * precision limit: no better iterate in STALL reads although its gap is
 * already within tolerance (only round-off is left to reduce: a float32
 * solve asked for 1e-10 would otherwise iterate until s∘lam underflows).
 * Returns how many it closed.
 * @example open -= closeStalled(best, status, last, tol);
 */
export function closeStalled(
  best: Best,
  status: (QpStatus | null)[],
  last: readonly Float64Array[],
  tol: number,
): number {
  let closed = 0;
  status.forEach((s, i) => {
    const [, , gap, obj] = last[i];
    if (s !== null || best.stale[i] < STALL) return;
    if (!(gap <= tol * (1 + Math.abs(obj)))) return;
    status[i] = 'numerical_error';
    closed++;
  });
  return closed;
}

/**
 * The iterate to return: the best one for items that ended without
 * converging (max_iterations, numerical_error), the last one for the
 * others (a solution, or a certificate of infeasibility or
 * unboundedness); `last` takes the best statistics for those items.
 * @example const it = finalIterate(best, it, status, last);
 */
export function finalIterate(
  best: Best,
  it: Iterate,
  status: readonly QpStatus[],
  last: Float64Array[],
): Iterate {
  const useBest = status.map(
    (s, i) => returnsBest(s) && best.stats[i] !== undefined,
  );
  if (best.it === it || !useBest.some((u) => u)) return it;
  useBest.forEach((u, i) => {
    if (u) last[i] = best.stats[i];
  });
  return pick(maskOf(useBest), best.it, it);
}
