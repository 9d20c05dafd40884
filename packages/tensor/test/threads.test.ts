// Worker threads for the batched CPU kernels: results bit-identical to the
// one-thread kernel, errors naming the same global batch item, small calls
// kept on one thread, and everything still working after stopCpuThreads.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '@optnet/tensor';
import {
  cpuThreadStats,
  stopCpuThreads,
  useCpuThreads,
} from '@optnet/tensor/threads';
import type { KernelOp, Tensor, TypedArray } from '@optnet/tensor';
import { cpuKernelOf } from '../src/cpu/kernels.js';

const rng = T.makeRng(42);
const f64 = { dtype: 'float64' as const, rng };

/**
 * The CPU backend's one-thread kernel for the op (its WebAssembly one where
 * it has one, else the reference) on plain (non-shared) copies of the
 * inputs.
 */
function reference<A>(op: KernelOp<A>, inputs: Tensor[], attrs: A): TypedArray {
  // One copy per distinct tensor: aᵀ·a of one tensor must stay one array (the
  // Gram path).
  const copies = new Map<Tensor, TypedArray>();
  const copy = (t: Tensor) =>
    copies.get(t) ?? copies.set(t, t.dataSync()).get(t)!;
  const ins = inputs.map((t) => ({
    data: copy(t),
    shape: t.shape,
    dtype: t.dtype,
  }));
  const [meta] = op.shape(ins, attrs);
  const out = {
    data: T.allocArray(meta.dtype, T.sizeOf(meta.shape)),
    shape: meta.shape,
    dtype: meta.dtype,
  };
  cpuKernelOf(op)(ins, [out], attrs);
  return out.data;
}

/** Bit-for-bit equality (NaN equal to NaN, 0 unequal to -0). */
function assertSameBits(got: TypedArray, want: TypedArray, what: string): void {
  assert.is(got.length, want.length, `${what}: length`);
  for (let i = 0; i < got.length; i++) {
    if (!Object.is(got[i], want[i]))
      assert.unreachable(
        `${what}: element ${i} differs: ${got[i]} vs ${want[i]}`,
      );
  }
}

/** Runs `fn` with threads on and checks it was split (or not) over threads. */
function splitCount(fn: () => void): number {
  const before = cpuThreadStats().splitCalls;
  fn();
  return cpuThreadStats().splitCalls - before;
}

/** `nBatch` SPD matrices M·Mᵀ/n + I, n×n. */
function spd(shape: number[]): Tensor {
  const n = shape[shape.length - 1];
  const m = T.randn(shape, f64);
  return T.addDiagonal(
    T.matmul(m, m, { transB: true }).div(n),
    T.ones([n], { dtype: 'float64' }),
  );
}

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

test.before(async () => {
  assert.is(await useCpuThreads(2), 2);
});

test('useCpuThreads is idempotent and validates n', async () => {
  assert.is(await useCpuThreads(2), 2);
  assert.is(cpuThreadStats().threads, 2);
  let code = '';
  await useCpuThreads(0).catch((e: { code: string }) => (code = e.code));
  assert.is(code, 'BAD_ARGUMENT');
  assert.is(cpuThreadStats().threads, 2);
});

