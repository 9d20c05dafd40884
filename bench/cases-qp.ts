/**
 * The QP layer: a batch of 128 random feasible float64 QPs (randomQp: the
 * construction of the OptNet paper's qpth benchmark), at the paper's sizes
 * and the Sudoku layer's (nz 64, 64 inequalities, 40 equalities).
 *
 * Two rows per size:
 *   "qp fwd ..."      qp(...) under noGrad, z read back
 *   "qp fwd+bwd ..."  qp(...) with every input requiring grad, then
 *                     (z * c).sum().backward(), gradients read back
 * and in their qpth column qpth's QPFunction on the same QPs and the same
 * c (bench/peers/qpth_qp.py, PyTorch, one thread), where a python3 with
 * torch runs: rounds of (qpth's reps, ours), five below nz 50 and three
 * above, the ratio the median of the rounds' ours/qpth. The check compares qpth's z and gradients with
 * ours, and reports both solvers' residuals on the same data.
 *
 * The optnet package is imported lazily, so that a broken or missing
 * solver shows as an error row instead of stopping the whole run, and
 * through its public entries only: `@optnet/optnet` and
 * `@optnet/optnet/testing` (the root project lists it as a workspace
 * devDependency; `pnpm bench` runs with `--conditions=source`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { maxRelDiff } from './compare.js';
import type { Entry, RunContext } from './entry.js';
import { loadAutograd, T, type Tensor } from './ops.js';
import {
  NO_TORCH,
  pythonWithTorch,
  readArray,
  runPeerScript,
  writeInputs,
} from './python.js';
import {
  interleaved,
  summarize,
  timeIt,
  type PeerCell,
  type Row,
  type TimeOptions,
} from './util.js';

type QpModule = typeof import('@optnet/optnet');
type RandomQpModule = typeof import('@optnet/optnet/testing');
type RandomQp = ReturnType<RandomQpModule['randomQp']>;

const BATCH = 128;

interface QpSize {
  nz: number;
  nIneq: number;
  nEq: number;
  label?: string;
}

export const QP_SIZES: readonly QpSize[] = [
  { nz: 10, nIneq: 10, nEq: 0 },
  { nz: 50, nIneq: 50, nEq: 0 },
  { nz: 100, nIneq: 100, nEq: 0 },
  { nz: 10, nIneq: 10, nEq: 5 },
  { nz: 50, nIneq: 50, nEq: 25 },
  { nz: 100, nIneq: 100, nEq: 50 },
  { nz: 64, nIneq: 64, nEq: 40, label: 'sudoku' },
];

/**
 * Rounds of qpth against ours, and qpth's timed reps in each. A round at
 * nz 10 is ~0.2 s of timing behind ~1.5 s of starting Python: five there
 * (a three-round median moved by ±0.01 from run to run at a ratio of
 * 0.20), three where a round takes seconds.
 */
const rounds = (nz: number): number => (nz >= 50 ? 3 : 5);
const qpthReps = (nz: number): number => (nz >= 50 ? 3 : 10);

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

/** The solve and the fwd+bwd step of a size, on its data. */
function steps(
  qp: QpModule['qp'],
  noGrad: <R>(f: () => R) => R,
  d: RandomQp,
  c: Tensor,
) {
  const leaves = [d.Q, d.p, d.G, d.h, d.A, d.b].filter(
    (t): t is Tensor => t !== null,
  );
  // the forward's iteration count, for the fwd row
  const iters = { last: 0 };
  const options = {
    onIteration: (i: { iteration: number }) => void (iters.last = i.iteration),
  };
  const fwd = () =>
    T.scope(() =>
      noGrad(() => qp(d.Q, d.p, d.G, d.h, d.A, d.b, options)).data(),
    );
  // In a scope, as a training step would be (and as fwd is): without one,
  // every call's tensors were left to the garbage collector, and with
  // threads on those are fresh SharedArrayBuffers each call, which fault
  // in page by page: the every-core fwd+bwd ran 1.2-1.6x the one-thread
  // time (BENCHMARKS.md).
  const fwdBwd = () =>
    T.scope(async () => {
      for (const t of leaves) {
        t.requiresGrad = true;
        t.grad = null;
      }
      try {
        const z = qp(d.Q, d.p, d.G, d.h, d.A, d.b);
        z.mul(c).sum().backward();
        return await Promise.all(leaves.map((t) => t.grad!.data()));
      } finally {
        // The next fwd must not record a graph. The gradients are disposed
        // as an optimizer's zeroGrad does (their memory is recycled):
        // dropped, each call's 2.5 MB gradients at nz 50 were fresh
        // memory, faulted in page by page.
        for (const t of leaves) {
          t.requiresGrad = false;
          t.grad?.dispose();
          t.grad = null;
        }
      }
    });
  return { leaves, fwd, fwdBwd, iters };
}

