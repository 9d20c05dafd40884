/**
 * nn on GpuLikeBackend (a GPU's semantics: asynchronous reads, float32,
 * core kernels only): every layer, loss and optimizer gives the CPU
 * backend's float32 results, forward and backward; and the training tests
 * (train.test.ts: models that learn, bit-for-bit resume from a checkpoint)
 * pass unchanged with it as the default backend.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as T from '@optnet/tensor';
import { GpuLikeBackend, assertClose } from '@optnet/tensor/testing';
import '@optnet/autograd';
import * as nn from '@optnet/nn';

const gpu = new GpuLikeBackend();
const cpu = new T.CpuBackend();

/** `make()` with `be` as the current backend. */
function on<R>(be: T.Backend, make: () => R): R {
  const prev = T.getBackend();
  T.setBackend(be);
  try {
    return make();
  } finally {
    T.setBackend(prev);
  }
}

/** Everything a run produced, read back: outputs, then the named tensors. */
async function readAll(ts: readonly T.Tensor[]): Promise<number[][]> {
  return Promise.all(ts.map(async (t) => Array.from(await t.data())));
}

/**
 * Run `run` on both backends (the same seeds, so the same inputs and
 * weights) and compare what it returns: float32 on both, so only the
 * kernels' rounding differs.
 */
async function sameOnBoth(
  what: string,
  run: () => T.Tensor[],
  tol = { rtol: 1e-4, atol: 1e-5 },
): Promise<void> {
  const want = await readAll(on(cpu, run));
  const got = on(gpu, run);
  for (const t of got) assert.is(t.backend, gpu, `${what}: stays on the GPU`);
  const values = await readAll(got);
  for (let i = 0; i < want.length; i++)
    await assertClose(values[i], want[i], tol).catch((e: Error) => {
      throw new Error(`${what}, result ${i}: ${e.message}`, { cause: e });
    });
}

/** A module's output and the gradients of ⟨output, c⟩ for x and its parameters. */
function forwardBackward(
  make: (rng: T.Rng) => nn.Module,
  shape: number[],
): () => T.Tensor[] {
  return () => {
    const rng = T.makeRng(3);
    const m = make(rng);
    const x = T.randn(shape, { rng }).requiresGrad_();
    const y = m.forward(x);
    const c = T.randn(y.shape, { rng });
    y.mul(c).sum().backward();
    const buffers = m.namedBuffers().map(([, b]) => b);
    return [y, x.grad!, ...m.parameters().map((p) => p.grad!), ...buffers];
  };
}

const layers: [string, (rng: T.Rng) => nn.Module, number[]][] = [
  ['Linear', (rng) => new nn.Linear(5, 3, { rng }), [4, 5]],
  [
    'Conv2d (stride, padding, groups)',
    (rng) => new nn.Conv2d(4, 6, 3, { stride: 2, padding: 1, groups: 2, rng }),
    [2, 4, 7, 6],
  ],
  ['MaxPool2d', () => new nn.MaxPool2d(2), [2, 3, 6, 6]],
  [
    'AvgPool2d',
    () => new nn.AvgPool2d(3, { stride: 2, padding: 1 }),
    [1, 2, 7, 7],
  ],
  ['Flatten', () => new nn.Flatten(), [2, 3, 4]],
  ['Dropout (train)', () => new nn.Dropout(0.4, { rng: T.makeRng(9) }), [4, 6]],
  ['BatchNorm1d (train: running stats)', () => new nn.BatchNorm1d(5), [6, 5]],
  ['BatchNorm2d (train)', () => new nn.BatchNorm2d(3), [2, 3, 4, 4]],
  ['ReLU', () => new nn.ReLU(), [3, 4]],
  ['Tanh', () => new nn.Tanh(), [3, 4]],
  ['Sigmoid', () => new nn.Sigmoid(), [3, 4]],
  ['Softplus', () => new nn.Softplus({ beta: 2 }), [3, 4]],
  ['Softmax', () => new nn.Softmax({ dim: 1 }), [3, 4]],
  ['LogSoftmax', () => new nn.LogSoftmax({ dim: -1 }), [3, 4]],
  [
    'Sequential MLP',
    (rng) =>
      new nn.Sequential(
        new nn.Linear(6, 8, { rng }),
        new nn.ReLU(),
        new nn.Linear(8, 2, { rng }),
      ),
    [5, 6],
  ],
];