const cases: [string, () => [KernelOp<never>, Tensor[], unknown]][] = [
  [
    'cholesky f64 [9,50,50]',
    () => [T.primitives.cholesky, [spd([9, 50, 50])], {}],
  ],
  [
    'cholesky f32 [3,3,50,50]',
    () => [T.primitives.cholesky, [spd([3, 3, 50, 50]).cast('float32')], {}],
  ],
  ...[
    { lower: true, transpose: false, unitDiagonal: false },
    { lower: true, transpose: true, unitDiagonal: false },
    { lower: false, transpose: false, unitDiagonal: true },
    { lower: false, transpose: true, unitDiagonal: false },
  ].map((attrs): [string, () => [KernelOp<never>, Tensor[], unknown]] => [
    `triangularSolve ${JSON.stringify(attrs)} [9,80,80]·X = [9,80,6]`,
    () => [
      T.primitives.triangularSolve,
      [T.cholesky(spd([9, 80, 80])), T.randn([9, 80, 6], f64)],
      attrs,
    ],
  ]),
  [
    'triangularSolve broadcast L [80,80], B [7,80,7]',
    () => [
      T.primitives.triangularSolve,
      [T.cholesky(spd([80, 80])), T.randn([7, 80, 7], f64)],
      { lower: true, transpose: false, unitDiagonal: false },
    ],
  ],
  [
    'triangularSolve f32 [9,80,80], k=6',
    () => [
      T.primitives.triangularSolve,
      [
        T.cholesky(spd([9, 80, 80])).cast('float32'),
        T.randn([9, 80, 6], { ...f64, dtype: 'float32' }),
      ],
      { lower: true, transpose: true, unitDiagonal: false },
    ],
  ],
  [
    'matmul gemm [7,30,40]@[7,40,20]',
    () => [
      T.primitives.matmul,
      [T.randn([7, 30, 40], f64), T.randn([7, 40, 20], f64)],
      { transA: false, transB: false },
    ],
  ],
  [
    'matmul gemm transA transB',
    () => [
      T.primitives.matmul,
      [T.randn([7, 40, 30], f64), T.randn([7, 20, 40], f64)],
      { transA: true, transB: true },
    ],
  ],
  [
    'matmul gemm f32 broadcast [30,40]@[3,3,40,20]',
    () => [
      T.primitives.matmul,
      [
        T.randn([30, 40], { ...f64, dtype: 'float32' }),
        T.randn([3, 3, 40, 20], { ...f64, dtype: 'float32' }),
      ],
      { transA: false, transB: false },
    ],
  ],
  [
    'matmul gemv [64,100,100]@[64,100,1]',
    () => [
      T.primitives.matmul,
      [T.randn([64, 100, 100], f64), T.randn([64, 100, 1], f64)],
      { transA: false, transB: false },
    ],
  ],
  [
    'conv2d [8,3,24,24] * [8,3,3,3], stride 2, padding 1',
    () => [
      T.primitives.conv2d,
      [T.randn([8, 3, 24, 24], f64), T.randn([8, 3, 3, 3], f64)],
      { stride: [2, 2], padding: [1, 1], dilation: [1, 1], groups: 1 },
    ],
  ],
  [
    'conv2d f32 groups 2 [5,4,24,24] * [6,2,3,3]',
    () => [
      T.primitives.conv2d,
      [
        T.randn([5, 4, 24, 24], { ...f64, dtype: 'float32' }),
        T.randn([6, 2, 3, 3], { ...f64, dtype: 'float32' }),
      ],
      { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 2 },
    ],
  ],
  [
    'conv2dGradInput [8,8,12,12] (x [8,3,24,24], stride 2, padding 1)',
    () => [
      T.primitives.conv2dGradInput,
      [T.randn([8, 8, 12, 12], f64), T.randn([8, 3, 3, 3], f64)],
      {
        stride: [2, 2],
        padding: [1, 1],
        dilation: [1, 1],
        groups: 1,
        inputSize: [24, 24],
      },
    ],
  ],
  [
    'matmul 2-D by row blocks [130,70]@[70,90] (m not a multiple of the block)',
    () => [
      T.primitives.matmul,
      [T.randn([130, 70], f64), T.randn([70, 90], f64)],
      { transA: false, transB: false },
    ],
  ],
  [
    'matmul 2-D by row blocks, transA and transB, f32',
    () => [
      T.primitives.matmul,
      [
        T.randn([70, 130], { ...f64, dtype: 'float32' }),
        T.randn([90, 70], { ...f64, dtype: 'float32' }),
      ],
      { transA: true, transB: true },
    ],
  ],
  [
    'matmul 2-D Gram-shaped aᵀa [200,96] (row blocks, not the Gram path)',
    () => {
      const a = T.randn([200, 96], f64);
      return [T.primitives.matmul, [a, a], { transA: true, transB: false }];
    },
  ],
  [
    'matmul gemv transA, transB',
    () => [
      T.primitives.matmul,
      [T.randn([64, 100, 100], f64), T.randn([64, 1, 100], f64)],
      { transA: true, transB: true },
    ],
  ],
];

// Each case with the plain JS kernels, then (where WebAssembly runs the
// op) with the WebAssembly kernels on four times the batch: they are
// 3-5x faster, so a call must be that much bigger to be split (see
// wasmCostScale); mat-vecs are not split at all then.
for (const wasm of [false, true]) {
  for (const [name, make] of cases) {
    if (wasm && !/^(cholesky|triangularSolve|matmul gemm)/.test(name)) continue;
    test(`bit-identical with 2 threads (${wasm ? 'WebAssembly' : 'JS'} kernels): ${name}`, () => {
      withKernels(wasm, () => {
        const [op, made, attrs] = make();
        const rank = Math.max(...made.map((t) => t.rank));
        const grow = (t: Tensor) =>
          t
            .reshape([1, ...Array(rank - t.rank).fill(1), ...t.shape])
            .expand([4, ...Array(rank - t.rank).fill(1), ...t.shape]);
        const inputs = wasm ? made.map(grow) : made;
        const want = reference(op, inputs, attrs as never);
        let got: TypedArray | undefined;
        const splits = splitCount(
          () => (got = T.apply1(op, inputs, attrs as never).dataSync()),
        );
        assert.is(splits, 1, 'the call was split over threads');
        assertSameBits(got!, want, name);
      });
    });
  }
}

