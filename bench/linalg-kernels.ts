/**
 * Standalone timing of the batched CPU linalg kernels the QP solver's
 * interior-point loop is made of: cholesky and triangularSolve over batches
 * of small/medium matrices. Prints one table row per case with the median
 * time of ≥ 5 samples and GFLOP/s (cholesky n³/3, triangularSolve n²k flops
 * per matrix). Each sample repeats the call until it spans ≥ 20 ms, so tiny
 * cases are not dominated by timer resolution. The CPU kernels run
 * synchronously, so the result is not read back (a dataSync would add a
 * full copy of the output to every sample); output allocation is included.
 *
 *   cd /work/main && node --conditions=source --import ./scripts/register.mjs bench/linalg-kernels.ts [filter...]
 *
 * A filter keeps the cases whose name contains it (e.g. `chol`, `trsolve`).
 */
import * as T from '../packages/tensor/src/index.js';
import type { Tensor } from '../packages/tensor/src/index.js';

type Dt = 'float32' | 'float64';

interface Case {
  name: string;
  flop: number;
  /** Builds the inputs and returns the timed call. */
  setup(): () => void;
}

/** nBatch SPD matrices M·Mᵀ/n + I (well conditioned), built in plain JS. */
function spdBatch(nBatch: number, n: number, dtype: Dt, seed: number): Tensor {
  const rng = T.makeRng(seed);
  const a = new Float64Array(nBatch * n * n);
  for (let b = 0; b < nBatch; b++) {
    const m = T.randn([n * n], { dtype: 'float64', rng }).dataSync();
    const off = b * n * n;
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
  const t = T.fromTypedArray(a, [nBatch, n, n]);
  return dtype === 'float64' ? t : T.cast(t, dtype);
}

function choleskyCase(nBatch: number, n: number, dtype: Dt): Case {
  return {
    name: `cholesky ${dtype === 'float64' ? 'f64' : 'f32'} ${nBatch}x${n}`,
    flop: (nBatch * n ** 3) / 3,
    setup() {
      const a = spdBatch(nBatch, n, dtype, n);
      return () => T.scope(() => void T.cholesky(a));
    },
  };
}

function solveCase(nBatch: number, n: number, k: number, transpose: boolean, dtype: Dt): Case {
  const tag = transpose ? 'Lᵀ' : 'L';
  return {
    name: `trsolve ${tag} ${dtype === 'float64' ? 'f64' : 'f32'} ${nBatch}x${n} k=${k}`,
    flop: nBatch * n * n * k,
    setup() {
      const l = T.cholesky(spdBatch(nBatch, n, dtype, n + 1));
      const b = T.randn([nBatch, n, k], { dtype, rng: T.makeRng(k) });
      return () => T.scope(() => void T.triangularSolve(l, b, { transpose }));
    },
  };
}

/** Median ms per call over `samples` samples of ≥ 20 ms each. */
function time(fn: () => void, samples = 7): number {
  for (let i = 0; i < 3; i++) fn();
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) fn();
    if (performance.now() - t0 >= 20) break;
    reps *= 2;
  }
  const ms: number[] = [];
  for (let s = 0; s < samples; s++) {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) fn();
    ms.push((performance.now() - t0) / reps);
  }
  ms.sort((x, y) => x - y);
  return ms[samples >> 1];
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const n of [10, 50, 64, 100, 104]) out.push(choleskyCase(128, n, 'float64'));
  out.push(choleskyCase(128, 100, 'float32'), choleskyCase(1, 287, 'float64'));
  for (const transpose of [false, true]) {
    for (const k of [1, 2, 100]) out.push(solveCase(128, 100, k, transpose, 'float64'));
    out.push(solveCase(128, 100, 1, transpose, 'float32'));
    out.push(solveCase(1, 287, 1, transpose, 'float64'), solveCase(1, 287, 287, transpose, 'float64'));
  }
  return out;
}

function main(): void {
  const filters = process.argv.slice(2);
  const pick = (c: Case) => filters.length === 0 || filters.some((f) => c.name.includes(f));
  console.log(`| case | median ms | GFLOP/s |\n|---|---:|---:|`);
  for (const c of cases().filter(pick)) {
    const ms = time(c.setup());
    console.log(`| ${c.name} | ${ms.toFixed(3)} | ${(c.flop / ms / 1e6).toFixed(2)} |`);
  }
}

main();
