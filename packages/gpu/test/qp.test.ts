// The QP layer on the WebGPU backend, at small sizes in float32: qpAsync's
// z against the CPU's float64 solve and its gradients against the CPU's
// float32 solve; at most one readback per interior-point iteration; an
// OptNetLayer in a model gives the CPU's results through forwardAsync.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '@optnet/tensor';
import '@optnet/autograd';
import { Linear, Sequential } from '@optnet/nn';
import { OptNetLayer, qp, qpAsync, solveQp } from '@optnet/optnet';
import { randomQp } from '@optnet/optnet/testing';
import { onAsync, relErr } from './helpers.js';
import { gpuForTests } from './setup.js';

const gpu = await gpuForTests('qp');

type Args = (T.Tensor | null)[];
const NAMES = ['Q', 'p', 'G', 'h', 'A', 'b'];

/** z and the gradients of ⟨z, c⟩ from the CPU's qp, solved in `dtype`. */
async function cpuSolve(args: Args, c: T.Tensor, dtype: T.FloatDType) {
  const xs = args.map((t) => t?.detach().cast(dtype).requiresGrad_() ?? null);
  const [Q, p, G, h, A, b] = xs;
  const z = qp(Q!, p!, G, h, A, b);
  z.mul(c.cast(dtype)).sum().backward();
  const grads = await Promise.all(xs.map((t) => t?.grad?.data() ?? null));
  return { z: await z.data(), grads };
}

/** The arguments as float32 leaves on the GPU. */
function toGpu(args: Args): Promise<Args> {
  return Promise.all(
    args.map(async (t) =>
      t === null
        ? null
        : (await t.detach().cast('float32').to(gpu!)).requiresGrad_(),
    ),
  );
}

if (gpu) {
  for (const [nIneq, nEq] of [
    [8, 0],
    [8, 2],
    [0, 3],
  ]) {
    test(`qpAsync, nIneq ${nIneq}, nEq ${nEq}: z and every gradient match the CPU`, async () => {
      const d = randomQp({
        nBatch: 4,
        nz: 6,
        nIneq,
        nEq,
        dtype: 'float64',
        seed: 4,
      });
      const args = [d.Q, d.p, d.G, d.h, d.A, d.b];
      const c = T.randn([4, 6], { dtype: 'float64', rng: T.makeRng(11) });
      const want64 = await cpuSolve(args, c, 'float64');
      const want32 = await cpuSolve(args, c, 'float32');
      const xs = await toGpu(args);
      const [Q, p, G, h, A, b] = xs;
      const z = await onAsync(gpu, () => qpAsync(Q!, p!, G, h, A, b));
      assert.is(z.backend, gpu);
      const ez = relErr(await z.data(), want64.z, 0);
      assert.ok(ez < 1e-4, `z: relative error ${ez}`);
      const cg = await c.cast('float32').to(gpu);
      await onAsync(gpu, async () => z.mul(cg).sum().backward());
      for (let i = 0; i < xs.length; i++) {
        if (xs[i] === null) continue;
        const e = relErr(await xs[i]!.grad!.data(), want32.grads[i]!, 0);
        assert.ok(e < 1e-3, `∂${NAMES[i]}: relative error ${e}`);
      }
    });
  }

  test('solveQp: every item solved, exactly one readback per interior-point iteration', async () => {
    const d = randomQp({
      nBatch: 6,
      nz: 8,
      nIneq: 10,
      nEq: 2,
      dtype: 'float64',
      seed: 6,
    });
    const [Q, p, G, h, A, b] = await toGpu([d.Q, d.p, d.G, d.h, d.A, d.b]);
    const seen: number[] = []; // readbacks so far, at each iteration's end
    const onIteration = () => seen.push(gpu.stats().readbacks);
    const r = await onAsync(gpu, () =>
      solveQp(Q!, p!, G, h, A, b, { onIteration }),
    );
    assert.equal(r.status, Array(6).fill('solved'));
    assert.ok(seen.length >= Math.max(...r.iterations));
    const steps = seen.slice(1).map((n, k) => n - seen[k]);
    assert.equal(steps, Array(seen.length - 1).fill(1), 'reads per iteration');
    assert.ok(Math.max(...r.primalResidual, ...r.dualResidual) < 1e-4);
  });

  test('OptNetLayer.forwardAsync in a Sequential: the CPU float32 results, forward and backward', async () => {
    const run = async () => {
      const rng = T.makeRng(21);
      const m = new Sequential(
        new Linear(3, 4, { rng }),
        new OptNetLayer({
          nz: 4,
          nIneq: 5,
          nEq: 1,
          solveDtype: 'float32',
          rng,
        }),
      );
      const x = T.randn([6, 3], { rng: T.makeRng(2) });
      const z = await m.forwardAsync(x);
      z.square().sum().backward();
      const out = [z, ...m.parameters().map((t) => t.grad!)];
      return Promise.all(out.map((t) => t.data()));
    };
    const want = await onAsync(new T.CpuBackend(), run);
    const got = await onAsync(gpu, run);
    for (let i = 0; i < want.length; i++) {
      const e = relErr(got[i], want[i], 0);
      assert.ok(e < 1e-3, `result ${i}: relative error ${e}`);
    }
  });
}

test.run();