test('bit-identical with 2 threads: matmul aᵀa (syrk path) and addDiagonal', () => {
  const a = T.randn([7, 60, 50], f64);
  const want = reference(T.primitives.matmul, [a, a], {
    transA: true,
    transB: false,
  });
  let got: TypedArray | undefined;
  assert.is(
    splitCount(() => (got = T.matmul(a, a, { transA: true }).dataSync())),
    1,
  );
  assertSameBits(got!, want, 'syrk');
  // The Gram path is symmetric to the bit; a general product need not be.
  for (let i = 0; i < 50; i++)
    for (let j = 0; j < i; j++)
      assert.ok(Object.is(got![i * 50 + j], got![j * 50 + i]));
  const m = T.randn([90, 60, 60], f64);
  const d = T.randn([60], f64);
  const wantD = reference(T.primitives.addDiagonal, [m, d], {});
  assert.is(
    splitCount(() => (got = T.addDiagonal(m, d).dataSync())),
    1,
  );
  assertSameBits(got!, wantD, 'addDiagonal');
});

/**
 * [count, 50, 50] SPD batch with items `bad` replaced by −I (fail at pivot 0).
 */
function spdWithBad(bad: number[], count = 9): Tensor {
  const data = spd([count, 50, 50]).dataSync();
  for (const b of bad) {
    data.fill(0, b * 2500, (b + 1) * 2500);
    for (let i = 0; i < 50; i++) data[b * 2500 + i * 51] = -1;
  }
  return T.fromTypedArray(data, [count, 50, 50]);
}

/** Runs fn with the WebAssembly kernels on or off. */
function withKernels<R>(wasm: boolean, fn: () => R): R {
  const was = T.setWasmKernels(wasm);
  try {
    return fn();
  } finally {
    T.setWasmKernels(was);
  }
}

function referenceError<A>(op: KernelOp<A>, inputs: Tensor[], attrs: A): Error {
  return errorOf(() => reference(op, inputs, attrs));
}

for (const wasm of [false, true]) {
  const kernels = wasm ? 'WebAssembly' : 'JS';
  // The WebAssembly kernels split only calls four times bigger (see
  // wasmCostScale).
  const count = wasm ? 36 : 9;
  test(`cholesky failure in a late batch item (worker range) names that global item (${kernels} kernels)`, () =>
    withKernels(wasm, () => {
      const a = spdWithBad([count - 1], count);
      let e = new Error('not run');
      assert.is(
        splitCount(() => (e = errorOf(() => T.cholesky(a)))),
        1,
        'split over threads',
      );
      assert.instance(e, T.ValueError);
      assert.is((e as T.ValueError).code, 'NOT_POSITIVE_DEFINITE');
      assert.match(e.message, `batch item ${count - 1} at pivot 0`);
      assert.is(
        e.message,
        referenceError(T.primitives.cholesky, [a], {}).message,
      );
    }));

  test(`triangularSolve: Inf in a late item of B throws NON_FINITE naming its global index (${kernels} kernels)`, () =>
    withKernels(wasm, () => {
      const l = T.cholesky(spd([count, 80, 80]));
      const bData = T.randn([count, 80, 6], f64).dataSync();
      bData[(count - 2) * 480 + 10 * 6 + 2] = Infinity;
      const b = T.fromTypedArray(bData, [count, 80, 6]);
      let e: Error | undefined;
      assert.is(
        splitCount(() => (e = errorOf(() => T.triangularSolve(l, b)))),
        1,
        'split over threads',
      );
      assert.is((e as T.ValueError).code, 'NON_FINITE');
      assert.match(
        e!.message,
        `B must be finite; got Infinity at [${count - 2}, 10, 2]`,
      );
      const attrs = { lower: true, transpose: false, unitDiagonal: false };
      assert.is(
        e!.message,
        referenceError(T.primitives.triangularSolve, [l, b], attrs).message,
      );
    }));
}

test('cholesky failures in both ranges: the first item wins, as on one thread', () => {
  const e = errorOf(() => T.cholesky(spdWithBad([2, 7])));
  assert.is((e as T.ValueError).code, 'NOT_POSITIVE_DEFINITE');
  assert.match(e.message, 'batch item 2 ');
});

test('cholesky: NaN in a late item beats an earlier PD failure (NON_FINITE first, as on one thread)', () => {
  const data = spdWithBad([1]).dataSync();
  data[8 * 2500 + 3 * 50 + 4] = NaN;
  const a = T.fromTypedArray(data, [9, 50, 50]);
  const e = errorOf(() => T.cholesky(a));
  assert.instance(e, T.ValueError);
  assert.is((e as T.ValueError).code, 'NON_FINITE');
  assert.match(e.message, 'at [8, 3, 4]');
  assert.is(e.message, referenceError(T.primitives.cholesky, [a], {}).message);
});

