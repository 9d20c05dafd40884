/**
 * The QP layer on GpuLikeBackend (a GPU's semantics: asynchronous reads,
 * float32, core kernels only, so every fused solver kernel runs its
 * decompose): qpAsync and solveQp solve what the CPU solves in float64,
 * with the same gradients to float32 accuracy; OptNetLayer.forwardAsync
 * runs inside a model and trains; qp() and a float64 solve say what to
 * use instead.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '@optnet/tensor';
import { GpuLikeBackend, assertThrowsCode } from '@optnet/tensor/testing';
import '@optnet/autograd';
import { Adam, Linear, Sequential, mseLoss } from '@optnet/nn';
import { OptNetLayer, qp, qpAsync, solveQp } from '../src/index.js';
import { randomQp, type RandomQp } from '../src/testing/random-qp.js';

const gpu = new GpuLikeBackend();
const cpu = new T.CpuBackend();
const f64 = 'float64' as const;

/** `fn()` with `be` as the current backend (the solver makes its constants there). */
async function on<R>(be: T.Backend, fn: () => Promise<R>): Promise<R> {
  const prev = T.getBackend();
  T.setBackend(be);
  try {
    return await fn();
  } finally {
    T.setBackend(prev);
  }
}

/** ‖a − b‖∞ / ‖b‖∞. */
async function relErr(a: T.Tensor, b: T.Tensor): Promise<number> {
  const [x, y] = await Promise.all([a.data(), b.data()]);
  let num = 0;
  let den = 0;
  for (let i = 0; i < y.length; i++) {
    num = Math.max(num, Math.abs(x[i] - y[i]));
    den = Math.max(den, Math.abs(y[i]));
  }
  return num / den;
}

type Args = (T.Tensor | null)[];

/** The arguments, cast to float32 on the GPU-like backend, as leaves. */
async function toGpu(args: Args): Promise<Args> {
  return Promise.all(
    args.map(async (t) =>
      t === null
        ? null
        : (await t.detach().cast('float32').to(gpu)).requiresGrad_(),
    ),
  );
}

/** z and the gradients of ⟨z, c⟩ from the CPU's qp, in `dtype`. */
function cpuSolve(
  args: Args,
  c: T.Tensor,
  dtype: T.FloatDType,
): [T.Tensor, (T.Tensor | null)[]] {
  const xs = args.map((t) =>
    t === null ? null : t.detach().cast(dtype).requiresGrad_(),
  );
  const [Q, p, G, h, A, b] = xs;
  const z = qp(Q!, p!, G, h, A, b);
  z.mul(c.cast(dtype)).sum().backward();
  return [z, xs.map((t) => t?.grad ?? null)];
}

/**
 * qpAsync on the GPU-like backend against the CPU's qp: z to float32
 * accuracy against the float64 solve, and every gradient (nBatch > 1)
 * against the CPU's float32 solve (a float32 solve's gradients are
 * rougher than its z: README, Accuracy).
 */
async function checkAgainstCpu(what: string, args: Args): Promise<void> {
  const c = T.randn([4, 6], { dtype: f64, rng: T.makeRng(11) });
  const [z64] = cpuSolve(args, c, 'float64');
  const [, g32] = cpuSolve(args, c, 'float32');
  const xs = await toGpu(args);
  const [Q, p, G, h, A, b] = xs;
  const z = await on(gpu, () => qpAsync(Q!, p!, G, h, A, b));
  assert.is(z.backend, gpu);
  assert.is(z.dtype, 'float32');
  assert.ok((await relErr(z, z64)) < 1e-4, `${what}: z`);
  const cg = await c.cast('float32').to(gpu);
  await on(gpu, async () => z.mul(cg).sum().backward());
  const names = ['Q', 'p', 'G', 'h', 'A', 'b'];
  for (let i = 0; i < xs.length; i++) {
    if (xs[i] === null) continue;
    const e = await relErr(xs[i]!.grad!, g32[i]!);
    assert.ok(e < 1e-4, `${what}: ∂${names[i]} relative error ${e}`);
  }
}

const data = (d: RandomQp): Args => [d.Q, d.p, d.G, d.h, d.A, d.b];

for (const [nIneq, nEq] of [
  [8, 0],
  [8, 2],
  [0, 3],
]) {
  test(`qpAsync: nIneq ${nIneq}, nEq ${nEq}: z and all gradients match the CPU's float64 solve`, () =>
    checkAgainstCpu(
      `nIneq ${nIneq}, nEq ${nEq}`,
      data(randomQp({ nBatch: 4, nz: 6, nIneq, nEq, dtype: f64, seed: 4 })),
    ));
}

test('qpAsync: a shared Q = L·Lᵀ + εI, G and h across the batch (their gradients summed)', async () => {
  const rng = T.makeRng(5);
  // Conditioned for float32 (cond(Q) ~ 10): the test is about sharing.
  const L = T.randn([6, 6], { dtype: f64, rng }).mul(0.4);
  const Q = T.matmul(L, L, { transB: true }).add(T.eye(6, { dtype: f64 }));
  const G = T.randn([5, 6], { dtype: f64, rng });
  const h = T.rand([5], { dtype: f64, rng }).add(0.5);
  const p = T.randn([4, 6], { dtype: f64, rng });
  await checkAgainstCpu('shared', [Q, p, G, h, null, null]);
});

