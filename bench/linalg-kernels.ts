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
 * cd /work/main && node --conditions=source --import ./scripts/register.mjs
 * bench/linalg-kernels.ts [filter...]
 *
 * A filter keeps the cases whose name contains it (e.g. `chol`, `trsolve`).
 * Each case runs with worker threads off and on (`useCpuThreads()`, one
 * per core; `--threads=N` to choose): the inputs are made with threads on,
 * so they live in shared memory, and "off" uninstalls the runner without
 * stopping the workers.
 */
import * as T from '../packages/tensor/src/index.js';
import type { Tensor } from '../packages/tensor/src/index.js';
import {
  getCpuParallel,
  setCpuParallel,
  type CpuParallel,
} from '../packages/tensor/src/cpu/backend.js';
import { useCpuThreads } from '../packages/tensor/src/cpu/threads.js';
import { spdBatch } from './cases-linalg.js';

type Dt = 'float32' | 'float64';

interface Case {
  name: string;
  flop: number;
  /** Builds the inputs and returns the timed call. */
  setup(): () => void;
}

/** nBatch SPD matrices M·Mᵀ/n + I (cases-linalg's), in `dtype`. */
function spdBatchOf(
  nBatch: number,
  n: number,
  dtype: Dt,
  seed: number,
): Tensor {
  const t = spdBatch(nBatch, n, T.makeRng(seed));
  return dtype === 'float64' ? t : T.cast(t, dtype);
}

function choleskyCase(nBatch: number, n: number, dtype: Dt): Case {
  return {
    name: `cholesky ${dtype === 'float64' ? 'f64' : 'f32'} ${nBatch}x${n}`,
    flop: (nBatch * n ** 3) / 3,
    setup() {
      const a = spdBatchOf(nBatch, n, dtype, n);
      return () => T.scope(() => void T.cholesky(a));
    },
  };
}

function solveCase(
  nBatch: number,
  n: number,
  k: number,
  transpose: boolean,
  dtype: Dt,
): Case {
  const tag = transpose ? 'Lᵀ' : 'L';
  return {
    name: `trsolve ${tag} ${dtype === 'float64' ? 'f64' : 'f32'} ${nBatch}x${n} k=${k}`,
    flop: nBatch * n * n * k,
    setup() {
      const l = T.cholesky(spdBatchOf(nBatch, n, dtype, n + 1));
      const b = T.randn([nBatch, n, k], { dtype, rng: T.makeRng(k) });
      return () => T.scope(() => void T.triangularSolve(l, b, { transpose }));
    },
  };
}

/**
 * [nBatch, m, k] @ [nBatch, k, 1]: the batched matrix-vector product (gemv
 * path).
 */
function matvecCase(nBatch: number, m: number, k: number): Case {
  return {
    name: `matvec f64 [${nBatch},${m},${k}]@[${nBatch},${k},1]`,
    flop: 2 * nBatch * m * k,
    setup() {
      const a = T.randn([nBatch, m, k], {
        dtype: 'float64',
        rng: T.makeRng(3),
      });
      const x = T.randn([nBatch, k, 1], {
        dtype: 'float64',
        rng: T.makeRng(4),
      });
      return () => T.scope(() => void T.matmul(a, x));
    },
  };
}

/**
 * aᵀ·a for a [nBatch, k, m]: the Gram-matrix (syrk) path, m²k flops per item.
 */
function syrkCase(nBatch: number, k: number, m: number): Case {
  return {
    name: `syrk f64 [${nBatch},${k},${m}]ᵀ·itself`,
    flop: nBatch * m * m * k,
    setup() {
      const a = T.randn([nBatch, k, m], {
        dtype: 'float64',
        rng: T.makeRng(5),
      });
      return () => T.scope(() => void T.matmul(a, a, { transA: true }));
    },
  };
}

/** General batched gemm [nBatch, n, n] @ [nBatch, n, n]. */
function gemmCase(nBatch: number, n: number): Case {
  return {
    name: `gemm f64 [${nBatch},${n},${n}]@[${nBatch},${n},${n}]`,
    flop: 2 * nBatch * n ** 3,
    setup() {
      const a = T.randn([nBatch, n, n], {
        dtype: 'float64',
        rng: T.makeRng(6),
      });
      const b = T.randn([nBatch, n, n], {
        dtype: 'float64',
        rng: T.makeRng(7),
      });
      return () => T.scope(() => void T.matmul(a, b));
    },
  };
}