/** max over the batch of (Gz − h)₊ and |Az − b|, and each item's ½zᵀQz + pᵀz. */
function residuals(d: RandomQp, z: Float64Array, s: QpSize) {
  const [Q, p, G, h] = [d.Q, d.p, d.G!, d.h!].map((t) => t.dataSync());
  const [A, b] = [d.A, d.b].map((t) => (t === null ? null : t.dataSync()));
  const n = s.nz;
  let ineq = 0;
  let eq = 0;
  const obj = new Float64Array(BATCH);
  for (let k = 0; k < BATCH; k++) {
    const zk = (j: number) => z[k * n + j];
    const row = (M: ArrayLike<number>, m: number, i: number) => {
      let v = 0;
      for (let j = 0; j < n; j++) v += M[(k * m + i) * n + j] * zk(j);
      return v;
    };
    for (let i = 0; i < s.nIneq; i++)
      ineq = Math.max(ineq, row(G, s.nIneq, i) - h[k * s.nIneq + i]);
    for (let i = 0; A !== null && b !== null && i < s.nEq; i++)
      eq = Math.max(eq, Math.abs(row(A, s.nEq, i) - b[k * s.nEq + i]));
    for (let i = 0; i < n; i++)
      obj[k] += zk(i) * (0.5 * row(Q, n, i) + p[k * n + i]);
  }
  return { ineq, eq, obj };
}

/** Residuals of both solvers' z, as a cell note. */
function accuracyNote(
  d: RandomQp,
  s: QpSize,
  ours: Float64Array,
  theirs: Float64Array,
): string {
  const o = residuals(d, ours, s);
  const q = residuals(d, theirs, s);
  let gap = -Infinity;
  o.obj.forEach(
    (v, k) =>
      (gap = Math.max(gap, (v - q.obj[k]) / Math.max(1, Math.abs(q.obj[k])))),
  );
  const e = (x: number) => x.toExponential(0);
  const eqs = s.nEq > 0 ? `, ‖Az−b‖∞ ${e(o.eq)} vs ${e(q.eq)}` : '';
  return `max(Gz−h)₊ ours ${e(Math.max(0, o.ineq))} vs qpth ${e(Math.max(0, q.ineq))}${eqs}, objective ours − qpth ≤ ${e(gap)}`;
}

/**
 * Where two solvers' gradients differ: the median and the worst batch
 * item's largest difference (over all six, each relative to our largest
 * entry of that gradient). Near-degenerate items (a constraint almost
 * active at the solution) have ill-conditioned gradients and dominate
 * the worst.
 */
function itemNote(ours: Float64Array[], theirs: Float64Array[]): string {
  const per = new Float64Array(BATCH);
  ours.forEach((o, g) => {
    const scale = o.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-30);
    const n = o.length / BATCH;
    for (let i = 0; i < o.length; i++) {
      const k = Math.floor(i / n);
      per[k] = Math.max(per[k], Math.abs(theirs[g][i] - o[i]) / scale);
    }
  });
  const sorted = [...per].sort((a, b) => a - b);
  const worst = per.indexOf(sorted[BATCH - 1]);
  const e = (x: number) => x.toExponential(0);
  return `gradients: median item Δ ${e(sorted[BATCH >> 1])}, worst item (${worst}) Δ ${e(sorted[BATCH - 1])}`;
}

interface QpthOut {
  forward_s: number[];
  fwd_bwd_s: number[];
}

/** Per output (fwd, fwd+bwd): ours, qpth's times, and the rounds' ratios. */
interface Rounds {
  ours: number[][];
  theirs: number[][];
  ratios: number[][];
}

/**
 * rounds(nz) rounds of (qpth's reps, ours) on the inputs in `dir`; the first
 * also has qpth write its z and gradients there.
 */
