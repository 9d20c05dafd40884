/**
 * The QP layer: a batch of 128 random feasible float64 QPs (randomQp: the
 * construction of the OptNet paper's qpth benchmark), at the paper's sizes
 * and the Sudoku layer's (nz 64, 64 inequalities, 40 equalities).
 *
 * Two entries per size, because a Row has one time column:
 *   "qp fwd ..."      qp(...) under noGrad, z read back
 *   "qp fwd+bwd ..."  qp(...) with every input requiring grad, then
 *                     (z * c).sum().backward(), gradients read back
 * referenceMs is qpth's forward time where the paper's setup gives one
 * (PyTorch CPU), so the reference column of the fwd rows means "qpth",
 * not TensorFlow.js.
 *
 * The optnet package is imported lazily, so that a broken or missing
 * solver shows as an error row instead of stopping the whole run, and
 * through its public entries only: `@optnet/optnet` and
 * `@optnet/optnet/testing` (the root project lists it as a workspace
 * devDependency; `pnpm bench` runs with `--conditions=source`).
 */
import type { Entry } from './entry.js';
import { loadAutograd, T, type Tensor } from './ops.js';
import { interleaved, timeIt, type TimeOptions } from './util.js';

type QpModule = typeof import('@optnet/optnet');
type RandomQpModule = typeof import('@optnet/optnet/testing');
type RandomQp = ReturnType<RandomQpModule['randomQp']>;

const BATCH = 128;

interface QpSize {
  nz: number;
  nIneq: number;
  nEq: number;
  /** qpth forward, batch 128, float64, ms. */
  qpthFwdMs?: number;
  label?: string;
}

export const QP_SIZES: readonly QpSize[] = [
  { nz: 10, nIneq: 10, nEq: 0, qpthFwdMs: 18 },
  { nz: 50, nIneq: 50, nEq: 0, qpthFwdMs: 210 },
  { nz: 100, nIneq: 100, nEq: 0, qpthFwdMs: 880 },
  { nz: 10, nIneq: 10, nEq: 5 },
  { nz: 50, nIneq: 50, nEq: 25, qpthFwdMs: 330 },
  { nz: 100, nIneq: 100, nEq: 50 },
  { nz: 64, nIneq: 64, nEq: 40, qpthFwdMs: 590, label: 'sudoku' },
];

/**
 * A solve takes ~0.01 s at nz 10 but seconds at nz 100: few reps for the
 * big ones; a warm-up of at least 1.5 s so the solver's code is optimized.
 */
function qpReps(nz: number): TimeOptions {
  if (nz >= 50)
    return {
      warmup: 1,
      warmupMs: 1500,
      minReps: 5,
      maxReps: 9,
      budgetMs: 5000,
    };
  return {
    warmup: 10,
    warmupMs: 1500,
    minReps: 10,
    maxReps: 40,
    budgetMs: 2000,
  };
}

async function loadQp(): Promise<{
  qp: QpModule['qp'];
  randomQp: RandomQpModule['randomQp'];
}> {
  const [{ qp }, { randomQp }] = await Promise.all([
    import('@optnet/optnet'),
    import('@optnet/optnet/testing'),
  ]);
  return { qp, randomQp };
}

const sizeName = (s: QpSize): string =>
  `f64 b${BATCH} nz${s.nz} ineq${s.nIneq} eq${s.nEq}${s.label ? ` (${s.label})` : ''}`;

/** The data of a size, made once and shared by its two entries. */
const cache = new Map<string, RandomQp>();
function data(randomQp: RandomQpModule['randomQp'], s: QpSize): RandomQp {
  const key = sizeName(s);
  let d = cache.get(key);
  if (d === undefined) {
    d = randomQp({
      nBatch: BATCH,
      nz: s.nz,
      nIneq: s.nIneq,
      nEq: s.nEq,
      dtype: 'float64',
      seed: s.nz + s.nEq,
    });
    cache.set(key, d);
  }
  return d;
}

