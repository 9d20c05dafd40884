import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '@optnet/tensor';
import { assertClose, assertThrowsCode } from '@optnet/tensor/testing';

test('tensor: infers shape and dtype; typed arrays keep theirs', async () => {
  const a = T.tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  assert.equal([...a.shape], [2, 3]);
  assert.is(a.dtype, 'float32');
  assert.equal(await a.toArray(), [
    [1, 2, 3],
    [4, 5, 6],
  ]);
  const b = T.tensor(new Float64Array([1, 2, 3, 4]), { shape: [2, 2] });
  assert.is(b.dtype, 'float64');
  assert.equal(b.arraySync(), [
    [1, 2],
    [3, 4],
  ]);
  assert.is(T.tensor([true, false]).dtype, 'bool');
  assert.equal(await T.tensor([true, false]).toArray(), [true, false]);
  assert.is(await T.tensor(7, { dtype: 'int32' }).item(), 7);
});

test('tensor: ragged data and wrong shapes are clear errors', async () => {
  await assertThrowsCode(
    () => T.tensor([[1, 2], [3]]),
    'SHAPE_MISMATCH',
    /^tensor: nested arrays must be rectangular; got length 1 at \[1\]/,
  );
  // the index named is the one where the shape breaks, however deep
  await assertThrowsCode(
    () =>
      T.tensor([
        [[1], [2]],
        [[3], [4, 5]],
      ]),
    'SHAPE_MISMATCH',
    /got length 2 at \[1\]\[1\] where 1 was expected/,
  );
  await assertThrowsCode(
    () => T.tensor([1, [2]] as unknown as number[]),
    'SHAPE_MISMATCH',
    /number or boolean leaves; got an array at \[1\]/,
  );
  // three levels, read in order
  assert.equal(
    Array.from(
      T.tensor([
        [
          [1, 2],
          [3, 4],
        ],
        [
          [5, 6],
          [7, 8],
        ],
      ]).dataSync(),
    ),
    [1, 2, 3, 4, 5, 6, 7, 8],
  );
  await assertThrowsCode(
    () => T.tensor([1, 2, 3], { shape: [2, 2] }),
    'SHAPE_MISMATCH',
    /needs 4 values; got 3/,
  );
  await assertThrowsCode(
    () => T.tensor([1], { dtype: 'int32', requiresGrad: true }),
    'DTYPE_MISMATCH',
    /only float tensors/,
  );
  await assertThrowsCode(
    () => T.zeros([2, -1]),
    'BAD_ARGUMENT',
    /^zeros: shape entries/,
  );
});

test('creation: zeros, ones, full, eye, arange, linspace', async () => {
  await assertClose(T.zeros([2, 2]), [0, 0, 0, 0]);
  await assertClose(T.ones([3], { dtype: 'float64' }), [1, 1, 1]);
  await assertClose(T.full([2], 7, { dtype: 'int32' }), [7, 7]);
  await assertClose(
    T.eye(2, { m: 3 }),
    [
      [1, 0, 0],
      [0, 1, 0],
    ],
    { shape: [2, 3] },
  );
  const r = T.arange(5);
  assert.is(r.dtype, 'int32');
  await assertClose(r, [0, 1, 2, 3, 4]);
  await assertClose(T.arange(1, 2, 0.25), [1, 1.25, 1.5, 1.75]);
  await assertClose(T.arange(5, 0, -2), [5, 3, 1]);
  await assertClose(T.linspace(0, 1, 5), [0, 0.25, 0.5, 0.75, 1]);
  await assertThrowsCode(
    () => T.arange(0, 1, 0),
    'BAD_ARGUMENT',
    /^arange: step/,
  );
});

