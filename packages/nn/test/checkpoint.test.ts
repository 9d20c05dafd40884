import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  mkdtemp,
  mkdir,
  open,
  readFile,
  readdir,
  rm,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Tensor,
  makeRng,
  randn,
  randint,
  tensor,
  type Rng,
} from '@optnet/tensor';
import { Module, decodeSafetensors, encodeSafetensors } from '@optnet/nn';
import { load, save } from '@optnet/nn/node';
import type { OptimizerState, StatefulOptimizer } from '../src/optim/state.js';
import { assertThrowsCode as rejectsCode } from '@optnet/tensor/testing';

class Inner extends Module {
  weight: Tensor;
  bias: Tensor | null;
  runningMean: Tensor;
  constructor(rng: Rng, width: number) {
    super();
    this.weight = randn([width, 2], { rng, requiresGrad: true });
    this.bias = null;
    this.runningMean = randn([width], { rng });
    this.registerBuffer('runningMean', 'running_mean');
  }
  forward(): Tensor {
    return this.weight;
  }
}

/**
 * State names: scale, steps (int32 buffer), inner.weight, inner.running_mean,
 * head.weight.
 */
class Tiny extends Module {
  scale: Tensor;
  steps: Tensor;
  inner: Inner;
  head: Inner;
  constructor(seed: number, width = 3) {
    super();
    const rng = makeRng(seed);
    this.scale = randn([], { rng, dtype: 'float64', requiresGrad: true });
    this.steps = randint(0, 1000, [2], { rng });
    this.registerBuffer('steps');
    this.inner = new Inner(rng, width);
    this.head = new Inner(rng, 2);
  }
  forward(): Tensor {
    return this.scale;
  }
}

/**
 * A stand-in for SGD with momentum: one buffer per parameter, lr and step in
 * meta.
 */
class FakeOptimizer implements StatefulOptimizer {
  buffers: Tensor[];
  lr = 0.1;
  step = 0;
  constructor(params: Tensor[], seed: number) {
    const rng = makeRng(seed);
    this.buffers = params.map((p) =>
      randn(p.shape, { rng, dtype: p.dtype as 'float32' | 'float64' }),
    );
  }
  stateDict(): OptimizerState {
    const tensors = new Map(
      this.buffers.map((b, i) => [`${i}.momentum_buffer`, b]),
    );
    return {
      tensors,
      meta: { type: 'Fake', lr: String(this.lr), step: String(this.step) },
    };
  }
  loadStateDict(state: OptimizerState): void {
    if (state.meta.type !== 'Fake') throw new Error('not a Fake state');
    this.buffers.forEach((b, i) =>
      b.assign(state.tensors.get(`${i}.momentum_buffer`)!),
    );
    this.lr = Number(state.meta.lr);
    this.step = Number(state.meta.step);
  }
}

function bytesOf(t: Tensor): number[] {
  const d = t.dataSync();
  return [...new Uint8Array(d.buffer, d.byteOffset, d.byteLength)];
}

function snapshot(m: Module): Map<string, number[]> {
  return new Map(
    Object.entries(m.stateDict()).map(([k, t]) => [k, bytesOf(t)]),
  );
}

let dir = '';
test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'optnet-nn-checkpoint-'));
});
test.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('save → load into a fresh module: bit-identical weights and buffers, same tensor objects', async () => {
  const a = new Tiny(1);
  const path = join(dir, 'tiny.safetensors');
  await save(a, path, { metadata: { epoch: '7' } });
  const b = new Tiny(2);
  const objects = b.stateDict();
  assert.not.equal(snapshot(b), snapshot(a));
  const { metadata } = await load(b, path);
  assert.equal(snapshot(b), snapshot(a));
  assert.equal(metadata, { format: 'pt', epoch: '7' });
  for (const [k, t] of Object.entries(b.stateDict()))
    assert.ok(objects[k] === t, `${k} kept its object`);
  assert.ok(b.scale.requiresGrad && b.inner.weight.requiresGrad);
});

test('the file holds the dotted stateDict names with the spec dtypes', async () => {
  const a = new Tiny(3);
  const path = join(dir, 'names.safetensors');
  await save(a, path);
  const bytes = await readFile(path);
  const n = Number(
    new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true),
  );
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  assert.equal(Object.keys(header).sort(), [
    '__metadata__',
    'head.running_mean',
    'head.weight',
    'inner.running_mean',
    'inner.weight',
    'scale',
    'steps',
  ]);
  assert.equal(header.scale, {
    dtype: 'F64',
    shape: [],
    data_offsets: header.scale.data_offsets,
  });
  assert.is(header.steps.dtype, 'I32');
  assert.equal(header['inner.weight'].shape, [3, 2]);
  assert.equal(header.__metadata__, { format: 'pt' });
});

