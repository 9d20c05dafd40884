/**
 * What the browser page computes, as a function Node runs too (the test
 * compares the two): a small classifier trained for a few Adam steps on
 * seeded data, then a batch of random feasible QPs solved. Only
 * asynchronous reads, so it runs on any backend.
 */
import { makeRng, randn, scope, type Tensor } from '@optnet/tensor';
import '@optnet/autograd';
import { Adam, crossEntropy, Linear, ReLU, Sequential } from '@optnet/nn';
import { solveQp } from '@optnet/optnet';
import { randomQp } from '@optnet/optnet/testing';

/** What the page reports. */
export interface DemoResult {
  /** The training loss after each step. */
  losses: number[];
  /** The QPs' solutions, flattened [nBatch · nz], and statuses. */
  z: number[];
  status: string[];
}

/** Labels of a fixed rule on 4 features: which of 3 sums is largest. */
async function labels(x: Tensor): Promise<Tensor> {
  const w = randn([4, 3], { rng: makeRng('rule') });
  return x.matmul(w).argmax(-1);
}

/**
 * Train 20 Adam steps of a 4-16-3 MLP on 256 seeded points, then solve 8
 * QPs (nz 10, 10 inequalities, 2 equalities), in float32.
 * @example
 * const r = await runDemo(); // { losses, z, status }
 */
export async function runDemo(): Promise<DemoResult> {
  const rng = makeRng(1);
  const x = randn([256, 4], { rng });
  const y = await labels(x);
  const model = new Sequential(
    new Linear(4, 16, { rng }),
    new ReLU(),
    new Linear(16, 3, { rng }),
  );
  const opt = new Adam(model.parameters(), { lr: 0.05 });
  const losses: number[] = [];
  for (let step = 0; step < 20; step++) {
    const loss = scope(() => {
      const l = crossEntropy(model.forward(x), y);
      opt.zeroGrad();
      l.backward();
      opt.step();
      return l.detach();
    });
    losses.push(await loss.item());
    loss.dispose();
  }
  const { Q, p, G, h, A, b } = randomQp({
    nBatch: 8,
    nz: 10,
    nIneq: 10,
    nEq: 2,
    dtype: 'float32',
    seed: 3,
  });
  const r = await solveQp(Q, p, G, h, A, b);
  return { losses, z: Array.from(await r.z.data()), status: r.status };
}
