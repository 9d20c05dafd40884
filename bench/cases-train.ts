/**
 * Training steps, float32: forward, `loss.backward()`, SGD under noGrad.
 * - MLP 784-256-10, batch 128
 * - conv 1→16 3x3, relu, conv 16→32 3x3, relu, flatten, linear →10;
 *   batch 32 of 1x28x28, stride 1, no padding (NCHW, weights OIHW)
 * - softmax cross-entropy forward + backward alone, [512, 1000]
 * Each runs interleaved with TF.js-wasm's and jax-js's version of the same
 * step from the same seeded inputs and parameters; the check compares the
 * loss and every gradient at the initial parameters.
 */
import { race, type RaceOptions } from './compare.js';
import type { Entry, EntryResult, RunContext } from './entry.js';
import type { Peer, PeerTask } from './peers/src/index.js';
import {
  hasOp,
  loadAutograd,
  op,
  Skip,
  T,
  type Autograd,
  type Tensor,
} from './ops.js';
import { timeIt } from './util.js';

const LR = 0.05;

/** A trainable leaf: N(0, scale²), float32. */
function param(shape: number[], scale: number, rng: T.Rng): Tensor {
  const p = T.randn(shape, { rng }).mul(scale);
  p.requiresGrad = true;
  return p;
}

/**
 * Mean over the batch of -log softmax(logits)[label]: the fused primitive
 * where the tree has it, else logSoftmax and a pick of each label.
 */
function crossEntropy(logits: Tensor, labels: Tensor): Tensor {
  if (hasOp('softmaxCrossEntropy'))
    return op('softmaxCrossEntropy')(logits, labels).mean();
  const [nBatch, nClass] = logits.shape;
  const logp = op('logSoftmax')(logits, -1);
  let picked: Tensor;
  if (hasOp('oneHot')) {
    const mask = op('oneHot')(labels, nClass);
    picked = logp
      .mul(mask.dtype === logp.dtype ? mask : mask.cast(logp.dtype))
      .sum(-1);
  } else if (hasOp('gather')) {
    const index = labels.reshape([nBatch, 1]);
    picked = op('gather')(logp, index, 1).reshape([nBatch]);
  } else {
    throw new Skip('skipped: oneHot and gather not available');
  }
  return picked.mean().neg();
}

/**
 * One SGD step on `params` (replaced in place in the array): loss,
 * backward, p ← p − lr·∇p without recording. Returns the loss value.
 */
async function sgdStep(
  ag: Autograd,
  params: Tensor[],
  lossOf: (ps: Tensor[]) => Tensor,
  lr: number,
): Promise<number> {
  return T.scope(async () => {
    const loss = lossOf(params);
    loss.backward();
    const next = ag.noGrad(() =>
      params.map((p) => {
        const q = T.keep(p.sub(p.grad!.mul(lr)));
        q.requiresGrad = true;
        return q;
      }),
    );
    for (let i = 0; i < params.length; i++) {
      params[i].dispose();
      params[i] = next[i];
    }
    return loss.item();
  });
}

/** One-hot rows [n, k] of integer labels, float32. */
function oneHotData(labels: Tensor, k: number): Float32Array {
  const l = labels.dataSync();
  const y = new Float32Array(l.length * k);
  l.forEach((c, i) => (y[i * k + c] = 1));
  return y;
}

/** The loss and every gradient at `params` (fresh leaves; params kept). */
function lossAndGrads(
  ag: Autograd,
  params: readonly Tensor[],
  lossOf: (ps: Tensor[]) => Tensor,
): Float32Array[] {
  return T.scope(() => {
    const leaves = ag.noGrad(() => params.map((p) => p.mul(1)));
    for (const q of leaves) q.requiresGrad = true;
    const loss = lossOf(leaves);
    loss.backward();
    const out = [loss, ...leaves.map((q) => q.grad!)];
    return out.map((t) => Float32Array.from(t.dataSync()));
  });
}

/**
 * A training step's row: ours alone (every-core pass), or interleaved with
 * each peer's step built by `make` from the same initial parameters.
 */
async function trainRow(
  ctx: RunContext,
  ag: Autograd,
  params: Tensor[],
  lossOf: (ps: Tensor[]) => Tensor,
  make: (p: Peer, initial: Float32Array[]) => PeerTask,
  opts: RaceOptions,
  perSecond: number,
): Promise<EntryResult> {
  const step = () => sgdStep(ag, params, lossOf, LR);
  const derived = (ms: number) =>
    `${((perSecond / ms) * 1000).toFixed(0)} samples/s`;
  if (ctx.peers === null) {
    const timing = await timeIt(step, opts);
    return { timing, derived: derived(timing.medianMs) };
  }
  const initial = params.map((p) => Float32Array.from(p.dataSync()));
  const ours = lossAndGrads(ag, params, lossOf);
  // float32 sums over the batch and the layers: relative 1e-4 of the largest
  const { timing, cells } = await race(
    step,
    ctx.peers,
    (p) => make(p, initial),
    ours,
    1e-4,
    opts,
  );
  return { timing, derived: derived(timing.medianMs), peers: cells };
}