test('optimizer state round trip, stored under optimizer. keys', async () => {
  const a = new Tiny(4);
  const optA = new FakeOptimizer(a.parameters(), 40);
  optA.lr = 0.025;
  optA.step = 12;
  const path = join(dir, 'with-opt.safetensors');
  await save(a, path, { optimizer: optA });
  const { tensors, metadata } = decodeSafetensors(await readFile(path));
  assert.ok(
    tensors.has('optimizer.0.momentum_buffer') &&
      tensors.has('optimizer.2.momentum_buffer'),
  );
  assert.is(metadata['optimizer.lr'], '0.025');
  assert.is(metadata['optimizer.type'], 'Fake');
  const b = new Tiny(5);
  const optB = new FakeOptimizer(b.parameters(), 50);
  const { metadata: userMeta } = await load(b, path, { optimizer: optB });
  assert.equal(userMeta, { format: 'pt' });
  assert.equal(snapshot(b), snapshot(a));
  assert.is(optB.lr, 0.025);
  assert.is(optB.step, 12);
  assert.equal(optB.buffers.map(bytesOf), optA.buffers.map(bytesOf));
  // Without { optimizer }, the optimizer keys are not model names: strict load
  // still works.
  const c = new Tiny(6);
  await load(c, path);
  assert.equal(snapshot(c), snapshot(a));
});

test('an optimizer that refuses the state leaves the module untouched', async () => {
  const a = new Tiny(23);
  const optA = new FakeOptimizer(a.parameters(), 3);
  optA.stateDict = () => ({ tensors: new Map(), meta: { type: 'Other' } });
  const path = join(dir, 'other-opt.safetensors');
  await save(a, path, { optimizer: optA });
  const b = new Tiny(24);
  const before = snapshot(b);
  try {
    await load(b, path, { optimizer: new FakeOptimizer(b.parameters(), 4) });
    assert.unreachable('expected the optimizer to throw');
  } catch (e) {
    assert.match((e as Error).message, /not a Fake state/);
  }
  assert.equal(snapshot(b), before);
});

test('a mismatched architecture fails with STATE_MISMATCH and leaves the module untouched', async () => {
  const path = join(dir, 'arch.safetensors');
  await save(new Tiny(7, 3), path);
  const wide = new Tiny(8, 4);
  const before = snapshot(wide);
  await rejectsCode(
    () => load(wide, path),
    'STATE_MISMATCH',
    /'inner\.weight'/,
    /arch\.safetensors/,
    /\[4, 2\]/,
  );
  assert.equal(snapshot(wide), before);

  const other = new Inner(makeRng(9), 3);
  const before2 = snapshot(other);
  await rejectsCode(
    () => load(other, path),
    'STATE_MISMATCH',
    /missing \[weight, running_mean\]/,
    /unexpected/,
  );
  assert.equal(snapshot(other), before2);
});

test('strict: false loads the common names; an optimizer asked for but absent fails before any change', async () => {
  const path = join(dir, 'inner.safetensors');
  const src = new Inner(makeRng(10), 3);
  await save(src, path);
  const noOpt = join(dir, 'no-opt.safetensors');
  await save(new Tiny(22), noOpt);
  const dst = new Tiny(11);
  const before = snapshot(dst);
  await rejectsCode(
    () =>
      load(dst, noOpt, { optimizer: new FakeOptimizer(dst.parameters(), 1) }),
    'STATE_MISMATCH',
    /no optimizer state/,
  );
  assert.equal(snapshot(dst), before);
  const wrapper = new (class extends Module {
    weight = randn([3, 2], { rng: makeRng(12) });
    forward(): Tensor {
      return this.weight;
    }
  })();
  await load(wrapper, path, { strict: false });
  assert.equal(bytesOf(wrapper.weight), bytesOf(src.weight));
});

test('a dtype mismatch names the key and both dtypes', async () => {
  const path = join(dir, 'dtype.safetensors');
  const m64 = new (class extends Module {
    w = tensor([1, 2], { dtype: 'float64' });
    forward(): Tensor {
      return this.w;
    }
  })();
  await save(m64, path);
  const m32 = new (class extends Module {
    w = tensor([3, 4]);
    forward(): Tensor {
      return this.w;
    }
  })();
  await rejectsCode(
    () => load(m32, path),
    'STATE_MISMATCH',
    /'w'/,
    /float32\[2\]/,
    /float64\[2\]/,
  );
  assert.equal([...m32.w.dataSync()], [3, 4]);
});

test('truncated, corrupt and missing files fail with the file named, module untouched', async () => {
  const path = join(dir, 'trunc.safetensors');
  await save(new Tiny(13), path);
  const full = await readFile(path);
  await writeFile(path, full.subarray(0, full.length - 5));
  const m = new Tiny(14);
  const before = snapshot(m);
  await rejectsCode(
    () => load(m, path),
    'SAFETENSORS_PARSE',
    /trunc\.safetensors/,
    /truncated/,
  );
  await writeFile(path, 'not a checkpoint');
  await rejectsCode(
    () => load(m, path),
    'SAFETENSORS_PARSE',
    /trunc\.safetensors/,
  );
  await rejectsCode(
    () => load(m, join(dir, 'nope.safetensors')),
    'FILE_ERROR',
    /ENOENT/,
    /nope\.safetensors/,
  );
  assert.equal(snapshot(m), before);
});