test('random: seeded draws reproduce; statistics are right', async () => {
  const a = Array.from(
    await T.randn([1000], { rng: T.makeRng(7), dtype: 'float64' }).data(),
  );
  const b = await T.randn([1000], {
    rng: T.makeRng(7),
    dtype: 'float64',
  }).data();
  assert.equal(a, Array.from(b));
  const mean = a.reduce((s, v) => s + v, 0) / a.length;
  const variance = a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length;
  assert.ok(
    Math.abs(mean) < 0.1 && Math.abs(variance - 1) < 0.15,
    `mean ${mean} var ${variance}`,
  );
  const u = await T.rand([1000], { rng: T.makeRng(1) }).data();
  assert.ok(u.every((v) => v >= 0 && v < 1));
  const k = await T.randint(2, 5, [500], { rng: T.makeRng(2) }).data();
  assert.equal([...new Set(k)].sort(), [2, 3, 4]);
  T.seed(11);
  const g1 = await T.rand([3]).data();
  T.seed(11);
  assert.equal(Array.from(await T.rand([3]).data()), Array.from(g1));
});

test('random: a generator saved with rngState continues exactly after restoreRng', async () => {
  const rng = T.makeRng(11);
  T.rand([5], { rng });
  const saved = T.rngState(rng)!;
  const next = Array.from(T.rand([7], { rng }).dataSync());
  const again = Array.from(
    T.rand([7], { rng: T.restoreRng(saved) }).dataSync(),
  );
  assert.equal(again, next);
  assert.is(
    T.rngState(() => 0.5),
    null,
    'not one of ours',
  );
  await assertThrowsCode(
    () => T.restoreRng('{"i":0}'),
    'BAD_ARGUMENT',
    /^restoreRng: state must come from rngState/,
  );
});

test('scope: frees intermediates, keeps returned tensors, works nested and on throw', () => {
  const x = T.ones([4]);
  const before = T.memoryStats().tensors;
  let inner: T.Tensor | null = null;
  const out = T.scope(() => {
    inner = x.add(1);
    const kept = T.keep(x.mul(5));
    const nested = T.scope(() => inner!.mul(2).exp());
    return { result: nested.add(kept), kept };
  });
  assert.ok(inner!.isDisposed);
  assert.ok(!out.result.isDisposed && !out.kept.isDisposed);
  assert.is(T.memoryStats().tensors, before + 2);
  assert.throws(
    () =>
      T.scope(() => {
        x.add(1);
        throw new Error('boom');
      }),
    /boom/,
  );
  assert.is(T.memoryStats().tensors, before + 2);
});

test('dispose: use after dispose is a DISPOSED error; dispose is idempotent', async () => {
  const x = T.ones([2]);
  x.dispose();
  x.dispose();
  assert.ok(x.isDisposed);
  await assertThrowsCode(
    () => x.add(1),
    'DISPOSED',
    /^tensor: this float32\[2\] tensor was disposed/,
  );
  assert.match(x.toString(), /disposed/);
});

test('dispose: recycled buffers come back zero-filled and never alias a live tensor', () => {
  const f64 = { dtype: 'float64' } as const;
  for (let round = 0; round < 3; round++) {
    const a = T.full([1000], 7, f64);
    const b = a.mul(3);
    const freed = a.buffer;
    a.dispose(); // its array goes to the CPU backend's pool
    const padded = T.pad(T.ones([10], f64), [[0, 990]]); // relies on a zeroed output
    assert.ok(padded.buffer === freed, 'the disposed array was reused');
    const sum = Array.from(padded.dataSync() as Float64Array).reduce(
      (s, v) => s + v,
      0,
    );
    assert.is(sum, 10);
    const c = b.add(1);
    assert.ok(Array.from(b.dataSync() as Float64Array).every((v) => v === 21));
    assert.ok(Array.from(c.dataSync() as Float64Array).every((v) => v === 22));
  }
});

test('a recycled Cholesky factor is scanned again: NaN in its new contents is NON_FINITE', async () => {
  const f64 = { dtype: 'float64' } as const;
  const spd = T.eye(8, f64)
    .mul(4)
    .add(T.ones([8, 8], f64));
  const b = T.ones([8, 1], f64);
  const l = T.cholesky(spd);
  T.triangularSolve(l, b); // l is known finite: no scan
  const freed = l.buffer;
  l.dispose();
  const bad = T.full([8, 8], NaN, f64);
  assert.ok(bad.buffer === freed, "the factor's array was reused");
  await assertThrowsCode(() => T.triangularSolve(bad, b), 'NON_FINITE');
});

