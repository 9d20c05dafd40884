/**
 * The cost of the nn module layer: the same float32 training step written
 * twice, once with raw tensor ops and once through @optnet/nn (Sequential,
 * Linear/Conv2d, crossEntropy, SGD), timed interleaved (raw, nn, raw, nn,
 * ...) so both see the same machine load. The row's time is the nn step;
 * "derived" gives its overhead over the raw step.
 *
 * Both versions run the same primitives in the same order (weights
 * [out, in] with matmul transB, bias broadcast, relu, nn's crossEntropy), so
 * the difference is what the modules and the optimizer add: input checks,
 * parameter discovery, in-place updates with `assign`, per-parameter scopes.
 * - MLP 784-256-10, batch 128
 * - conv 1→16 3x3, relu, conv 16→32 3x3, relu, flatten, linear →10;
 *   batch 32 of 1x28x28
 */
import type { Entry } from './entry.js';
import { loadAutograd, T, type Tensor } from './ops.js';
import { interleaved } from './util.js';
import type * as NnModule from '../packages/nn/src/index.js';

type Nn = typeof NnModule;

const LR = 0.01;

/** Loaded lazily, so a broken nn package shows as an error row. */
async function loadNn(): Promise<Nn> {
  await loadAutograd();
  return import('../packages/nn/src/index.js');
}

/** Copies of a model's parameters as new leaves, for the raw version. */
function cloneParams(model: NnModule.Module): Tensor[] {
  const prev = T.setGradEnabled(false);
  const out = model.parameters().map((p) => {
    const q = p.mul(1);
    q.requiresGrad = true;
    return q;
  });
  T.setGradEnabled(prev);
  return out;
}

/** One raw SGD step: loss, backward, p ← p − lr·∇p into new leaves. */
function rawStep(params: Tensor[], lossOf: (ps: Tensor[]) => Tensor): void {
  T.scope(() => {
    const loss = lossOf(params);
    loss.backward();
    for (let i = 0; i < params.length; i++) {
      const p = params[i];
      const prev = T.setGradEnabled(false);
      const q = T.keep(p.sub(p.grad!.mul(LR)));
      T.setGradEnabled(prev);
      q.requiresGrad = true;
      p.dispose();
      params[i] = q;
    }
    loss.dataSync();
  });
}

/** One step through the nn API. */
function nnStep(
  model: NnModule.Module & { forward(x: Tensor): Tensor },
  opt: NnModule.SGD,
  nn: Nn,
  x: Tensor,
  y: Tensor,
): void {
  T.scope(() => {
    opt.zeroGrad();
    const loss = nn.crossEntropy(model.forward(x), y);
    loss.backward();
    opt.step();
    loss.dataSync();
  });
}

/**
 * Times raw and nn steps alternately; returns the nn timing and the overhead.
 */
function interleave(
  raw: () => void,
  viaNn: () => void,
  reps: number,
  warmup: number,
) {
  const [rawT, timing] = interleaved(raw, viaNn, { reps, warmup });
  const rawMs = rawT.medianMs;
  const pct = ((timing.medianMs - rawMs) / rawMs) * 100;
  return {
    timing,
    derived: `${pct >= 0 ? '+' : ''}${pct.toFixed(1)}% vs raw ops ${rawMs.toFixed(1)} ms`,
  };
}

export function nnMlpEntry(): Entry {
  const nBatch = 128;
  return {
    name: `nn MLP 784-256-10 step (vs raw ops) f32 batch ${nBatch}`,
    async run() {
      const nn = await loadNn();
      const rng = T.makeRng(11);
      const model = new nn.Sequential(
        new nn.Linear(784, 256, { rng }),
        new nn.ReLU(),
        new nn.Linear(256, 10, { rng }),
      );
      const opt = new nn.SGD(model.parameters(), { lr: LR });
      const x = T.randn([nBatch, 784], { rng });
      const y = T.randint(0, 10, [nBatch], { rng, dtype: 'int32' });
      const params = cloneParams(model);
      const lossOf = ([w1, b1, w2, b2]: Tensor[]) => {
        const h = T.matmul(x, w1, { transB: true }).add(b1).relu();
        return nn.crossEntropy(T.matmul(h, w2, { transB: true }).add(b2), y);
      };
      return interleave(
        () => rawStep(params, lossOf),
        () => nnStep(model, opt, nn, x, y),
        20,
        3,
      );
    },
  };
}

export function nnConvEntry(): Entry {
  const nBatch = 32;
  return {
    name: `nn conv net step (vs raw ops) f32 batch ${nBatch} 28x28`,
    async run() {
      const nn = await loadNn();
      const rng = T.makeRng(12);
      const flat = 32 * 24 * 24; // two valid 3x3 convs: 28 → 26 → 24
      const model = new nn.Sequential(
        new nn.Conv2d(1, 16, 3, { rng }),
        new nn.ReLU(),
        new nn.Conv2d(16, 32, 3, { rng }),
        new nn.ReLU(),
        new nn.Flatten(),
        new nn.Linear(flat, 10, { rng }),
      );
      const opt = new nn.SGD(model.parameters(), { lr: LR });
      const x = T.randn([nBatch, 1, 28, 28], { rng });
      const y = T.randint(0, 10, [nBatch], { rng, dtype: 'int32' });
      const params = cloneParams(model);
      const lossOf = ([w1, b1, w2, b2, w3, b3]: Tensor[]) => {
        const h1 = T.conv2d(x, w1)
          .add(b1.reshape([1, 16, 1, 1]))
          .relu();
        const h2 = T.conv2d(h1, w2)
          .add(b2.reshape([1, 32, 1, 1]))
          .relu();
        return nn.crossEntropy(
          T.matmul(h2.reshape([nBatch, flat]), w3, { transB: true }).add(b3),
          y,
        );
      };
      return interleave(
        () => rawStep(params, lossOf),
        () => nnStep(model, opt, nn, x, y),
        7,
        1,
      );
    },
  };
}
