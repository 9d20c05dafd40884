// GpuLikeBackend: its own rules (no synchronous reads, float32/int32/bool,
// bool kept as u32, core kernels only, counted buffers), then the op
// suite on it: GPU semantics checked on every machine.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '@optnet/tensor';
import {
  GpuLikeBackend,
  assertThrowsCode,
  assertThrowsCodeSync,
  opSuite,
} from '@optnet/tensor/testing';

test('GpuLikeBackend: asynchronous reads only; float32, int32 and bool', async () => {
  const gpu = new GpuLikeBackend();
  const x = await T.tensor([1.1, 2]).to(gpu);
  assert.is(gpu.canReadSync, false);
  assert.is((gpu as T.Backend).readSync, undefined);
  assertThrowsCodeSync(() => x.dataSync(), 'SYNC_READ_UNSUPPORTED');
  // Results are float32: 1.1 is stored as Math.fround(1.1).
  const reads = gpu.reads;
  assert.equal(Array.from(await x.mul(1).data()), [Math.fround(1.1), 2]);
  assert.is(gpu.reads, reads + 1, 'one readback counted');
  // no host storage to hand back: { copy: false } reads a copy all the same
  const a = await x.data({ copy: false });
  assert.equal(Array.from(a), [Math.fround(1.1), 2]);
  assert.is.not(await x.data({ copy: false }), a);
  assert.is(gpu.reads, reads + 3);
  await assertThrowsCode(
    () => T.tensor([1], { dtype: 'float64' }).to(gpu),
    'DTYPE_UNSUPPORTED',
  );
});

test('GpuLikeBackend: bool is stored as u32 and read back as the host Uint8Array', async () => {
  const gpu = new GpuLikeBackend();
  const b = await T.tensor([true, false, true]).to(gpu);
  const stored = (b.buffer as { storage: unknown }).storage;
  assert.instance(stored, Uint32Array);
  const read = await b.data();
  assert.instance(read, Uint8Array);
  assert.equal(await b.toArray(), [true, false, true]);
  const x = await T.tensor([1, 5, 3]).to(gpu);
  const m = x.greater(2); // a kernel writing bool
  assert.equal(await m.toArray(), [false, true, true]);
  assert.equal(await T.where(m, x, 0).toArray(), [0, 5, 3]);
  assert.equal(await m.cast('int32').toArray(), [0, 1, 1]);
});

test('GpuLikeBackend: only the core kernels; other ops run their decompose', async () => {
  let runs = 0;
  const fused = T.defineOp<Record<string, never>>({
    name: 'testFusedSquarePlusOne',
    shape: ([x]) => [{ shape: x.shape, dtype: x.dtype }],
    cpu: ([x], [y]) => {
      runs++;
      for (let i = 0; i < x.data.length; i++) y.data[i] = x.data[i] ** 2 + 1;
    },
    decompose: ([x]) => [x.square().add(1)],
  });
  const gpu = new GpuLikeBackend();
  assert.ok(gpu.hasKernel(T.primitives.matmul as T.KernelOp<unknown>));
  assert.not.ok(gpu.hasKernel(fused as T.KernelOp<unknown>));
  const x = await T.tensor([1, 2]).to(gpu);
  assert.equal(await T.apply1(fused, [x], {}).toArray(), [2, 5]);
  assert.is(runs, 0, 'the fused kernel did not run');
});

test('GpuLikeBackend: buffers are counted, freed by dispose and scopes, unusable after', async () => {
  const gpu = new GpuLikeBackend();
  const x = await T.tensor([1, 2]).to(gpu);
  const before = gpu.liveBuffers;
  const prev = T.getBackend();
  T.setBackend(gpu);
  try {
    const y = T.scope(() => x.mul(2).add(1).exp());
    assert.is(gpu.liveBuffers, before + 1, 'intermediates freed');
    y.dispose();
    assert.is(gpu.liveBuffers, before);
    x.dispose();
    assert.is(gpu.liveBuffers, before - 1);
  } finally {
    T.setBackend(prev);
  }
});

opSuite(new GpuLikeBackend(), test);

test.run();