/**
 * addDiagonal(A [nBatch, n, n], d [nBatch, n]): a copy, so "flop" counts
 * elements written.
 */
function addDiagCase(nBatch: number, n: number): Case {
  return {
    name: `addDiagonal f64 ${nBatch}x${n}`,
    flop: nBatch * n * n,
    setup() {
      const a = T.randn([nBatch, n, n], {
        dtype: 'float64',
        rng: T.makeRng(8),
      });
      const d = T.randn([nBatch, n], { dtype: 'float64', rng: T.makeRng(9) });
      return () => T.scope(() => void T.addDiagonal(a, d));
    },
  };
}

/**
 * Calls of `fn` per sample so that one sample spans ≥ 20 ms (after warm-up).
 */
function repsFor(fn: () => void): number {
  for (let i = 0; i < 3; i++) fn();
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) fn();
    if (performance.now() - t0 >= 20) return reps;
    reps *= 2;
  }
}

/**
 * Median ms per call of `fn` with threads off and on, over `samples`
 * samples of ≥ 20 ms each, alternating off/on so that a change in machine
 * load hits both alike.
 */
function timeOffOn(
  fn: () => void,
  runner: CpuParallel | null,
  samples = 7,
): [number, number] {
  const ms: [number[], number[]] = [[], []];
  const reps = repsFor(fn);
  for (let s = 0; s < samples; s++) {
    for (const on of [0, 1] as const) {
      setCpuParallel(on ? runner : null);
      if (s === 0) for (let i = 0; i < 2; i++) fn();
      const t0 = performance.now();
      for (let r = 0; r < reps; r++) fn();
      ms[on].push((performance.now() - t0) / reps);
    }
  }
  setCpuParallel(runner);
  const med = (xs: number[]) => xs.sort((x, y) => x - y)[samples >> 1];
  return [med(ms[0]), med(ms[1])];
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const n of [10, 50, 64, 100, 104])
    out.push(choleskyCase(128, n, 'float64'));
  out.push(choleskyCase(128, 100, 'float32'), choleskyCase(1, 287, 'float64'));
  for (const transpose of [false, true]) {
    for (const k of [1, 2, 100])
      out.push(solveCase(128, 100, k, transpose, 'float64'));
    out.push(solveCase(128, 100, 1, transpose, 'float32'));
    out.push(
      solveCase(1, 287, 1, transpose, 'float64'),
      solveCase(1, 287, 287, transpose, 'float64'),
    );
  }
  out.push(
    matvecCase(128, 100, 100),
    matvecCase(128, 200, 100),
    syrkCase(128, 100, 200),
    syrkCase(128, 200, 100),
  );
  out.push(gemmCase(128, 100));
  out.push(
    addDiagCase(128, 100),
    choleskyCase(8, 30, 'float64'),
    solveCase(16, 30, 1, false, 'float64'),
  );
  return out;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const threadArg = args.find((a) => a.startsWith('--threads='));
  const filters = args.filter((a) => !a.startsWith('--'));
  const threads = await useCpuThreads(
    threadArg ? Number(threadArg.slice(10)) : undefined,
  );
  const runner = getCpuParallel();
  const pick = (c: Case) =>
    filters.length === 0 || filters.some((f) => c.name.includes(f));
  console.log(`threads on = ${threads}\n`);
  console.log(
    `| case | off ms | on ms | speedup | GFLOP/s off | GFLOP/s on |\n|---|---:|---:|---:|---:|---:|`,
  );
  for (const c of cases().filter(pick)) {
    const [off, on] = timeOffOn(c.setup(), runner);
    const gf = (ms: number) => (c.flop / ms / 1e6).toFixed(2);
    console.log(
      `| ${c.name} | ${off.toFixed(3)} | ${on.toFixed(3)} | ${(off / on).toFixed(2)}x | ${gf(off)} | ${gf(on)} |`,
    );
  }
}

await main();
