/**
 * `optnet bench qp`: times the QP layer on a batch of random feasible
 * problems (randomQp), the way the OptNet paper's qpth benchmark does.
 *
 * Glossary: Q p G h A b the data; z the solution; c a fixed random
 * weight, so that the loss (z * c).sum() has a generic gradient.
 *
 * Per rep, two measurements (each ends with a read-back, so that an
 * asynchronous backend is timed too):
 *   forward   qp(...) under noGrad, then read z
 *   fwd+bwd   qp(...) with every input requiring grad, read z (the
 *             forward part), then (z * c).sum().backward() and read the
 *             gradients (the backward part)
 * One untimed warm-up rep of each runs first (JIT, caches), after one
 * solveQp that reports the iterations and how many items were solved.
 */
import { noGrad } from '@optnet/autograd';
import { makeRng, randn, scope, type Tensor } from '@optnet/tensor';
import { qp, solveQp } from '../api/qp.js';
import { randomQp, type RandomQp } from '../testing/random-qp.js';
import type { QpOptions } from '../api/types.js';

export interface BenchQpOptions {
  nBatch: number;
  nz: number;
  nIneq: number;
  nEq: number;
  dtype: 'float32' | 'float64';
  /** Timed reps (after one warm-up). */
  reps: number;
  seed: number;
  /** Passed to qp / solveQp (tol, maxIter). */
  solver?: QpOptions;
}

/** One line of `--json` output; times in seconds. */
export interface BenchQpResult {
  name: 'qp';
  batch: number;
  nz: number;
  nineq: number;
  neq: number;
  dtype: 'float32' | 'float64';
  reps: number;
  seed: number;
  forward_median_s: number;
  fwd_bwd_median_s: number;
  /** Median of the backward part of each fwd+bwd rep (timed on its own). */
  backward_median_s: number;
  /** Interior-point iterations, the most over the batch items. */
  iterations: number;
  /** Items that ended 'solved', out of `batch`. */
  solved: number;
  node: string;
}

/** Median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The data's tensors that are present, in qp's argument order. */
const present = (d: RandomQp): Tensor[] =>
  [d.Q, d.p, d.G, d.h, d.A, d.b].filter((t): t is Tensor => t !== null);

/** Seconds for qp(...) under noGrad, with z read back. */
async function timeForward(d: RandomQp, options: QpOptions): Promise<number> {
  const t0 = performance.now();
  await scope(() =>
    noGrad(() => qp(d.Q, d.p, d.G, d.h, d.A, d.b, options)).data(),
  );
  return (performance.now() - t0) / 1000;
}

/**
 * Seconds for the forward and the backward parts of one training-style
 * step; `leaves` are `d`'s tensors with requiresGrad set.
 */
async function timeFwdBwd(
  d: RandomQp,
  leaves: Tensor[],
  c: Tensor,
  options: QpOptions,
): Promise<[number, number]> {
  for (const t of leaves) t.grad = null;
  const t0 = performance.now();
  const z = qp(d.Q, d.p, d.G, d.h, d.A, d.b, options);
  await z.data();
  const t1 = performance.now();
  z.mul(c).sum().backward();
  await Promise.all(leaves.map((t) => t.grad?.data()));
  const t2 = performance.now();
  return [(t1 - t0) / 1000, (t2 - t1) / 1000];
}

/**
 * Run the benchmark; `progress` (when given) gets one line per rep.
 * @example
 * const r = await benchQp({ nBatch: 128, nz: 50, nIneq: 50, nEq: 0, dtype: 'float64', reps: 3, seed: 0 });
 * r.forward_median_s; // seconds
 */
export async function benchQp(
  o: BenchQpOptions,
  progress?: (line: string) => void,
): Promise<BenchQpResult> {
  const d = randomQp(o);
  const c = randn([o.nBatch, o.nz], {
    rng: makeRng(o.seed + 1),
    dtype: o.dtype,
  });
  const options: QpOptions = o.solver ?? {};
  const leaves = present(d);
  for (const t of leaves) t.requiresGrad = true;

  const warm = await noGrad(() =>
    solveQp(d.Q, d.p, d.G, d.h, d.A, d.b, options),
  );
  const solved = warm.status.filter((s) => s === 'solved').length;
  if (solved < o.nBatch)
    progress?.(`warning: ${o.nBatch - solved} of ${o.nBatch} items not solved`);
  // Warm both timed paths (noGrad qp differs from solveQp's async driver).
  await timeForward(d, { ...options, onNotSolved: 'return' });
  await timeFwdBwd(d, leaves, c, { ...options, onNotSolved: 'return' });

  const fwd: number[] = [];
  const fb: number[] = [];
  const bwd: number[] = [];
  for (let rep = 1; rep <= o.reps; rep++) {
    fwd.push(await timeForward(d, { ...options, onNotSolved: 'return' }));
    const [f, b] = await timeFwdBwd(d, leaves, c, {
      ...options,
      onNotSolved: 'return',
    });
    fb.push(f + b);
    bwd.push(b);
    const sec = (v: number): string => `${v.toFixed(4)} s`;
    progress?.(
      `rep ${rep}/${o.reps}: forward ${sec(fwd[rep - 1])}, fwd+bwd ${sec(f + b)} (backward ${sec(b)})`,
    );
  }
  return {
    name: 'qp',
    batch: o.nBatch,
    nz: o.nz,
    nineq: o.nIneq,
    neq: o.nEq,
    dtype: o.dtype,
    reps: o.reps,
    seed: o.seed,
    forward_median_s: median(fwd),
    fwd_bwd_median_s: median(fb),
    backward_median_s: median(bwd),
    iterations: Math.max(...warm.iterations),
    solved,
    node: process.version,
  };
}

/** The result as a short human-readable table. */
export function formatBench(r: BenchQpResult): string {
  const head =
    `qp: batch ${r.batch}, nz ${r.nz}, nineq ${r.nineq}, neq ${r.neq}, ${r.dtype}, ` +
    `${r.reps} reps, seed ${r.seed}, node ${r.node}`;
  const ms = (s: number): string => `${(s * 1000).toFixed(1).padStart(10)} ms`;
  return [
    head,
    `  forward   ${ms(r.forward_median_s)}  (median)`,
    `  fwd+bwd   ${ms(r.fwd_bwd_median_s)}  (median)`,
    `  backward  ${ms(r.backward_median_s)}  (median)`,
    `  iterations ${r.iterations} (max over items), solved ${r.solved}/${r.batch}`,
  ].join('\n');
}
