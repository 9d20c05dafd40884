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
import {
  flagsHelp,
  parseFlags,
  UsageError,
  type FlagSpec,
} from '../experiments/common/flags.js';
import { SOLVER_FLAGS, solverOptions, type CommandIo } from './solve.js';

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

const FLAGS = {
  batch: { type: 'int', min: 1, default: 128, help: 'QPs in the batch' },
  nz: { type: 'int', min: 1, default: 10, help: 'variables' },
  nineq: { type: 'int', min: 0, help: 'inequalities (default nz)' },
  neq: { type: 'int', min: 0, default: 0, help: 'equalities (at most nz)' },
  reps: { type: 'int', min: 1, default: 5, help: 'timed repetitions' },
  seed: { type: 'int', min: 0, default: 0, help: 'seed of the random QPs' },
  ...SOLVER_FLAGS,
  json: { type: 'bool', help: 'print one JSON line' },
  help: { type: 'bool', help: 'this text' },
} satisfies Record<string, FlagSpec>;

/** The usage of `optnet bench qp`. */
export const BENCH_USAGE: string = `Usage: optnet bench qp [options]

Time a batch of random feasible QPs: forward (qp under noGrad) and
forward + backward (qp, then (z * c).sum().backward()); medians over
--reps repetitions after one warm-up.

Options:
${flagsHelp(FLAGS)}`;

/**
 * Run `optnet bench qp` (argv after `bench`); returns the exit code.
 * @example
 * const code = await benchCommand(['qp', '--nz', '50'], io);
 */
export async function benchCommand(
  argv: readonly string[],
  io: CommandIo,
): Promise<number> {
  const [what, ...rest] = argv;
  if (what === '--help' || what === 'help') {
    io.out(BENCH_USAGE);
    return 0;
  }
  if (what !== 'qp') {
    throw new UsageError(
      `optnet bench: unknown benchmark; got "${what ?? ''}". The benchmarks: qp.`,
    );
  }
  const cmd = 'optnet bench qp';
  const { values: v, positionals } = parseFlags(cmd, rest, FLAGS);
  if (v.help) {
    io.out(BENCH_USAGE);
    return 0;
  }
  if (positionals.length > 0) {
    throw new UsageError(
      `${cmd}: takes no positional arguments; got "${positionals[0]}".`,
    );
  }
  if (v.neq > v.nz) {
    const got = `got --neq ${v.neq}, --nz ${v.nz}`;
    throw new UsageError(
      `${cmd}: --neq must be ≤ --nz (more equalities than unknowns); ${got}.`,
    );
  }
  const opts: BenchQpOptions = {
    nBatch: v.batch,
    nz: v.nz,
    nIneq: v.nineq ?? v.nz,
    nEq: v.neq,
    dtype: v.dtype as 'float64' | 'float32',
    reps: v.reps,
    seed: v.seed,
    solver: solverOptions(v),
  };
  const result = await benchQp(opts, v.json ? undefined : io.err);
  io.out(v.json ? JSON.stringify(result) : formatBench(result));
  return 0;
}