for (const wasm of [false, true]) {
  test(`regularizedCholesky: split over threads, both outputs bit-identical, failures where they were (${wasm ? 'WebAssembly' : 'JS'} kernels)`, () => {
    withKernels(wasm, () => {
      // 64 items of 40×40; items 5 and 50 (both ranges) are indefinite by
      // 0.3 (level 2 of [0, 0.1, 1]), item 60 has a NaN (level −1).
      const a = spd([64, 40, 40]).addDiagonal(
        T.tensor(
          Array.from({ length: 64 }, (_, b) =>
            Array.from({ length: 40 }, (_, i) =>
              (b === 5 || b === 50) && i === 7 ? -5 : 0,
            ),
          ),
          { dtype: 'float64' },
        ),
      );
      const data = a.dataSync().slice();
      data[60 * 1600 + 3 * 41] = NaN;
      const bad = T.tensor(data, { dtype: 'float64' }).reshape([64, 40, 40]);
      const unit = T.full([64, 1], 5, { dtype: 'float64' });
      const op = T.primitives.regularizedCholesky;
      const attrs = { boosts: [0, 0.1, 1] };
      let got: TypedArray[] = [];
      const split = splitCount(
        () => (got = T.apply(op, [bad, unit], attrs).map((t) => t.dataSync())),
      );
      assert.is(split, 1, 'the call was split over threads');
      // The one-thread kernel on plain copies.
      const ins = [bad, unit].map((t) => ({
        data: t.dataSync().slice(),
        shape: t.shape,
        dtype: t.dtype,
      }));
      const want = op.shape(ins, attrs).map((m) => ({
        ...m,
        data: T.allocArray(m.dtype, T.sizeOf(m.shape)),
      }));
      cpuKernelOf(op)(ins, want, attrs);
      assertSameBits(got[0], want[0].data, 'L');
      assertSameBits(got[1], want[1].data, 'level');
      const lv = Array.from(got[1]);
      assert.equal(
        [lv[0], lv[5], lv[50], lv[60]],
        [0, 2, 2, -1],
        'levels of items 0, 5, 50, 60',
      );
    });
  });
}

test('cpuWouldSplit says what the backend will do with a call', () => {
  const big = { shape: [36, 50, 50], dtype: 'float64' as const };
  const small = { shape: [2, 10, 10], dtype: 'float64' as const };
  assert.ok(T.cpuWouldSplit(T.primitives.cholesky, [big], [big], {}));
  assert.not.ok(T.cpuWouldSplit(T.primitives.cholesky, [small], [small], {}));
  const a = spd([36, 50, 50]);
  assert.is(
    splitCount(() => T.cholesky(a)),
    1,
    'and it does split',
  );
  assert.not.ok(
    T.cpuWouldSplit(T.primitives.add, [big, big], [big], {}),
    'elementwise ops never split',
  );
});

test('small calls stay on one thread', () => {
  const a = spd([2, 10, 10]);
  assert.is(
    splitCount(() => T.cholesky(a)),
    0,
  );
  assert.is(
    splitCount(() =>
      T.matmul(T.randn([4, 5, 6], f64), T.randn([4, 6, 3], f64)),
    ),
    0,
  );
  // One small unbatched product, and one with too few rows to split by rows.
  assert.is(
    splitCount(() => T.matmul(T.randn([20, 30], f64), T.randn([30, 20], f64))),
    0,
  );
  assert.is(
    splitCount(() =>
      T.matmul(T.randn([32, 500], f64), T.randn([500, 500], f64)),
    ),
    0,
  );
});

test('stopCpuThreads: back to one thread, ops still work and agree', () => {
  const a = spd([9, 50, 50]);
  const on = T.cholesky(a).dataSync();
  stopCpuThreads();
  assert.is(cpuThreadStats().threads, 1);
  let off: TypedArray | undefined;
  assert.is(
    splitCount(() => (off = T.cholesky(a).dataSync())),
    0,
  );
  assertSameBits(off!, on, 'cholesky after stop');
  assert.not.instance(
    (T.getBackend().allocate('float64', 1 << 16) as Float64Array).buffer,
    SharedArrayBuffer,
  );
  const big = { shape: [36, 50, 50], dtype: 'float64' as const };
  assert.not.ok(
    T.cpuWouldSplit(T.primitives.cholesky, [big], [big], {}),
    'no threads, no split',
  );
});

test('threads can be turned on again after a stop', async () => {
  assert.is(await useCpuThreads(2), 2);
  const a = spd([36, 50, 50]);
  assert.is(
    splitCount(() => T.cholesky(a)),
    1,
  );
  assert.instance(
    (T.getBackend().allocate('float64', 1 << 16) as Float64Array).buffer,
    SharedArrayBuffer,
  );
  assert.is(await useCpuThreads(1), 1);
  assert.is(cpuThreadStats().threads, 1);
});

test.run();
