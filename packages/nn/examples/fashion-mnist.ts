/**
 * Train a classifier on Fashion-MNIST (28×28 grey images of 10 kinds of
 * clothing) with @optnet/nn, printing progress during each epoch and the
 * test accuracy after it.
 *
 * mlp:  Flatten → Linear(784, 256) → ReLU → Linear(256, 10)        (203k
 * params)
 *   conv: Conv2d(1, 8, 3) → ReLU → MaxPool2d(2)     [8, 13, 13]
 *         Conv2d(8, 16, 3) → ReLU → MaxPool2d(2)    [16, 5, 5]
 * Flatten → Linear(400, 10)                                   (5.3k params)
 *
 * Loss: cross-entropy of the logits, minimized with Adam. Every random
 * draw (initial weights, batch order) comes from `--seed`, so a run is
 * reproducible.
 *
 * Run from the repository root:
 *   pnpm fashion-mnist --model mlp --epochs 3
 *   pnpm fashion-mnist --model mlp --backend webgpu
 *   node --conditions=source --import ./scripts/register.mjs \
 *     packages/nn/examples/fashion-mnist.ts --model conv --limit 10000
 *
 * With `--backend webgpu` (@optnet/gpu) the model trains on the GPU in
 * float32; the data stay on the CPU and each batch moves to the GPU, as a
 * data loader does (the whole training set is larger than one GPU binding
 * may be).
 *
 * Needs the data set in /usr/share/datasets/fashion-mnist
 * (`apt-get install dataset-fashion-mnist`) or `--data-dir`.
 */
import { parseArgs } from 'node:util';
import {
  argmax,
  getBackend,
  makeRng,
  scope,
  setBackend,
  type Backend,
  type Rng,
  type Tensor,
} from '@optnet/tensor';
import { cpuThreadStats, useCpuThreads } from '@optnet/tensor/threads';
import { noGrad } from '@optnet/autograd';
import {
  Adam,
  Conv2d,
  crossEntropy,
  Flatten,
  Linear,
  MaxPool2d,
  NnError,
  numBatches,
  ReLU,
  Sequential,
  batches,
} from '@optnet/nn';
import { FASHION_MNIST_DIR, loadFashionMnist, save } from '@optnet/nn/node';

/** The parsed command line. */
interface Config {
  model: 'mlp' | 'conv';
  backend: 'cpu' | 'webgpu';
  epochs: number;
  batchSize: number;
  lr: number;
  /**
   * Training images used (the first `limit`); the test set is always whole
   * unless testLimit.
   */
  limit: number | undefined;
  testLimit: number | undefined;
  seed: number;
  /** undefined: one per core. */
  threads: number | undefined;
  save: string | undefined;
  dataDir: string;
  /** Seconds between progress lines within an epoch. */
  logInterval: number;
}

const USAGE = `Usage: fashion-mnist [options]
  --model mlp|conv      network (default mlp)
  --backend cpu|webgpu  where the model trains (default cpu; webgpu needs
                        @optnet/gpu and a WebGPU adapter)
  --epochs N            passes over the training set (default 3)
  --batch-size B        examples per step (default 64)
  --lr X                Adam learning rate (default 1e-3)
  --limit N             train on the first N of 60000 images (default all)
  --test-limit N        evaluate on the first N of 10000 test images (default all)
  --seed S              seed of the weights and the batch order (default 0)
  --threads T           CPU threads for batched kernels (default: one per
                        core; results are the same bits either way)
  --save PATH           write the model to a .safetensors file after training
  --data-dir DIR        data set folder (default ${FASHION_MNIST_DIR})
  --log-interval SEC    seconds between progress lines (default 5)
  --help                this text`;

/** A CLI mistake: printed with the usage, no stack. */
class UsageError extends Error {}

/** No WebGPU here: printed in one line, no stack. */
class NoGpuError extends Error {}

function intFlag(
  name: string,
  v: string | undefined,
  min: number,
): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`--${name} must be an integer ≥ ${min}; got '${v}'.`);
  return n;
}

function numFlag(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(`--${name} must be a positive number; got '${v}'.`);
  return n;
}