async function tempFiles(): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith('.tmp'));
}

test('atomic save: fsync failing mid-write keeps the old file and removes the temp file', async () => {
  const path = join(dir, 'atomic.safetensors');
  await save(new Tiny(15), path);
  const old = await readFile(path);
  // Patch FileHandle.prototype.sync (shared by every handle) to fail once.
  const probe = await open(path, 'r');
  const proto = Object.getPrototypeOf(probe) as { sync: () => Promise<void> };
  await probe.close();
  const sync = proto.sync;
  let wrote = false;
  proto.sync = async function () {
    wrote = (await tempFiles()).length === 1; // the temp file exists at this point
    throw Object.assign(new Error('EIO: simulated disk failure'), {
      code: 'EIO',
    });
  };
  try {
    await rejectsCode(
      () => save(new Tiny(16), path),
      'FILE_ERROR',
      /EIO/,
      /atomic\.safetensors/,
      /unchanged/,
    );
  } finally {
    proto.sync = sync;
  }
  assert.ok(wrote, 'the failure happened after the temp file was written');
  assert.equal([...(await readFile(path))], [...old]);
  assert.equal(await tempFiles(), []);
});

test('atomic save: a failing rename (target is a directory) and a failing tensor read leave no temp file', async () => {
  const target = join(dir, 'is-a-dir');
  await mkdir(target);
  await rejectsCode(() => save(new Tiny(17), target), 'FILE_ERROR', /is-a-dir/);
  assert.equal(await tempFiles(), []);
  assert.equal(await readdir(target), []);

  const path = join(dir, 'disposed.safetensors');
  await save(new Tiny(18), path);
  const old = await readFile(path);
  const m = new Tiny(19);
  m.head.weight.dispose();
  await rejectsCode(() => save(m, path), 'DISPOSED');
  assert.equal([...(await readFile(path))], [...old]);
  assert.equal(await tempFiles(), []);
});

test('extra state (a Dropout generator) is saved under <module>._extra_state and checked on load', async () => {
  const { Sequential, Dropout, Linear } = await import('@optnet/nn');
  const net = (seed: number) =>
    new Sequential(
      new Linear(3, 3, { rng: makeRng(seed) }),
      new Dropout(0.5, { rng: makeRng(seed) }),
    );
  const a = net(1);
  a.forward(randn([4, 3], { rng: makeRng(9) })); // move the generator along
  const path = join(dir, 'extra.safetensors');
  await save(a, path);
  const { metadata } = decodeSafetensors(new Uint8Array(await readFile(path)));
  assert.ok(
    typeof metadata['1._extra_state'] === 'string',
    'stored under the module name',
  );
  const b = net(2);
  const { metadata: back } = await load(b, path);
  assert.equal(
    back,
    { format: 'pt' },
    'extra state is not returned as user metadata',
  );
  const x = randn([4, 3], { rng: makeRng(10) });
  assert.equal(
    Array.from(b.forward(x).dataSync()),
    Array.from(a.forward(x).dataSync()),
    'the same masks next',
  );
  // Into a module without that layer (strict) or with a corrupt state: nothing
  // changes.
  const plain = new Sequential(new Linear(3, 3, { rng: makeRng(3) }));
  const before = snapshot(plain);
  await rejectsCode(
    () => load(plain, path, { strict: true }),
    'STATE_MISMATCH',
    /extra state for module '1'/,
  );
  assert.equal(snapshot(plain), before);
  const corrupt = join(dir, 'extra-corrupt.safetensors');
  await writeFile(
    corrupt,
    encodeSafetensors(a.stateDict(), { '1._extra_state': 'not a generator' }),
  );
  const c = net(4);
  const cBefore = snapshot(c);
  await rejectsCode(
    () => load(c, corrupt),
    'STATE_MISMATCH',
    /extra state of module '1' in .* does not fit/,
  );
  assert.equal(snapshot(c), cBefore);
});

test('save refuses model names that clash with the optimizer prefix', async () => {
  const m = new (class extends Module {
    optimizer = new Inner(makeRng(20), 2);
    forward(): Tensor {
      return this.optimizer.weight;
    }
  })();
  const opt = new FakeOptimizer(m.parameters(), 2);
  await rejectsCode(
    () => save(m, join(dir, 'clash.safetensors'), { optimizer: opt }),
    'BAD_OPTION',
    /optimizer\.weight/,
  );
  await save(m, join(dir, 'clash.safetensors'));
  const n = new (class extends Module {
    optimizer = new Inner(makeRng(21), 2);
    forward(): Tensor {
      return this.optimizer.weight;
    }
  })();
  await load(n, join(dir, 'clash.safetensors'));
  assert.equal(snapshot(n), snapshot(m));
});

test.run();
