// The Backend contract: declared dtypes (DTYPE_UNSUPPORTED naming the fix),
// optional synchronous reads, t.to(backend), constants on their operand's
// backend, and NO_KERNEL for an op a backend cannot run.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '@optnet/tensor';
import { assertThrowsCode, assertThrowsCodeSync } from '@optnet/tensor/testing';

/** The CPU backend restricted to what WGSL stores: no float64. */
class Float32Only extends T.CpuBackend {
  override readonly name: string = 'f32-only';
  override readonly dtypes: readonly T.DType[] = ['float32', 'int32', 'bool'];
}

/** Run `fn` with `be` as the current backend. */
function on<R>(be: T.Backend, fn: () => R): R {
  const prev = T.getBackend();
  T.setBackend(be);
  try {
    return fn();
  } finally {
    T.setBackend(prev);
  }
}

const UNSUPPORTED =
  /the f32-only backend holds float32, int32, bool; got float64\. Use float32 \(x\.cast\('float32'\).*keep this tensor on the CPU.*await x\.to\(new CpuBackend\(\)\)/;

test('the CPU backend declares every dtype and synchronous reads', () => {
  const cpu = new T.CpuBackend();
  assert.equal([...cpu.dtypes].sort(), ['bool', 'float32', 'float64', 'int32']);
  assert.ok(cpu.canReadSync && typeof cpu.readSync === 'function');
});

test('a dtype the backend does not hold is DTYPE_UNSUPPORTED naming the fix, from creation, an op, or a move', async () => {
  const be = new Float32Only();
  const f64 = { dtype: 'float64' } as const;
  on(be, () => {
    assertThrowsCodeSync(
      () => T.zeros([2], f64),
      'DTYPE_UNSUPPORTED',
      /^zeros: /,
      UNSUPPORTED,
    );
    assertThrowsCodeSync(
      () => T.tensor([1, 2], f64),
      'DTYPE_UNSUPPORTED',
      /^tensor: /,
    );
    assertThrowsCodeSync(
      () => T.randn([2], { ...f64, rng: T.makeRng(1) }),
      'DTYPE_UNSUPPORTED',
      /^randn: /,
    );
    const x = T.ones([2]);
    assertThrowsCodeSync(
      () => x.cast('float64'),
      'DTYPE_UNSUPPORTED',
      /^cast: /,
      UNSUPPORTED,
    );
    // What it holds works, and the explicit option beats the current one.
    assert.equal(x.cast('int32').arraySync(), [1, 1]);
    assert.is(
      T.zeros([1], { ...f64, backend: new T.CpuBackend() }).dtype,
      'float64',
    );
  });
  const d = T.tensor([1, 2], f64);
  await assertThrowsCode(
    () => d.to(be),
    'DTYPE_UNSUPPORTED',
    /^to: /,
    UNSUPPORTED,
  );
  const moved = await d.cast('float32').to(be);
  assert.is(moved.backend, be);
  assert.equal(moved.arraySync(), [1, 2]);
});

test('t.to(backend): the same tensor when it is there, else a new leaf there', async () => {
  const a = T.tensor([1, 2, 3], { requiresGrad: true });
  const other = new T.CpuBackend();
  assert.is(await a.to(a.backend), a);
  const b = await a.to(other);
  assert.is(b.backend, other);
  assert.is(b.requiresGrad, false);
  assert.is(b.node, null);
  assert.equal(await b.toArray(), [1, 2, 3]);
  assert.equal(await (await b.to(a.backend)).toArray(), [1, 2, 3]);
});

test('numbers and constants made by ops follow their operand, not the current backend', async () => {
  const x = T.tensor([1, 2, 4]);
  const idx = T.tensor([2, 0], { dtype: 'int32' });
  const m = T.tensor([
    [2, 0],
    [0, 4],
  ]);
  const other = new T.CpuBackend();
  on(other, () => {
    for (const y of [
      x.add(1),
      x.mul(2),
      T.sub(1, x),
      x.pow(2),
      x.maximum(1.5),
      x.clamp(1.5, 3),
      x.relu(),
      T.where(x.greater(1.5), x, 0),
    ])
      assert.is(y.backend, x.backend);
    assert.is(T.oneHot(idx, 3).backend, idx.backend);
    assert.is(m.inverse().backend, m.backend);
  });
  assert.equal(await x.add(1).toArray(), [2, 3, 5]);
});

test('a backend without readSync: dataSync is SYNC_READ_UNSUPPORTED, reads are async', async () => {
  class NoSync extends T.CpuBackend {
    override readonly name: string = 'no-sync';
    override readonly canReadSync: boolean = false;
  }
  const be = new NoSync();
  const x = on(be, () => T.tensor([1, 2]));
  assertThrowsCodeSync(
    () => x.dataSync(),
    'SYNC_READ_UNSUPPORTED',
    /^dataSync: the no-sync backend reads asynchronously/,
  );
  assert.equal(await x.toArray(), [1, 2]);
});

test('an op a backend has no kernel for and that has no decompose is NO_KERNEL', () => {
  const twice = T.defineOp<Record<string, never>>({
    name: 'testTwice',
    shape: ([x]) => [{ shape: x.shape, dtype: x.dtype }],
    cpu: ([x], [y]) => {
      for (let i = 0; i < x.data.length; i++) y.data[i] = 2 * x.data[i];
    },
  });
  class CoreOnly extends T.CpuBackend {
    hasKernel(op: T.KernelOp<unknown>): boolean {
      return op.name !== 'testTwice';
    }
  }
  const x = on(new CoreOnly(), () => T.tensor([1, 2]));
  assertThrowsCodeSync(
    () => T.apply1(twice, [x], {}),
    'NO_KERNEL',
    /^testTwice: .*got neither on the cpu backend/,
  );
  assert.equal(T.apply1(twice, [T.tensor([1, 2])], {}).arraySync(), [2, 4]);
});

test.run();