test("reshape shares its input buffer on the CPU; only the last holder's dispose recycles it", () => {
  const f64 = { dtype: 'float64' } as const;
  const x = T.arange(0, 1000, 1, f64);
  const y = x.reshape([10, 100]);
  const z = y.reshape([1000, 1]);
  assert.ok(y.buffer === x.buffer && z.buffer === x.buffer, 'no copy');
  const shared = x.buffer;
  x.dispose();
  const fresh = T.pad(T.ones([10], f64), [[0, 990]]); // would reuse x's array if it were recycled
  assert.ok(fresh.buffer !== shared);
  z.dispose();
  assert.ok(
    T.pad(T.ones([10], f64), [[0, 990]]).buffer !== shared,
    'y still holds it',
  );
  assert.is((y.dataSync() as Float64Array)[999], 999);
  y.dispose(); // the last holder: the array goes back to the pool
  const again = T.pad(T.ones([10], f64), [[0, 990]]);
  assert.ok(again.buffer === shared, 'recycled after its last holder let go');
  assert.is(again.dataSync()[999], 0);
  // A holder that is only dropped (never disposed) keeps the array out of the
  // pool.
  const a = T.arange(0, 1000, 1, f64);
  const kept = a.buffer;
  a.reshape([1000]); // dropped, not disposed
  a.dispose();
  assert.ok(T.pad(T.ones([10], f64), [[0, 990]]).buffer !== kept);
});

test('assign: takes over the source buffer in place; mismatches are errors', () => {
  const w = T.tensor([1, 2, 3], { dtype: 'float64' });
  w.requiresGrad = true;
  const next = w.mul(2);
  const before = T.memoryStats().tensors;
  assert.is(w.assign(next), w);
  assert.equal(Array.from(w.dataSync()), [2, 4, 6]);
  assert.ok(w.requiresGrad, 'w stays a leaf that requires grad');
  assert.ok(next.isDisposed, 'the source is consumed');
  assert.is(T.memoryStats().tensors, before - 1);
  assertThrowsCode(
    () => w.assign(T.tensor([1, 2], { dtype: 'float64' })),
    'SHAPE_MISMATCH',
  );
  assertThrowsCode(
    () => w.assign(T.tensor([1, 2, 3], { dtype: 'float32' })),
    'SHAPE_MISMATCH',
  );
  assertThrowsCode(() => w.assign(next), 'DISPOSED');
});

test('reads: item needs one element; backward needs autograd loaded', async () => {
  await assertThrowsCode(() => T.ones([2]).item(), 'BAD_ARGUMENT', /^item: /);
  await assertThrowsCode(
    () => T.ones([1], { requiresGrad: true }).backward(),
    'NO_AUTOGRAD',
    /import '@optnet\/autograd'/,
  );
});

test('backend: ops on tensors of two backends are refused', async () => {
  const a = T.ones([2]);
  const other = new T.CpuBackend();
  const prev = T.getBackend();
  T.setBackend(other);
  const b = T.ones([2]);
  T.setBackend(prev);
  await assertThrowsCode(
    () => T.add(a, b),
    'BACKEND_MISMATCH',
    /^add: all inputs must live on one backend/,
  );
});