/** Forward only: qp under noGrad; `derived` reports the iterations. */
export function qpFwdEntry(s: QpSize): Entry {
  return {
    name: `qp fwd ${sizeName(s)}`,
    ...(s.qpthFwdMs !== undefined ? { referenceMs: s.qpthFwdMs } : {}),
    async run() {
      const { noGrad } = await loadAutograd();
      const { qp, randomQp } = await loadQp();
      const d = data(randomQp, s);
      let iters = 0;
      const options = {
        onIteration: (i: { iteration: number }) =>
          void (iters = Math.max(iters, i.iteration)),
      };
      const step = () =>
        T.scope(() =>
          noGrad(() => qp(d.Q, d.p, d.G, d.h, d.A, d.b, options)).data(),
        );
      const timing = await timeIt(step, qpReps(s.nz));
      const ref = s.qpthFwdMs !== undefined ? ', ref = qpth fwd' : '';
      return { timing, derived: `${iters} iters${ref}` };
    },
  };
}

/** Forward + backward of a training-style loss (z * c).sum(). */
export function qpFwdBwdEntry(s: QpSize): Entry {
  return {
    name: `qp fwd+bwd ${sizeName(s)}`,
    async run() {
      await loadAutograd(); // enables backward()
      const { qp, randomQp } = await loadQp();
      const d = data(randomQp, s);
      const leaves = [d.Q, d.p, d.G, d.h, d.A, d.b].filter(
        (t): t is Tensor => t !== null,
      );
      const c = T.randn([BATCH, s.nz], { rng: T.makeRng(1), dtype: 'float64' });
      const step = async () => {
        for (const t of leaves) {
          t.requiresGrad = true;
          t.grad = null;
        }
        const z = qp(d.Q, d.p, d.G, d.h, d.A, d.b);
        z.mul(c).sum().backward();
        await Promise.all(leaves.map((t) => t.grad?.data()));
      };
      try {
        return { timing: await timeIt(step, qpReps(s.nz)) };
      } finally {
        // the fwd entry of this size must not record a graph
        for (const t of leaves) {
          t.requiresGrad = false;
          t.grad = null;
        }
      }
    },
  };
}

/**
 * What polishing costs: the forward (qp under noGrad, z read back) with
 * polishing on and with `polish: false`, timed interleaved on the same
 * data; the row's time is the polished forward, "derived" the unpolished
 * one and the difference as a fraction of it.
 */
export function qpPolishEntry(s: QpSize): Entry {
  return {
    name: `qp polish cost ${sizeName(s)}`,
    async run() {
      const { noGrad } = await loadAutograd();
      const { qp, randomQp } = await loadQp();
      const d = data(randomQp, s);
      const fwd = (polish: boolean) => () =>
        T.scope(() =>
          noGrad(() => qp(d.Q, d.p, d.G, d.h, d.A, d.b, { polish })).dataSync(),
        );
      const [on, off] = interleaved(fwd(true), fwd(false), {
        reps: s.nz >= 50 ? 9 : 31,
        warmupMs: 1500,
      });
      const frac = (on.medianMs - off.medianMs) / off.medianMs;
      return {
        timing: on,
        derived: `off ${off.medianMs.toFixed(1)} ms; polish ${(100 * frac).toFixed(1)}%`,
      };
    },
  };
}

/** Problems of a training-like sequence: each data tensor plus noise. */
interface Step {
  Q: Tensor;
  p: Tensor;
  G: Tensor | null;
  h: Tensor | null;
  A: Tensor | null;
  b: Tensor | null;
}

const WARM_STEPS = 6;

/**
 * A sequence of slightly perturbed problems, as in training: step k adds
 * eps·N(0, 1) to L (Q = L·Lᵀ + 0.1I), p, G and h of step k − 1 (A and b
 * fixed, so every step stays feasible where the first one is, with h
 * perturbed by at most a few eps).
 */
