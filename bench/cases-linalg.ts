/**
 * Dense linear algebra: square matmul (f32 and f64) and the batched
 * Cholesky factor + solve that the QP layer's KKT solves are made of.
 */
import type { Entry } from './entry.js';
import { op, T, type Tensor } from './ops.js';
import { gflops, timeIt, type TimeOptions } from './util.js';

/** TensorFlow.js pure-JS CPU, 256x256 float32 matmul, on these machines. */
const TFJS_MATMUL_256_MS = 38;

/** Fewer reps as n grows: a 1024 f64 matmul can take seconds on the CPU. */
function matmulReps(n: number): TimeOptions {
  if (n >= 1024) return { warmup: 1, minReps: 2, maxReps: 3, budgetMs: 4000 };
  if (n >= 512) return { warmup: 1, minReps: 3, maxReps: 5, budgetMs: 4000 };
  return { warmup: 3, minReps: 5, maxReps: 30, budgetMs: 2000 };
}

/** C = A·B for n×n matrices; 2n³ flops. */
export function matmulEntry(n: number, dtype: 'float32' | 'float64'): Entry {
  const isRef = n === 256 && dtype === 'float32';
  return {
    name: `matmul ${dtype} ${n}x${n}`,
    ...(isRef ? { referenceMs: TFJS_MATMUL_256_MS } : {}),
    async run() {
      const matmul = op('matmul');
      const rng = T.makeRng(n);
      const a = T.randn([n, n], { dtype, rng });
      const b = T.randn([n, n], { dtype, rng });
      const timing = await timeIt(
        () => T.scope(() => matmul(a, b).data()),
        matmulReps(n),
      );
      return { timing, derived: gflops(2 * n ** 3, timing.medianMs) };
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
    async run() {
      const cholesky = op('cholesky');
      const choleskySolve = op('choleskySolve');
      const rng = T.makeRng(7);
      const a = spdBatch(nBatch, n, rng);
      const b = T.randn([nBatch, n, 1], { dtype: 'float64', rng });
      const step = () => T.scope(() => choleskySolve(cholesky(a), b).data());
      const timing = await timeIt(step, {
        warmup: 2,
        minReps: 5,
        maxReps: 20,
        budgetMs: 4000,
      });
      const flop = nBatch * (n ** 3 / 3 + 2 * n ** 2);
      return { timing, derived: gflops(flop, timing.medianMs) };
    },
  };
}
