/**
 * Ours against the peers in one run: our step and each peer's step timed
 * in turn (ours, peer 1, peer 2, ours, ...) so that all see the same
 * machine load, and the ratio ours/peer taken per round, its median over
 * the rounds reported. Before timing, each peer's numbers are checked
 * against ours (the same seeded inputs): a peer that differs by more than
 * the task's tolerance is reported as a mismatch and fails the run.
 */
import {
  Missing,
  type Peer,
  type PeerOrReason,
  type PeerTask,
} from './peers/src/index.js';
import { summarize, type PeerCell, type Timing } from './util.js';

/** How long to compare: rounds (at least / at most) and a time budget. */
export interface RaceOptions {
  warmup: number;
  /**
   * Warm-up rounds go on until this much time has passed too (0: none), so
   * that a fast step is timed with its JavaScript optimized: 0.1 ms steps
   * reach the optimizing compiler only after thousands of calls.
   */
  warmupMs?: number;
  minReps: number;
  maxReps: number;
  budgetMs: number;
}

type Arrays = readonly (Float32Array | Float64Array)[];

/**
 * The largest difference between two lists of arrays, each array's
 * measured relative to its largest entry of ours: max |p − o| / max |o|.
 * @example maxRelDiff([ours], [theirs]) < 1e-5
 */
export function maxRelDiff(ours: Arrays, theirs: Arrays): number {
  if (ours.length !== theirs.length) return Infinity;
  let worst = 0;
  ours.forEach((o, k) => {
    const p = theirs[k];
    if (p.length !== o.length) worst = Infinity;
    let scale = 0;
    let d = 0;
    for (let i = 0; i < o.length; i++) {
      scale = Math.max(scale, Math.abs(o[i]));
      d = Math.max(d, Math.abs(p[i] - o[i]));
    }
    const r = d / Math.max(scale, 1e-30);
    worst = Math.max(worst, Number.isNaN(r) ? Infinity : r);
  });
  return worst;
}

/** A peer's task for this row, checked against ours, or why there is none. */
interface Ready {
  name: string;
  task?: PeerTask;
  cell: PeerCell;
}

async function prepare(
  peer: PeerOrReason,
  make: (p: Peer) => PeerTask,
  ours: Arrays,
  tol: number,
): Promise<Ready> {
  if (typeof peer === 'string') {
    const name = peer.startsWith('@jax') ? 'jax-js' : 'TF.js-wasm';
    return { name, cell: { peer: name, missing: peer } };
  }
  try {
    const task = make(peer);
    const diff = maxRelDiff(ours, await task.check());
    const cell: PeerCell = { peer: peer.name, diff, mismatch: !(diff <= tol) };
    return { name: peer.name, task, cell };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const missing =
      e instanceof Missing ? msg : `failed: ${msg.split('\n')[0]}`;
    return { name: peer.name, cell: { peer: peer.name, missing } };
  }
}

/**
 * Times `ours` interleaved with each peer's task for this row; returns our
 * timing and one cell per peer (time, median ratio, check, or missing).
 * @example
 * const { timing, cells } = await race(step, peers, (p) => p.matmul(a, b, n), [c], 1e-5, opts);
 */
export async function race(
  ours: () => Promise<unknown>,
  peers: readonly PeerOrReason[],
  make: (p: Peer) => PeerTask,
  oursCheck: Arrays,
  tol: number,
  opts: RaceOptions,
): Promise<{ timing: Timing; cells: PeerCell[] }> {
  const ready: Ready[] = [];
  for (const p of peers) ready.push(await prepare(p, make, oursCheck, tol));
  const live = ready.filter((r) => r.task !== undefined && !r.cell.mismatch);
  const steps = [ours, ...live.map((r) => () => r.task!.step())];
  const w0 = performance.now();
  for (
    let i = 0;
    i < opts.warmup || performance.now() - w0 < (opts.warmupMs ?? 0);
    i++
  )
    for (const s of steps) await s();
  const times: number[][] = steps.map(() => []);
  const t0 = performance.now();
  while (
    times[0].length < opts.maxReps &&
    (times[0].length < opts.minReps || performance.now() - t0 < opts.budgetMs)
  ) {
    for (let k = 0; k < steps.length; k++) {
      const s = performance.now();
      await steps[k]();
      times[k].push(performance.now() - s);
    }
  }
  live.forEach((r, k) => {
    const theirs = times[k + 1];
    r.cell.timing = summarize(theirs);
    r.cell.ratio = summarize(times[0].map((t, i) => t / theirs[i])).medianMs;
  });
  for (const r of ready) r.task?.dispose();
  return { timing: summarize(times[0]), cells: ready.map((r) => r.cell) };
}