async function qpthRounds(
  s: QpSize,
  st: ReturnType<typeof steps>,
  py: string,
  dir: string,
): Promise<Rounds> {
  const reps = qpthReps(s.nz);
  const out: Rounds = { ours: [[], []], theirs: [[], []], ratios: [[], []] };
  for (let r = 0; r < rounds(s.nz); r++) {
    const args = ['--inputs', dir, '--reps', String(reps), '--threads', '1'];
    const q = runPeerScript<QpthOut>(
      py,
      'qpth_qp.py',
      r === 0 ? [...args, '--out'] : args,
    );
    const warm = r === 0 ? qpReps(s.nz) : { warmup: 1 };
    const opts = { ...warm, minReps: reps, maxReps: reps };
    const mine = [await timeIt(st.fwd, opts), await timeIt(st.fwdBwd, opts)];
    [q.forward_s, q.fwd_bwd_s].forEach((ts, i) => {
      const ms = ts.map((t) => t * 1000);
      out.theirs[i].push(...ms);
      out.ours[i].push(mine[i].medianMs);
      out.ratios[i].push(mine[i].medianMs / summarize(ms).medianMs);
    });
  }
  return out;
}

/** The two rows: timings from `r`, qpth's answers (in `dir`) against ours. */
async function qpthRows(
  s: QpSize,
  d: RandomQp,
  st: ReturnType<typeof steps>,
  dir: string,
  r: Rounds,
): Promise<Row[]> {
  const z = Float64Array.from(await st.fwd());
  const grads = (await st.fwdBwd()).map((g) =>
    Float64Array.from(g as ArrayLike<number>),
  );
  const names = ['dQ', 'dp', 'dG', 'dh', 'dA', 'db'].slice(0, grads.length);
  const qz = readArray(dir, 'out_z');
  const qGrads = names.map((n) => readArray(dir, `out_${n}`));
  const cell = (i: number, diff: number, note: string): PeerCell => ({
    peer: 'qpth',
    timing: summarize(r.theirs[i]),
    ratio: summarize(r.ratios[i]).medianMs,
    diff,
    mismatch: i === 0 && !(diff <= 1e-3),
    note,
  });
  const zCell = cell(0, maxRelDiff([z], [qz]), accuracyNote(d, s, z, qz));
  const gCell = cell(1, maxRelDiff(grads, qGrads), itemNote(grads, qGrads));
  const name = sizeName(s);
  return [
    {
      name: `qp fwd ${name}`,
      timing: summarize(r.ours[0]),
      derived: `${st.iters.last} iters`,
      peers: [zCell],
    },
    {
      name: `qp fwd+bwd ${name}`,
      timing: summarize(r.ours[1]),
      peers: [gCell],
    },
  ];
}

/** The size's two rows: ours interleaved in rounds with qpth, and checked. */
async function withQpth(
  s: QpSize,
  d: RandomQp,
  c: Tensor,
  st: ReturnType<typeof steps>,
  py: string,
): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'optnet-qpth-'));
  try {
    const arrays: Record<string, Tensor> = { Q: d.Q, p: d.p, c };
    Object.assign(arrays, { G: d.G!, h: d.h! });
    if (d.A !== null && d.b !== null) Object.assign(arrays, { A: d.A, b: d.b });
    writeInputs(dir, arrays);
    const rounds = await qpthRounds(s, st, py, dir);
    return await qpthRows(s, d, st, dir, rounds);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A size's fwd and fwd+bwd rows (see the file's comment). */
export function qpEntry(s: QpSize): Entry {
  return {
    name: `qp fwd, fwd+bwd ${sizeName(s)}`,
    async run(ctx: RunContext): Promise<Row[]> {
      const { noGrad } = await loadAutograd();
      const { qp, randomQp } = await loadQp();
      const d = data(randomQp, s);
      const c = T.randn([BATCH, s.nz], { rng: T.makeRng(1), dtype: 'float64' });
      const st = steps(qp, noGrad, d, c);
      const py = ctx.peers === null ? null : pythonWithTorch();
      if (py !== null) return withQpth(s, d, c, st, py);
      const missing: PeerCell[] | undefined =
        ctx.peers === null ? undefined : [{ peer: 'qpth', missing: NO_TORCH }];
      const tf = await timeIt(st.fwd, qpReps(s.nz));
      const tb = await timeIt(st.fwdBwd, qpReps(s.nz));
      return [
        {
          name: `qp fwd ${sizeName(s)}`,
          timing: tf,
          derived: `${st.iters.last} iters`,
          peers: missing,
        },
        { name: `qp fwd+bwd ${sizeName(s)}`, timing: tb, peers: missing },
      ];
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
 * One entry (two rows) per size; then the polishing-cost and the
 * warm-start entries.
 */
export function qpEntries(): Entry[] {
  const warm = [QP_SIZES[0], QP_SIZES[1], QP_SIZES[4]].flatMap((s) =>
    [1e-3, 1e-2].map((eps) => qpWarmEntry(s, eps)),
  );
  return [...QP_SIZES.map(qpEntry), ...QP_SIZES.map(qpPolishEntry), ...warm];
}