/** Parse argv into a Config; undefined after printing --help. */
function parseConfig(argv: string[]): Config | undefined {
  const str = { type: 'string' } as const;
  const { values: v } = parseArgs({
    args: argv,
    options: {
      model: str,
      backend: str,
      epochs: str,
      'batch-size': str,
      lr: str,
      limit: str,
      'test-limit': str,
      seed: str,
      threads: str,
      save: str,
      'data-dir': str,
      'log-interval': str,
      help: { type: 'boolean' },
    },
  });
  if (v.help) {
    console.log(USAGE);
    return undefined;
  }
  const model = v.model ?? 'mlp';
  if (model !== 'mlp' && model !== 'conv')
    throw new UsageError(`--model must be mlp or conv; got '${model}'.`);
  const backend = v.backend ?? 'cpu';
  if (backend !== 'cpu' && backend !== 'webgpu')
    throw new UsageError(`--backend must be cpu or webgpu; got '${backend}'.`);
  return {
    model,
    backend,
    epochs: intFlag('epochs', v.epochs, 1) ?? 3,
    batchSize: intFlag('batch-size', v['batch-size'], 1) ?? 64,
    lr: numFlag('lr', v.lr) ?? 1e-3,
    limit: intFlag('limit', v.limit, 1),
    testLimit: intFlag('test-limit', v['test-limit'], 1),
    seed: intFlag('seed', v.seed, 0) ?? 0,
    threads: intFlag('threads', v.threads, 1),
    save: v.save,
    dataDir: v['data-dir'] ?? FASHION_MNIST_DIR,
    logInterval: numFlag('log-interval', v['log-interval']) ?? 5,
  };
}

/** The two networks of the header comment, initialized from `rng`. */
function buildModel(kind: Config['model'], rng: Rng): Sequential {
  if (kind === 'mlp') {
    return new Sequential(
      new Flatten(),
      new Linear(784, 256, { rng }),
      new ReLU(),
      new Linear(256, 10, { rng }),
    );
  }
  // 28 → conv 3 → 26 → pool 2 → 13 → conv 3 → 11 → pool 2 → 5: 16·5·5 = 400
  // features.
  return new Sequential(
    new Conv2d(1, 8, 3, { rng }),
    new ReLU(),
    new MaxPool2d(2),
    new Conv2d(8, 16, 3, { rng }),
    new ReLU(),
    new MaxPool2d(2),
    new Flatten(),
    new Linear(400, 10, { rng }),
  );
}

/**
 * Fraction of `images` whose argmax logit is the label, in eval mode, in
 * batches moved to `backend`.
 */
async function accuracy(
  model: Sequential,
  images: Tensor,
  labels: Tensor,
  backend: Backend,
  batchSize = 500,
): Promise<number> {
  model.eval();
  let correct = 0;
  for (const [xb, yb] of batches([images, labels], {
    batchSize,
    shuffle: false,
  })) {
    const x = await xb.to(backend);
    const predicted = await noGrad(() =>
      scope(() => argmax(model.forward(x), 1)),
    ).data();
    const truth = await yb.data();
    for (let i = 0; i < truth.length; i++)
      if (predicted[i] === truth[i]) correct++;
    for (const t of [x, xb, yb]) t.dispose();
  }
  model.train();
  return correct / images.shape[0];
}

/**
 * Progress of one epoch: examples seen and the loss summed since the last line.
 */
interface Progress {
  seen: number;
  windowLoss: number;
  windowSteps: number;
  lastLog: number;
}

const fmtTime = (s: number): string =>
  s < 60
    ? `${s.toFixed(1)} s`
    : `${Math.floor(s / 60)} min ${(s % 60).toFixed(0)} s`;

function logProgress(
  p: Progress,
  epoch: number,
  total: number,
  start: number,
): void {
  const now = performance.now();
  const rate = p.seen / ((now - start) / 1000);
  const pct = ((100 * p.seen) / total).toFixed(0).padStart(3);
  const loss = (p.windowLoss / p.windowSteps).toFixed(4);
  console.log(
    `  epoch ${epoch} ${pct}% ${p.seen}/${total}  loss ${loss}  ${rate.toFixed(0)} samples/s`,
  );
  p.windowLoss = 0;
  p.windowSteps = 0;
  p.lastLog = now;
}

/** One Adam step on a batch (in a scope: on a GPU nothing else frees). */
function trainStep(model: Sequential, opt: Adam, x: Tensor, y: Tensor): Tensor {
  return scope(() => {
    const loss = crossEntropy(model.forward(x), y);
    opt.zeroGrad();
    loss.backward();
    opt.step();
    return loss;
  });
}

/**
 * One pass of Adam steps over the shuffled training set, each batch moved
 * to `backend`; returns the mean loss.
 */
