/**
 * Dense linear algebra: square matmul (f32 and f64) and the batched
 * Cholesky factor + solve that the QP layer's KKT solves are made of.
 * The float32 matmuls run interleaved with TF.js-wasm and jax-js on the
 * same matrices, the Cholesky with jax-js (TF.js has none).
 */
import { race, type RaceOptions } from './compare.js';
import type { Entry } from './entry.js';
import { op, T, type Tensor } from './ops.js';
import { gflops, timeIt, type TimeOptions } from './util.js';

/** Fewer reps as n grows: a 1024 f64 matmul can take seconds on the CPU. */
function matmulReps(n: number): TimeOptions {
  if (n >= 1024) return { warmup: 1, minReps: 2, maxReps: 3, budgetMs: 4000 };
  if (n >= 512) return { warmup: 1, minReps: 3, maxReps: 5, budgetMs: 4000 };
  return { warmup: 3, minReps: 5, maxReps: 30, budgetMs: 2000 };
}

/** The interleaved rounds of a matmul comparison. */
function matmulRace(n: number): RaceOptions {
  const { warmup = 2, minReps = 3, maxReps = 20 } = matmulReps(n);
  // A 64 × 64 step is ~0.1 ms: a second of warm-up rounds for every
  // participant, so that ours is timed with its dispatch code optimized
  // (three warm-up rounds timed it in V8's baseline tiers: 0.08 ms, where
  // the optimized call takes ~0.02 ms).
  const warmupMs = n <= 128 ? 1000 : 0;
  return {
    warmup,
    warmupMs,
    minReps: Math.max(minReps, 5),
    maxReps,
    budgetMs: 3000,
  };
}

/** C = A·B for n×n matrices; 2n³ flops. */
export function matmulEntry(n: number, dtype: 'float32' | 'float64'): Entry {
  return {
    name: `matmul ${dtype} ${n}x${n}`,
    async run({ peers }) {
      const matmul = op('matmul');
      const rng = T.makeRng(n);
      const a = T.randn([n, n], { dtype, rng });
      const b = T.randn([n, n], { dtype, rng });
      const step = () => T.scope(() => matmul(a, b).data());
      const derived = (ms: number) => gflops(2 * n ** 3, ms);
      if (peers === null || dtype !== 'float32') {
        const timing = await timeIt(step, matmulReps(n));
        return { timing, derived: derived(timing.medianMs) };
      }
      const [A, B] = [a, b].map((t) => t.dataSync() as Float32Array);
      const c = T.scope(() => matmul(a, b).dataSync() as Float32Array);
      // float32 sums of n products: a few ulps times √n apart
      const { timing, cells } = await race(
        step,
        peers,
        (p) => p.matmul(A, B, n),
        [c],
        1e-6 * Math.sqrt(n),
        matmulRace(n),
      );
      return { timing, derived: derived(timing.medianMs), peers: cells };
    },
  };
}

/**
 * nBatch SPD matrices A = M·Mᵀ/n + I (well conditioned), built in plain JS
 * so that this entry needs no other op than the ones it times.
 */
export function spdBatch(nBatch: number, n: number, rng: T.Rng): Tensor {
  const m = new Float64Array(n * n);
  const a = new Float64Array(nBatch * n * n);
  for (let k = 0; k < nBatch; k++) {
    T.randn([n * n], { dtype: 'float64', rng })
      .dataSync()
      .forEach((v, i) => (m[i] = v));
    const off = k * n * n;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let p = 0; p < n; p++) s += m[i * n + p] * m[j * n + p];
        const v = s / n + (i === j ? 1 : 0);
        a[off + i * n + j] = v;
        a[off + j * n + i] = v;
      }
    }
  }
  return T.fromTypedArray(a, [nBatch, n, n]);
}

/**
 * L = cholesky(A), X = choleskySolve(L, B) for nBatch SPD n×n systems with
 * one right-hand side: n³/3 flops to factor, 2n² to solve, per system.
 */
export function choleskyEntry(nBatch: number, n: number): Entry {
  return {
    name: `cholesky + solve f64 ${nBatch}x${n}x${n}`,
    async run({ peers }) {
      const cholesky = op('cholesky');
      const choleskySolve = op('choleskySolve');
      const rng = T.makeRng(7);
      const a = spdBatch(nBatch, n, rng);
      const b = T.randn([nBatch, n, 1], { dtype: 'float64', rng });
      const step = () => T.scope(() => choleskySolve(cholesky(a), b).data());
      const flop = nBatch * (n ** 3 / 3 + 2 * n ** 2);
      const opts = { warmup: 2, minReps: 5, maxReps: 20, budgetMs: 4000 };
      if (peers === null) {
        const timing = await timeIt(step, opts);
        return { timing, derived: gflops(flop, timing.medianMs) };
      }
      const [A, Bv] = [a, b].map((t) => t.dataSync() as Float64Array);
      const x = T.scope(() => choleskySolve(cholesky(a), b).dataSync());
      const { timing, cells } = await race(
        step,
        peers,
        (p) => p.choleskySolve(A, Bv, nBatch, n),
        [x as Float64Array],
        1e-10,
        opts,
      );
      return { timing, derived: gflops(flop, timing.medianMs), peers: cells };
    },
  };
}
