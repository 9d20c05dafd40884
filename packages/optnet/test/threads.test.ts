// The solver with worker threads: each iteration's factorization stays in
// its fused kernel on the main thread (faster than the plain one split
// over workers, BENCHMARKS.md), the primitives around it split where they
// are big enough, and the solution is bit-identical to one thread's.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  cpuWouldSplit,
  eye,
  makeRng,
  matmul,
  primitives,
  rand,
  randn,
  zeros,
} from '@optnet/tensor';
import { cpuThreadStats, useCpuThreads } from '@optnet/tensor/threads';
import { randomQp } from '../src/testing/random-qp.js';
import { solveQp } from '../src/index.js';

test('a solve with threads on gives the bits of one thread; its big primitives split', async () => {
  const d = randomQp({
    nBatch: 48,
    nz: 50,
    nIneq: 50,
    nEq: 0,
    dtype: 'float64',
    seed: 3,
  });
  const one = await solveQp(d.Q, d.p, d.G, d.h);
  assert.is(await useCpuThreads(2), 2);
  try {
    const meta = { shape: [48, 50, 50], dtype: 'float64' as const };
    assert.ok(
      cpuWouldSplit(primitives.cholesky, [meta], [meta], {}),
      'a factorization of this size would split',
    );
    const before = cpuThreadStats().splitCalls;
    const two = await solveQp(d.Q, d.p, d.G, d.h);
    const split = cpuThreadStats().splitCalls - before;
    // The prefactorization's products split; no iteration's factorization.
    assert.ok(split >= 1 && split < 10, `${split} split calls`);
    assert.equal(two.status, one.status);
    const [a, b] = [one.z.dataSync(), two.z.dataSync()];
    for (let i = 0; i < a.length; i++)
      assert.ok(Object.is(a[i], b[i]), `z[${i}]: ${a[i]} vs ${b[i]}`);
  } finally {
    await useCpuThreads(1);
  }
});

test('the bounds reduction with threads: its fused factorization on the main thread, the same bits', async () => {
  // The Sudoku layer's QP: Q = 0.1·I, z ≥ 0, 40 equalities through z0 > 0.
  const rng = makeRng(4);
  const f64 = { dtype: 'float64' as const };
  const [nBatch, nz, nEq] = [64, 64, 40];
  const Q = eye(nz, f64).mul(0.1);
  const G = eye(nz, f64).neg();
  const h = zeros([nz], f64);
  const A = rand([nEq, nz], { rng, ...f64 });
  const b = matmul(A, rand([nz], { rng, ...f64 }).add(0.1));
  const p = randn([nBatch, nz], { rng, ...f64 });
  const opts = { structure: { Q: 'diagonal', G: 'bounds' } } as const;
  const one = await solveQp(Q, p, G, h, A, b, opts);
  assert.is(await useCpuThreads(2), 2);
  try {
    const before = cpuThreadStats().splitCalls;
    const two = await solveQp(Q, p, G, h, A, b, opts);
    // Every piece is a fused kernel: nothing to split.
    assert.is(cpuThreadStats().splitCalls - before, 0);
    assert.equal(two.status, one.status);
    const [a, c] = [one.z.dataSync(), two.z.dataSync()];
    for (let i = 0; i < a.length; i++)
      assert.ok(Object.is(a[i], c[i]), `z[${i}]: ${a[i]} vs ${c[i]}`);
  } finally {
    await useCpuThreads(1);
  }
});

test.run();