async function trainEpoch(
  model: Sequential,
  opt: Adam,
  data: Tensor[],
  cfg: Omit<Config, 'backend'> & { backend: Backend },
  rng: Rng,
  epoch: number,
): Promise<number> {
  const total = data[0].shape[0];
  const start = performance.now();
  const p: Progress = {
    seen: 0,
    windowLoss: 0,
    windowSteps: 0,
    lastLog: start,
  };
  let epochLoss = 0;
  for (const [xb, yb] of batches(data, { batchSize: cfg.batchSize, rng })) {
    const [x, y] = await Promise.all([xb.to(cfg.backend), yb.to(cfg.backend)]);
    const loss = trainStep(model, opt, x, y);
    const value = await loss.item();
    for (const t of new Set([loss, x, y, xb, yb])) t.dispose();
    if (!Number.isFinite(value))
      throw new Error(
        `the loss is ${value} at epoch ${epoch}; try a smaller --lr.`,
      );
    epochLoss += value * xb.shape[0];
    p.windowLoss += value;
    p.windowSteps++;
    p.seen += xb.shape[0];
    if (performance.now() - p.lastLog >= cfg.logInterval * 1000)
      logProgress(p, epoch, total, start);
  }
  return epochLoss / total;
}

async function loadData(
  cfg: Config,
): Promise<{ train: Tensor[]; test: Tensor[] }> {
  const t0 = performance.now();
  const tr = await loadFashionMnist({
    dir: cfg.dataDir,
    split: 'train',
    limit: cfg.limit,
  });
  const te = await loadFashionMnist({
    dir: cfg.dataDir,
    split: 'test',
    limit: cfg.testLimit,
  });
  const s = ((performance.now() - t0) / 1000).toFixed(1);
  console.log(
    `data: ${tr.images.shape[0]} training, ${te.images.shape[0]} test images (loaded in ${s} s)`,
  );
  return { train: [tr.images, tr.labels], test: [te.images, te.labels] };
}

/** The backend of `--backend`, made the current one. */
async function openBackend(kind: Config['backend']): Promise<Backend> {
  if (kind === 'cpu') return getBackend();
  // Not a dependency of @optnet/nn: the workspace root provides it.
  const name = '@optnet/gpu';
  let backend: Backend & { adapterInfo: string };
  try {
    const gpu = (await import(name)) as {
      createWebGpuBackend(): Promise<Backend & { adapterInfo: string }>;
    };
    backend = await gpu.createWebGpuBackend();
  } catch (e) {
    throw new NoGpuError(`--backend webgpu: ${(e as Error).message}`);
  }
  console.log(`webgpu: ${backend.adapterInfo || 'an adapter'}`);
  return backend;
}

async function run(cfg: Config): Promise<void> {
  const threads = await useCpuThreads(cfg.threads);
  const { train, test } = await loadData(cfg);
  const backend = await openBackend(cfg.backend);
  setBackend(backend);
  const rng = makeRng(cfg.seed);
  const model = buildModel(cfg.model, rng);
  const opt = new Adam(model.parameters(), { lr: cfg.lr });
  const steps = numBatches(train[0].shape[0], cfg.batchSize);
  console.log(
    `${model.toString()}\n${model.numParameters()} parameters; ${steps} steps per epoch; ${threads} thread(s)`,
  );
  for (let epoch = 1; epoch <= cfg.epochs; epoch++) {
    const t0 = performance.now();
    const loss = await trainEpoch(
      model,
      opt,
      train,
      { ...cfg, backend },
      rng,
      epoch,
    );
    const secs = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    const acc = await accuracy(model, test[0], test[1], backend);
    const evalSecs = (performance.now() - t1) / 1000;
    console.log(
      `epoch ${epoch}/${cfg.epochs}: train loss ${loss.toFixed(4)}, test accuracy ${(100 * acc).toFixed(2)}%, ` +
        `${fmtTime(secs)} (${(train[0].shape[0] / secs).toFixed(0)} samples/s), eval ${fmtTime(evalSecs)}`,
    );
  }
  // Only batched kernels (matmul over a batch axis, cholesky...) are split:
  // this says whether the model ran any.
  if (threads > 1)
    console.log(
      `${cpuThreadStats().splitCalls} kernel calls split over threads`,
    );
  if (cfg.save !== undefined) {
    await save(model, cfg.save, {
      optimizer: opt,
      metadata: { model: cfg.model, epochs: String(cfg.epochs) },
    });
    console.log(`saved ${cfg.save}`);
  }
}

async function main(): Promise<void> {
  try {
    const cfg = parseConfig(process.argv.slice(2));
    if (cfg !== undefined) await run(cfg);
  } catch (e) {
    // Expected failures (bad flags, missing data set) print one line, no stack.
    const usage =
      e instanceof UsageError ||
      (e as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION';
    if (!usage && !(e instanceof NnError) && !(e instanceof NoGpuError))
      throw e;
    console.error(
      `fashion-mnist: ${(e as Error).message}${usage ? `\n\n${USAGE}` : ''}`,
    );
    process.exitCode = 1;
  }
}

await main();