for (const [name, make, shape] of layers) {
  test(`${name}: forward and backward as on the CPU`, () =>
    sameOnBoth(name, forwardBackward(make, shape)));
}

/** A loss of random scores and its gradient wrt them. */
function lossCase(
  loss: (scores: T.Tensor, rng: T.Rng) => T.Tensor,
  shape: number[],
): () => T.Tensor[] {
  return () => {
    const rng = T.makeRng(5);
    const s = T.randn(shape, { rng }).requiresGrad_();
    const l = loss(s, rng);
    l.sum().backward();
    return [l, s.grad!];
  };
}

const labels = (n: number, c: number, rng: T.Rng) =>
  T.randint(0, c, [n], { rng });

const losses: [string, () => T.Tensor[]][] = [
  [
    'mseLoss',
    lossCase((s, rng) => nn.mseLoss(s, T.randn(s.shape, { rng })), [4, 3]),
  ],
  [
    'crossEntropy (class weights, label smoothing)',
    lossCase(
      (s, rng) =>
        nn.crossEntropy(s, labels(6, 4, rng), {
          weight: T.tensor([1, 2, 0.5, 1]),
          labelSmoothing: 0.1,
        }),
      [6, 4],
    ),
  ],
  [
    'crossEntropy (ignoreIndex, reduction none)',
    lossCase(
      (s) =>
        nn.crossEntropy(s, T.tensor([0, -100, 2], { dtype: 'int32' }), {
          reduction: 'none',
        }),
      [3, 3],
    ),
  ],
  [
    'nllLoss',
    lossCase(
      (s, rng) => nn.nllLoss(s.logSoftmax(1), labels(5, 3, rng)),
      [5, 3],
    ),
  ],
  [
    'binaryCrossEntropyWithLogits (posWeight)',
    lossCase(
      (s, rng) =>
        nn.binaryCrossEntropyWithLogits(s, T.rand(s.shape, { rng }), {
          posWeight: T.tensor([1, 3]),
        }),
      [4, 2],
    ),
  ],
];

for (const [name, run] of losses) {
  test(`${name}: value and gradient as on the CPU`, () =>
    sameOnBoth(name, run));
}

/** Three optimizer steps on a Linear; its parameters after them. */
function steps(
  makeOpt: (params: T.Tensor[]) => { zeroGrad(): void; step(): void },
): () => T.Tensor[] {
  return () => {
    const rng = T.makeRng(8);
    const m = new nn.Linear(4, 2, { rng });
    const opt = makeOpt(m.parameters());
    const x = T.randn([5, 4], { rng });
    const y = T.randn([5, 2], { rng });
    for (let i = 0; i < 3; i++) {
      opt.zeroGrad();
      nn.mseLoss(m.forward(x), y).backward();
      nn.clipGradNorm(m.parameters(), 0.5);
      opt.step();
    }
    return m.parameters();
  };
}

const optimizers: [string, () => T.Tensor[]][] = [
  [
    'SGD (momentum, Nesterov, weight decay)',
    steps(
      (p) =>
        new nn.SGD(p, {
          lr: 0.1,
          momentum: 0.9,
          nesterov: true,
          weightDecay: 1e-2,
        }),
    ),
  ],
  ['Adam (amsgrad)', steps((p) => new nn.Adam(p, { lr: 0.05, amsgrad: true }))],
  ['AdamW', steps((p) => new nn.AdamW(p, { lr: 0.05, weightDecay: 0.1 }))],
];

for (const [name, run] of optimizers) {
  test(`${name} with clipGradNorm: three steps as on the CPU`, () =>
    sameOnBoth(name, run));
}

test('the training tests pass unchanged with GpuLikeBackend as the default backend', () => {
  const here = dirname(fileURLToPath(import.meta.url));
  const root = join(here, '..', '..', '..');
  const r = spawnSync(
    process.execPath,
    [
      '--conditions=source',
      '--import',
      join(root, 'scripts', 'register.mjs'),
      '--import',
      join(here, 'gpu-like-default.ts'),
      join(here, 'train.test.ts'),
    ],
    { encoding: 'utf8', maxBuffer: 64 << 20 },
  );
  const out = `${r.stdout}${r.stderr}`;
  // eslint-disable-next-line no-control-regex -- strips ANSI colour codes
  const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
  assert.is(r.status, 0, plain.slice(-3000));
  assert.match(plain, /Total:\s+3\s+Passed:\s+3\b/);
});

test.run();
