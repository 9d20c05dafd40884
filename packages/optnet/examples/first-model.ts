/**
 * A first model with a QP layer, written the way one writes it in PyTorch:
 * an MLP feeding an OptNetLayer, trained with Adam on minibatches, saved to
 * a checkpoint and loaded back.
 *
 * The task: each input x (8 features) asks for an allocation of 5 shares,
 * nonnegative and summing to 1, close to a hidden linear score Wx. The
 * target is the Euclidean projection of Wx onto that simplex,
 *   y = argmin ½‖z − Wx‖²  s.t.  z ≥ 0,  1ᵀz = 1,
 * which `qp` computes. The model is not told about the simplex: its
 * OptNetLayer learns constraints (G, h, A, b) along with the MLP.
 *
 * Run from the repository root:
 *   node --conditions=source --import ./scripts/register.mjs \
 *     packages/optnet/examples/first-model.ts [--epochs 30] [--seed 0]
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  eye,
  makeRng,
  ones,
  randn,
  zeros,
  type Rng,
  type Tensor,
} from '@optnet/tensor';
import { noGrad } from '@optnet/autograd';
import { Adam, batches, Linear, mseLoss, ReLU, Sequential } from '@optnet/nn';
import { load, save } from '@optnet/nn/node';
import { OptNetLayer, qp } from '@optnet/optnet';

const N_FEATURES = 8;
const N_SHARES = 5;

/**
 * n inputs x [n, 8] and their targets y [n, 5] (rows on the simplex).
 * @example
 * const { x, y } = makeData(1024, makeRng(0));
 */
export function makeData(n: number, rng: Rng): { x: Tensor; y: Tensor } {
  const W = randn([N_FEATURES, N_SHARES], { rng });
  const x = randn([n, N_FEATURES], { rng });
  const score = x.matmul(W);
  // minimize ½‖z‖² − scoreᵀz  s.t.  −z ≤ 0,  1ᵀz = 1
  const I = eye(N_SHARES);
  const [h, A, b] = [zeros([N_SHARES]), ones([1, N_SHARES]), ones([1])];
  return { x, y: qp(I, score.neg(), I.neg(), h, A, b) };
}

/**
 * MLP 8 → 32 → 5, then a QP layer with 5 variables, 5 inequalities and 1
 * equality (all float32, like every layer here by default).
 * @example
 * const model = makeModel(makeRng(0));
 */
export function makeModel(rng: Rng): Sequential {
  return new Sequential(
    new Linear(N_FEATURES, 32, { rng }),
    new ReLU(),
    new Linear(32, N_SHARES, { rng }),
    new OptNetLayer({ nz: N_SHARES, nIneq: N_SHARES, nEq: 1, rng }),
  );
}

/**
 * The model's mean squared error on (x, y), in eval mode, with no graph.
 * @example
 * evaluate(model, xTest, yTest); // 0.28 before training
 */
export function evaluate(model: Sequential, x: Tensor, y: Tensor): number {
  model.eval();
  const loss = noGrad(() => mseLoss(model.forward(x), y).itemSync());
  model.train();
  return loss;
}

/** Options of `train`. */
export interface TrainOptions {
  epochs: number;
  rng: Rng;
  lr?: number;
  batchSize?: number;
  /** Called after each epoch with the mean loss of its batches. */
  onEpoch?: (epoch: number, loss: number) => void;
}

/**
 * Adam on shuffled minibatches of (x, y), `epochs` passes.
 * @example
 * train(model, x, y, { epochs: 30, rng: makeRng(1) });
 */
export function train(
  model: Sequential,
  x: Tensor,
  y: Tensor,
  { epochs, rng, lr = 0.01, batchSize = 64, onEpoch }: TrainOptions,
): void {
  const opt = new Adam(model.parameters(), { lr });
  for (let epoch = 1; epoch <= epochs; epoch++) {
    let total = 0;
    let count = 0;
    for (const [xb, yb] of batches([x, y], { batchSize, rng })) {
      opt.zeroGrad();
      const loss = mseLoss(model.forward(xb), yb);
      loss.backward();
      opt.step();
      total += loss.itemSync();
      count++;
    }
    onEpoch?.(epoch, total / count);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      epochs: { type: 'string', default: '30' },
      seed: { type: 'string', default: '0' },
      out: {
        type: 'string',
        default: join(tmpdir(), 'first-model.safetensors'),
      },
    },
  });
  const rng = makeRng(Number(values.seed));
  const { x, y } = makeData(1024, rng);
  const [xTrain, xTest] = [x.slice([{ stop: 768 }]), x.slice([{ start: 768 }])];
  const [yTrain, yTest] = [y.slice([{ stop: 768 }]), y.slice([{ start: 768 }])];

  const model = makeModel(rng);
  console.log(model.toString());
  console.log(`test loss before: ${evaluate(model, xTest, yTest).toFixed(4)}`);
  train(model, xTrain, yTrain, {
    epochs: Number(values.epochs),
    rng,
    onEpoch: (epoch, loss) =>
      console.log(`epoch ${epoch}: train loss ${loss.toFixed(4)}`),
  });
  console.log(`test loss after: ${evaluate(model, xTest, yTest).toFixed(4)}`);

  await save(model, values.out);
  const restored = makeModel(makeRng(1234)); // other weights, then loaded
  await load(restored, values.out);
  const loss = evaluate(restored, xTest, yTest);
  console.log(`reloaded from ${values.out}: test loss ${loss.toFixed(4)}`);
  const first = xTest.slice([{ stop: 1 }]);
  console.log(
    'prediction',
    noGrad(() => restored.eval().forward(first)),
  );
  console.log('target    ', yTest.slice([{ stop: 1 }]));
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await main();
