/**
 * Where the float32 MLP training step's time goes, primitive by primitive:
 * the bench's MLP step (784-256-10, batch 128, SGD) run 30 times to warm
 * up, then 40 times with every CPU kernel call timed (by wrapping the CPU
 * backend's `run`). Prints each primitive and output shape's mean ms per
 * step, then all kernels against the whole step (the rest is the graph,
 * the backward walker and allocation).
 *
 * node --conditions=source --import ./scripts/register.mjs bench/op-times.ts
 */
import { noGrad } from '../packages/autograd/src/index.js';
import { CpuBackend } from '../packages/tensor/src/cpu/backend.js';
import { T, type Tensor } from './ops.js';

const spent = new Map<string, number>();
let timing = false;
const run = CpuBackend.prototype.run;
CpuBackend.prototype.run = function <A>(
  this: CpuBackend,
  ...args: Parameters<typeof run<A>>
) {
  const [op, , outputs] = args;
  const t0 = performance.now();
  (run as (...a: typeof args) => void).apply(this, args);
  if (!timing) return;
  const key = `${op.name} [${outputs[0]?.shape.join(', ')}]`;
  spent.set(key, (spent.get(key) ?? 0) + performance.now() - t0);
};

const rng = T.makeRng(1);
const x = T.randn([128, 784], { rng });
const labels = T.randint(0, 10, [128], { rng });
const param = (shape: number[], scale: number): Tensor => {
  const p = T.randn(shape, { rng }).mul(scale);
  p.requiresGrad = true;
  return p;
};
let params = [
  param([784, 256], Math.sqrt(2 / 784)),
  T.zeros([256], { requiresGrad: true }),
  param([256, 10], Math.sqrt(1 / 256)),
  T.zeros([10], { requiresGrad: true }),
];

function step(): void {
  return T.scope(() => {
    const [w1, b1, w2, b2] = params;
    const logits = T.matmul(T.matmul(x, w1).add(b1).relu(), w2).add(b2);
    const mask = T.oneHot(labels, 10).cast('float32');
    const loss = T.logSoftmax(logits, -1).mul(mask).sum(-1).mean().neg();
    loss.backward();
    const next = noGrad(() =>
      params.map((p) => {
        const q = T.keep(p.sub(p.grad!.mul(0.05)));
        q.requiresGrad = true;
        return q;
      }),
    );
    for (const p of params) p.dispose();
    params = next;
    loss.dataSync();
  });
}

for (let i = 0; i < 30; i++) step();
timing = true;
const steps = 40;
const t0 = performance.now();
for (let i = 0; i < steps; i++) step();
const whole = (performance.now() - t0) / steps;
let kernels = 0;
for (const [key, ms] of [...spent].sort((a, b) => b[1] - a[1])) {
  kernels += ms / steps;
  console.log(`${(ms / steps).toFixed(3).padStart(8)} ms  ${key}`);
}
console.log(
  `kernels ${kernels.toFixed(2)} ms of a ${whole.toFixed(2)} ms step`,
);