export function mlpEntry(): Entry {
  const nBatch = 128;
  return {
    name: `MLP 784-256-10 train step f32 batch ${nBatch}`,
    async run(ctx) {
      const ag = await loadAutograd();
      const matmul = op('matmul');
      const rng = T.makeRng(1);
      const x = T.randn([nBatch, 784], { rng });
      const labels = T.randint(0, 10, [nBatch], { rng });
      const params = [
        param([784, 256], Math.sqrt(2 / 784), rng),
        T.zeros([256], { requiresGrad: true }),
        param([256, 10], Math.sqrt(1 / 256), rng),
        T.zeros([10], { requiresGrad: true }),
      ];
      const lossOf = ([w1, b1, w2, b2]: Tensor[]) =>
        crossEntropy(matmul(matmul(x, w1).add(b1).relu(), w2).add(b2), labels);
      const X = x.dataSync() as Float32Array;
      const y = oneHotData(labels, 10);
      const make = (p: Peer, initial: Float32Array[]) =>
        p.mlpStep({ batch: nBatch, x: X, y, params: initial, lr: LR });
      const opts = { warmup: 3, minReps: 5, maxReps: 30, budgetMs: 5000 };
      return trainRow(ctx, ag, params, lossOf, make, opts, nBatch);
    },
  };
}

export function convEntry(): Entry {
  const nBatch = 32;
  return {
    name: `conv net train step f32 batch ${nBatch} 28x28`,
    async run(ctx) {
      const ag = await loadAutograd();
      const conv2d = op('conv2d');
      const matmul = op('matmul');
      const rng = T.makeRng(2);
      const x = T.randn([nBatch, 1, 28, 28], { rng });
      const labels = T.randint(0, 10, [nBatch], { rng });
      const flat = 32 * 24 * 24; // two valid 3x3 convs: 28 → 26 → 24
      const params = [
        param([16, 1, 3, 3], Math.sqrt(2 / 9), rng),
        T.zeros([16, 1, 1], { requiresGrad: true }),
        param([32, 16, 3, 3], Math.sqrt(2 / 144), rng),
        T.zeros([32, 1, 1], { requiresGrad: true }),
        param([flat, 10], Math.sqrt(1 / flat), rng),
        T.zeros([10], { requiresGrad: true }),
      ];
      const conv = { stride: 1, padding: 0 };
      const lossOf = ([w1, b1, w2, b2, w3, b3]: Tensor[]) => {
        const h1 = conv2d(x, w1, conv).add(b1).relu();
        const h2 = conv2d(h1, w2, conv).add(b2).relu();
        return crossEntropy(
          matmul(h2.reshape([nBatch, flat]), w3).add(b3),
          labels,
        );
      };
      const X = x.dataSync() as Float32Array;
      const y = oneHotData(labels, 10);
      const make = (p: Peer, initial: Float32Array[]) =>
        p.convStep({ batch: nBatch, x: X, y, params: initial, lr: LR });
      // a peer's step can take seconds (jax-js): few rounds
      const opts = { warmup: 1, minReps: 3, maxReps: 10, budgetMs: 8000 };
      return trainRow(ctx, ag, params, lossOf, make, opts, nBatch);
    },
  };
}

export function softmaxCrossEntropyEntry(): Entry {
  const [rows, cols] = [512, 1000];
  return {
    name: `softmax cross-entropy fwd+bwd f32 [${rows}, ${cols}]`,
    async run({ peers }) {
      await loadAutograd();
      const rng = T.makeRng(3);
      const logits = T.randn([rows, cols], { rng, requiresGrad: true });
      const labels = T.randint(0, cols, [rows], { rng });
      const step = () =>
        T.scope(async () => {
          logits.grad = null;
          const loss = crossEntropy(logits, labels);
          loss.backward();
          await logits.grad!.data();
          return loss.item();
        });
      const opts = { warmup: 3, minReps: 5, maxReps: 30, budgetMs: 3000 };
      const derived = (ms: number) =>
        `${((rows * cols) / ms / 1000).toFixed(1)} Melem/s`;
      if (peers === null) {
        const timing = await timeIt(step, opts);
        return { timing, derived: derived(timing.medianMs) };
      }
      const ours = await T.scope(async () => {
        logits.grad = null;
        const loss = crossEntropy(logits, labels);
        loss.backward();
        return [loss, logits.grad!].map((t) => Float32Array.from(t.dataSync()));
      });
      const L = logits.dataSync() as Float32Array;
      const y = oneHotData(labels, cols);
      const { timing, cells } = await race(
        step,
        peers,
        (p) => p.softmaxCe(L, y, rows, cols),
        ours,
        1e-5,
        opts,
      );
      return { timing, derived: derived(timing.medianMs), peers: cells };
    },
  };
}
