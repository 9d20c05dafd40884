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
  /** Per item: the iterate its best statistics were read at (or null). */
  readonly from: (Iterate | null)[];
  /** Per item: the merit of its best iterate (Infinity: none yet). */
  readonly merit: Float64Array;
  /** Per item: the statistics read at its best iterate. */
  readonly stats: Float64Array[];
  /** Per item: reads in a row without a better iterate. */
  readonly stale: Int32Array;
}

/**
 * No best iterate yet, for n items.
 * @example let best = noBest(nBatch);
 */
export function noBest(n: number): Best {
  return {
    from: new Array<Iterate | null>(n).fill(null),
    merit: new Float64Array(n).fill(Infinity),
    stats: [],
    stale: new Int32Array(n),
  };
}

/**
 * A mask [nBatch, 1] from per-item booleans.
 * @example const m = maskOf([true, false]); // [[true], [false]]
 */
export function maskOf(flags: readonly boolean[]): Tensor {
  // From bytes: tensor() on a JS array of booleans took 14 µs at 128
  // items (this, 2 µs), once or twice an iteration.
  const bytes = new Uint8Array(flags.length);
  for (let i = 0; i < flags.length; i++) bytes[i] = flags[i] ? 1 : 0;
  return tensor(bytes, { dtype: 'bool', shape: [flags.length, 1] });
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
 * items in `fresh` (those open before this read), updated in `best`
 * (which it returns). Bookkeeping only: no tensor is copied (an item's
 * best is a reference to the iterate it was read at; see `held`).
 * @example best = track(best, it, fresh, last, scales, tol);
 */
export function track(
  best: Best,
  it: Iterate,
  fresh: readonly number[],
  last: readonly Float64Array[],
  scales: Scales,
  tol: number,
): Best {
  const { from, merit: meritOf, stats, stale } = best;
  for (const i of fresh) {
    const m = merit(last[i], scales, i, tol);
    if (!(m < meritOf[i])) {
      stale[i]++;
      continue;
    }
    from[i] = it;
    meritOf[i] = m;
    stats[i] = last[i];
    stale[i] = 0;
  }
  return best;
}

/**
 * The iterates the best of an item that may still need it lives in (open
 * items, and those that ended without converging): keep them alive.
 * @example const keep = held(best, status);
 */
export function held(
  best: Best,
  status: readonly (QpStatus | null)[],
): Set<Iterate> {
  const out = new Set<Iterate>();
  const { from } = best;
  let prev: Iterate | null = null;
  for (let i = 0; i < from.length; i++) {
    const f = from[i];
    // Most items share one iterate: add each run of them once.
    if (f === null || f === prev) continue;
    if (status[i] === null || returnsBest(status[i])) {
      out.add(f);
      prev = f;
    }
  }
  return out;
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
  for (let i = 0; i < status.length; i++) {
    if (status[i] !== null || best.stale[i] < STALL) continue;
    const gap = last[i][2];
    const obj = last[i][3];
    if (!(gap <= tol * (1 + Math.abs(obj)))) continue;
    status[i] = 'numerical_error';
    closed++;
  }
  return closed;
}

/**
 * The iterate to return: the best one for items that ended without
 * converging (max_iterations, numerical_error), the last one for the
 * others (a solution, or a certificate of infeasibility or
 * unboundedness); `last` takes the best statistics for those items. Only
 * here are rows copied, one `where` per earlier iterate involved.
 * @example const it = finalIterate(best, it, status, last);
 */
export function finalIterate(
  best: Best,
  it: Iterate,
  status: readonly QpStatus[],
  last: Float64Array[],
): Iterate {
  let out = it;
  const sources = new Set<Iterate>();
  status.forEach((s, i) => {
    const f = best.from[i];
    if (!returnsBest(s) || f === null) return;
    last[i] = best.stats[i];
    if (f !== it) sources.add(f);
  });
  for (const src of sources) {
    const mask = status.map((s, i) => returnsBest(s) && best.from[i] === src);
    out = pick(maskOf(mask), src, out);
  }
  return out;
}