test('decompose: a backend without the kernel runs the op as other primitives', () => {
  let kernelRuns = 0;
  const mulAdd = T.defineOp<{ c: number }>({
    name: 'testMulAdd',
    shape: ([x]) => [{ shape: x.shape, dtype: x.dtype }],
    cpu: ([x], [y], { c }) => {
      kernelRuns++;
      for (let i = 0; i < x.data.length; i++)
        y.data[i] = x.data[i] * x.data[i] + c;
    },
    decompose: ([x], { c }) => [x.square().add(c)],
  });
  const x = T.tensor([1, 2, 3], { dtype: 'float64' });
  assert.equal(
    Array.from(T.apply1(mulAdd, [x], { c: 1 }).dataSync()),
    [2, 5, 10],
  );
  assert.is(kernelRuns, 1);
  class NoFused extends T.CpuBackend {
    hasKernel(op: T.KernelOp<unknown>): boolean {
      return op.name !== 'testMulAdd';
    }
  }
  const prev = T.getBackend();
  T.setBackend(new NoFused());
  try {
    const z = T.tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
    const y = T.apply1(mulAdd, [z], { c: 1 });
    assert.equal(Array.from(y.dataSync()), [2, 5, 10]);
    assert.is(kernelRuns, 1, 'the kernel did not run');
    assert.ok(
      y.node !== null && y.node.op.name === 'add',
      'the graph records the primitives that ran',
    );
  } finally {
    T.setBackend(prev);
  }
});

test('broadcastShapes: NumPy rules', () => {
  assert.equal(T.broadcastShapes([2, 1, 3], [4, 3]), [2, 4, 3]);
  assert.equal(T.broadcastShapes([], [5]), [5]);
  assert.equal(T.broadcastShapes([0, 1], [1, 4]), [0, 4]);
  assert.throws(() => T.broadcastShapes([2, 3], [3, 2]), /axis -1: 3 vs 2/);
});

test('fillsOutputs: the CPU backend skips the zero-fill of recycled memory for such an op only', () => {
  // Probes: kernels that copy their output's incoming contents out, i.e.
  // show what memory they were handed (a real fillsOutputs kernel writes
  // every element).
  const seen: number[][] = [];
  const probe = (fillsOutputs: boolean) =>
    T.defineOp<Record<string, never>>({
      name: `testProbe${fillsOutputs}`,
      shape: ([x]) => [{ shape: x.shape, dtype: x.dtype }],
      cpu: (_ins, [y]) => {
        seen.push(Array.from(y.data));
      },
      fillsOutputs,
    });
  const size = 4096; // big enough for the pool of recycled arrays
  const x = T.zeros([size], { dtype: 'float64' });
  for (const fills of [false, true]) {
    T.full([size], 7, { dtype: 'float64' }).mul(1).dispose(); // 7s to the pool
    T.apply1(probe(fills), [x], {}).dispose();
  }
  assert.ok(
    seen[0].every((v) => v === 0),
    'zeroed without the flag',
  );
  assert.ok(
    seen[1].every((v) => v === 7),
    'handed over as it was with it',
  );
});

test('permute and triangularSolve (fillsOutputs) write every element of recycled memory', () => {
  const f64 = { dtype: 'float64' as const };
  const rng = T.makeRng(5);
  // [3, 7, 5] and [3, 7, 7]: batched, with a four-row block and a tail
  const x = T.randn([3, 7, 5], { rng, ...f64 });
  const b = T.randn([3, 7, 7], { rng, ...f64 });
  const l = T.cholesky(b.matmul(b, { transB: true }).add(T.eye(7, f64)));
  const cases: [string, () => T.Tensor][] = [
    ['transpose', () => x.transpose(-2, -1)],
    ['permute', () => x.permute([1, 0, 2])],
    ['triangularSolve', () => l.triangularSolve(x)],
    ['triangularSolve, Lᵀ', () => l.triangularSolve(x, { transpose: true })],
  ];
  for (const wasm of [true, false]) {
    T.setWasmKernels(wasm);
    try {
      for (const [name, run] of cases) {
        const want = Array.from(run().dataSync());
        // NaN-filled arrays of the output's size to the pool, then the op
        for (let i = 0; i < 4; i++)
          T.full([want.length], NaN, f64).mul(1).dispose();
        const got = Array.from(run().dataSync());
        assert.equal(got, want, `${name}, wasm ${wasm}`);
      }
    } finally {
      T.setWasmKernels(true);
    }
  }
});

test.run();