test('solveQp on the GPU-like backend: every item solved, z as qpAsync gives it', async () => {
  const d = randomQp({
    nBatch: 5,
    nz: 6,
    nIneq: 7,
    nEq: 2,
    dtype: f64,
    seed: 6,
  });
  const [Q, p, G, h, A, b] = await toGpu(data(d));
  const r = await on(gpu, () => solveQp(Q!, p!, G, h, A, b));
  assert.equal(r.status, Array(5).fill('solved'));
  assert.is(r.lam.backend, gpu);
  const z = await on(gpu, () => qpAsync(Q!, p!, G, h, A, b));
  assert.ok((await relErr(r.z, z)) < 1e-6);
});

test('plain arrays take the current backend and its widest float (float32 here)', async () => {
  const z = await on(gpu, () =>
    qpAsync(
      [
        [2, 0],
        [0, 2],
      ],
      [-2, -4],
      [[1, 1]],
      [1],
    ),
  );
  assert.is(z.backend, gpu);
  assert.is(z.dtype, 'float32');
  // min z1² + z2² − 2z1 − 4z2 s.t. z1 + z2 ≤ 1: z = (0, 1).
  const v = Array.from(await z.data());
  assert.ok(Math.abs(v[0]) < 1e-4 && Math.abs(v[1] - 1) < 1e-4, `z ${v}`);
});

test('qp() on an asynchronous backend is SYNC_READ_UNSUPPORTED naming qpAsync and forwardAsync', async () => {
  const d = await toGpu(
    data(randomQp({ nBatch: 2, nz: 3, nIneq: 2, nEq: 0, dtype: f64, seed: 1 })),
  );
  await assertThrowsCode(
    () => qp(d[0]!, d[1]!, d[2], d[3]),
    'SYNC_READ_UNSUPPORTED',
    /^qp: .*gpu-like backend.*await qpAsync\(\.\.\.\).*layer\.forwardAsync\(p\)/,
  );
});

test('a Q that is not positive definite rejects qpAsync, naming the batch item', async () => {
  const Q = await T.tensor([
    [
      [2, 0],
      [0, 2],
    ],
    [
      [1, 2],
      [2, 1],
    ],
  ]).to(gpu);
  const p = await T.ones([2, 2]).to(gpu);
  const G = await T.tensor([[1, 0]]).to(gpu);
  const h = await T.ones([1]).to(gpu);
  let err: T.OptnetError | null = null;
  await on(gpu, () => qpAsync(Q, p, G, h)).catch(
    (e: T.OptnetError) => (err = e),
  );
  assert.ok(err !== null, 'rejected');
  const e = err as unknown as T.OptnetError;
  assert.ok(['Q_NOT_PSD', 'NOT_POSITIVE_DEFINITE'].includes(e.code), e.code);
  assert.match(e.message, /batch item 1/);
  // Reported once: the backend reads again afterwards.
  assert.equal(
    await T.ones([1])
      .to(gpu)
      .then((t) => t.toArray()),
    [1],
  );
});

/** Linear → OptNetLayer, float32 solve; built with the current backend. */
function model(): Sequential {
  const rng = T.makeRng(21);
  return new Sequential(
    new Linear(3, 4, { rng }),
    new OptNetLayer({ nz: 4, nIneq: 5, nEq: 1, solveDtype: 'float32', rng }),
  );
}

test('OptNetLayer.forwardAsync in a Sequential: the CPU float32 results, forward and backward', async () => {
  const run = async () => {
    const m = model();
    const x = T.randn([6, 3], { rng: T.makeRng(2) });
    const z = await m.forwardAsync(x);
    z.square().sum().backward();
    return [z, ...m.parameters().map((t) => t.grad!)];
  };
  const want = await on(cpu, run);
  const got = await on(gpu, run);
  for (let i = 0; i < want.length; i++) {
    assert.is(got[i].backend, gpu);
    const e = await relErr(got[i], want[i]);
    assert.ok(e < 1e-3, `result ${i}: relative error ${e}`);
  }
});

test('OptNetLayer trains on the GPU-like backend (Adam, forwardAsync), and refuses a float64 solve there', async () => {
  await on(gpu, async () => {
    const m = model();
    const opt = new Adam(m.parameters(), { lr: 0.05 });
    const rng = T.makeRng(3);
    const x = T.randn([8, 3], { rng });
    const target = T.randn([8, 4], { rng }).mul(0.5);
    const losses: number[] = [];
    for (let step = 0; step < 15; step++) {
      const loss = mseLoss(await m.forwardAsync(x), target);
      losses.push(await loss.item());
      opt.zeroGrad();
      loss.backward();
      opt.step();
    }
    assert.ok(losses[14] < 0.5 * losses[0], `losses ${losses.join(', ')}`);
    const f64Layer = new OptNetLayer({ nz: 2, nIneq: 2, rng: T.makeRng(1) });
    await assertThrowsCode(
      () => f64Layer.forwardAsync(T.ones([2])),
      'DTYPE_UNSUPPORTED',
      /^OptNetLayer: the gpu-like backend holds float32, int32, bool; got solveDtype float64\. Pass solveDtype: 'float32'/,
    );
  });
});

test.run();