function sequence(s: QpSize, eps: number): Step[] {
  const rng = T.makeRng(7);
  const f64 = { dtype: 'float64' as const, rng };
  const n = s.nz;
  let L = T.randn([BATCH, n, n], f64);
  let p = T.randn([BATCH, n], f64);
  let G = T.randn([BATCH, s.nIneq, n], f64);
  const z0 = T.randn([BATCH, n], f64);
  const mv = (m: Tensor, x: Tensor) => T.matmul(m, x.unsqueeze(-1)).squeeze(-1);
  let h = mv(G, z0).add(T.randn([BATCH, s.nIneq], f64).abs());
  const A = s.nEq > 0 ? T.randn([BATCH, s.nEq, n], f64) : null;
  const b = A === null ? null : mv(A, z0);
  const eye = T.eye(n, { dtype: 'float64' }).mul(0.1);
  const out: Step[] = [];
  for (let k = 0; k < WARM_STEPS; k++) {
    const bump = (t: Tensor) => t.add(T.randn(t.shape, f64).mul(eps));
    if (k > 0) [L, p, G, h] = [bump(L), bump(p), bump(G), bump(h)];
    const Q = T.matmul(L, L, { transB: true }).add(eye);
    out.push({ Q, p, G, h, A, b });
  }
  return out;
}

/**
 * Warm start on a perturbed sequence: the forward (qp under noGrad) of
 * steps 1..5, each from step k − 1's solveQp answer (`warmStart`), timed
 * interleaved with the same forwards from scratch; the row's time is the
 * warm one, "derived" the cold one and both iteration counts (largest
 * over the batch and mean over its items, averaged over the steps).
 */
export function qpWarmEntry(s: QpSize, eps: number): Entry {
  return {
    name: `qp warm start f64 b${BATCH} nz${s.nz} ineq${s.nIneq} eq${s.nEq} eps ${eps}`,
    async run() {
      const { noGrad } = await loadAutograd();
      const { qp, solveQp } = await import('@optnet/optnet');
      const steps = sequence(s, eps);
      const starts: Awaited<ReturnType<typeof solveQp>>[] = [];
      for (const d of steps.slice(0, -1))
        starts.push(await solveQp(d.Q, d.p, d.G, d.h, d.A, d.b));
      const iters = { cold: 0, warm: 0 };
      const mean = { cold: 0, warm: 0 };
      const run = (warm: boolean) => () => {
        steps.slice(1).forEach((d, k) => {
          const key = warm ? 'warm' : 'cold';
          const options = {
            ...(warm ? { warmStart: starts[k] } : {}),
            onResult: (r: { iterations: readonly number[] }) => {
              iters[key] += Math.max(...r.iterations);
              mean[key] += r.iterations.reduce((a, b) => a + b) / BATCH;
            },
          };
          T.scope(() =>
            noGrad(() => qp(d.Q, d.p, d.G, d.h, d.A, d.b, options)).dataSync(),
          );
        });
      };
      const reps = s.nz >= 50 ? 5 : 15;
      const [warmT, coldT] = interleaved(run(true), run(false), {
        reps,
        warmup: 2,
      });
      const per = (n: number) =>
        (n / ((reps + 2) * (steps.length - 1))).toFixed(1);
      return {
        timing: warmT,
        derived: `cold ${coldT.medianMs.toFixed(1)} ms; iters max ${per(iters.warm)} vs ${per(iters.cold)}, mean ${per(mean.warm)} vs ${per(mean.cold)}`,
      };
    },
  };
}

/**
 * Both entries for every size, fwd first; then the polishing-cost and the
 * warm-start entries.
 */
export function qpEntries(): Entry[] {
  const warm = [QP_SIZES[0], QP_SIZES[1], QP_SIZES[4]].flatMap((s) =>
    [1e-3, 1e-2].map((eps) => qpWarmEntry(s, eps)),
  );
  return [
    ...QP_SIZES.flatMap((s) => [qpFwdEntry(s), qpFwdBwdEntry(s)]),
    ...QP_SIZES.map(qpPolishEntry),
    ...warm,
  ];
}
