import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '@optnet/tensor';
import type { Tensor } from '@optnet/tensor';
import {
  assertClose,
  assertThrowsCodeSync as throwsCode,
} from '@optnet/tensor/testing';
import '@optnet/autograd';
import {
  Adam,
  AdamW,
  SGD,
  clipGradNorm,
  type AdamOptions,
  type SgdOptions,
} from '@optnet/nn';

const f64 = { dtype: 'float64' } as const;

// Scalar transcriptions of the update rules in PyTorch's documentation
// (torch.optim.SGD / Adam / AdamW), applied to each coordinate.
function sgdRef(
  theta: number,
  grads: number[],
  o: Required<SgdOptions>,
): number {
  let buf: number | null = null;
  for (const g0 of grads) {
    let g = o.maximize ? -g0 : g0;
    g += o.weightDecay * theta;
    if (o.momentum !== 0) {
      buf = buf === null ? g : o.momentum * buf + (1 - o.dampening) * g;
      g = o.nesterov ? g + o.momentum * buf : buf;
    }
    theta -= o.lr * g;
  }
  return theta;
}

interface AdamRefOptions {
  lr: number;
  b1: number;
  b2: number;
  eps: number;
  wd: number;
  decoupled: boolean;
  amsgrad: boolean;
}

function adamRef(theta: number, grads: number[], o: AdamRefOptions): number {
  let m = 0;
  let v = 0;
  let vMax = 0;
  grads.forEach((g0, k) => {
    const t = k + 1;
    let g = g0;
    if (o.decoupled) theta *= 1 - o.lr * o.wd;
    else g += o.wd * theta;
    m = o.b1 * m + (1 - o.b1) * g;
    v = o.b2 * v + (1 - o.b2) * g * g;
    vMax = Math.max(vMax, v);
    const mHat = m / (1 - o.b1 ** t);
    const vHat = (o.amsgrad ? vMax : v) / (1 - o.b2 ** t);
    theta -= (o.lr * mHat) / (Math.sqrt(vHat) + o.eps);
  });
  return theta;
}

const theta0 = [1.5, -0.5, 2];
const gradSeq = [
  [0.3, -1.2, 0.05],
  [0.1, -0.7, -0.4],
  [-0.2, 0.9, 0.6],
  [0.5, 0.5, -0.1],
];

/**
 * Run `steps` steps of `opt` on one param with the fixed gradient sequence;
 * return θ.
 */
function runFixedGrads(
  make: (ps: Tensor[]) => { step(): void },
  steps: number,
): number[] {
  const p = T.tensor(theta0, { ...f64, requiresGrad: true });
  const opt = make([p]);
  for (let k = 0; k < steps; k++) {
    p.grad = T.tensor(gradSeq[k], f64);
    opt.step();
  }
  return Array.from(p.dataSync());
}

function expectRef(
  steps: number,
  ref: (theta: number, grads: number[]) => number,
): number[] {
  return theta0.map((th, j) =>
    ref(
      th,
      gradSeq.slice(0, steps).map((g) => g[j]),
    ),
  );
}

const sgdDefaults = {
  lr: 0.1,
  momentum: 0,
  dampening: 0,
  weightDecay: 0,
  nesterov: false,
  maximize: false,
};

test('SGD: first steps by hand (plain, momentum buf = g, dampening, nesterov, weight decay)', async () => {
  const g = gradSeq[0];
  await assertClose(
    runFixedGrads((ps) => new SGD(ps, { lr: 0.1 }), 1),
    theta0.map((t, j) => t - 0.1 * g[j]),
  );
  // With momentum the first buffer is g itself (no dampening applied yet).
  const mom = runFixedGrads(
    (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9, dampening: 0.5 }),
    1,
  );
  await assertClose(
    mom,
    theta0.map((t, j) => t - 0.1 * g[j]),
    { rtol: 1e-14 },
  );
  // Nesterov first step: g + μ·g = 1.9·g.
  const nes = runFixedGrads(
    (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true }),
    1,
  );
  await assertClose(
    nes,
    theta0.map((t, j) => t - 0.1 * 1.9 * g[j]),
    { rtol: 1e-14 },
  );
  const wd = runFixedGrads(
    (ps) => new SGD(ps, { lr: 0.1, weightDecay: 0.01 }),
    1,
  );
  await assertClose(
    wd,
    theta0.map((t, j) => t - 0.1 * (g[j] + 0.01 * t)),
    { rtol: 1e-14 },
  );
  const max = runFixedGrads(
    (ps) => new SGD(ps, { lr: 0.1, maximize: true }),
    1,
  );
  await assertClose(
    max,
    theta0.map((t, j) => t + 0.1 * g[j]),
    { rtol: 1e-14 },
  );
});

test('SGD: four steps match the documented rule for each option set', async () => {
  const cases: Partial<SgdOptions>[] = [
    { momentum: 0.9 },
    { momentum: 0.8, dampening: 0.3 },
    { momentum: 0.9, nesterov: true, weightDecay: 0.05 },
    { momentum: 0.5, maximize: true, weightDecay: 0.1 },
  ];
  for (const c of cases) {
    const o = { ...sgdDefaults, ...c };
    const got = runFixedGrads((ps) => new SGD(ps, o), 4);
    await assertClose(
      got,
      expectRef(4, (th, gs) => sgdRef(th, gs, o)),
      { rtol: 1e-13 },
    );
  }
});

const adamBase: AdamRefOptions = {
  lr: 0.01,
  b1: 0.9,
  b2: 0.999,
  eps: 1e-8,
  wd: 0,
  decoupled: false,
  amsgrad: false,
};

test('Adam: bias correction makes step 1 ≈ −lr·sign(g); steps 1 and 3 match the rule', async () => {
  const one = runFixedGrads((ps) => new Adam(ps, { lr: 0.01 }), 1);
  // m̂ = g, v̂ = g², so θ₁ = θ₀ − lr·g/(|g| + ε).
  const g = gradSeq[0];
  await assertClose(
    one,
    theta0.map((t, j) => t - (0.01 * g[j]) / (Math.abs(g[j]) + 1e-8)),
    { rtol: 1e-12 },
  );
  const three = runFixedGrads((ps) => new Adam(ps, { lr: 0.01 }), 3);
  await assertClose(
    three,
    expectRef(3, (th, gs) => adamRef(th, gs, adamBase)),
    { rtol: 1e-12 },
  );
  const opts: AdamOptions = {
    lr: 0.05,
    betas: [0.8, 0.99],
    eps: 1e-6,
    weightDecay: 0.1,
    amsgrad: true,
  };
  const ams = runFixedGrads((ps) => new Adam(ps, opts), 4);
  const ref = {
    ...adamBase,
    lr: 0.05,
    b1: 0.8,
    b2: 0.99,
    eps: 1e-6,
    wd: 0.1,
    amsgrad: true,
  };
  await assertClose(
    ams,
    expectRef(4, (th, gs) => adamRef(th, gs, ref)),
    { rtol: 1e-12 },
  );
});

test('AdamW: decoupled decay θ(1 − lr·λ) differs from Adam’s L2 decay', async () => {
  const lr = 0.1;
  const wd = 0.5;
  const w = runFixedGrads((ps) => new AdamW(ps, { lr, weightDecay: wd }), 1);
  const g = gradSeq[0];
  await assertClose(
    w,
    theta0.map(
      (t, j) => t * (1 - lr * wd) - (lr * g[j]) / (Math.abs(g[j]) + 1e-8),
    ),
    {
      rtol: 1e-12,
    },
  );
  const a = runFixedGrads((ps) => new Adam(ps, { lr, weightDecay: wd }), 1);
  // Adam folds λθ into g, and step 1 normalizes it away: θ₁ = θ₀ − lr·sign(g +
  // λθ₀).
  await assertClose(
    a,
    theta0.map((t, j) => t - lr * Math.sign(g[j] + wd * t)),
    { rtol: 1e-7 },
  );
  assert.ok(Math.abs(w[0] - a[0]) > 1e-2);
  const w3 = runFixedGrads((ps) => new AdamW(ps, { lr, weightDecay: wd }), 3);
  const ref = { ...adamBase, lr, wd, decoupled: true };
  await assertClose(
    w3,
    expectRef(3, (th, gs) => adamRef(th, gs, ref)),
    { rtol: 1e-12 },
  );
  assert.is(new AdamW([T.ones([1])]).options.weightDecay, 1e-2);
});

/** f(θ) = ½ Σ a_i (θ_i − c_i)², minimized at c. */
function quadratic(): { p: Tensor; loss: () => Tensor; c: number[] } {
  const p = T.tensor([3, -4, 0.5], { ...f64, requiresGrad: true });
  const a = T.tensor([1, 4, 0.5], f64);
  const c = [1, 2, -1];
  const ct = T.tensor(c, f64);
  return { p, c, loss: () => p.sub(ct).square().mul(a).sum().mul(0.5) };
}

test('SGD (nesterov) and Adam minimize a quadratic', async () => {
  for (const make of [
    (ps: Tensor[]) => new SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true }),
    (ps: Tensor[]) => new Adam(ps, { lr: 0.05 }),
  ]) {
    const { p, loss, c } = quadratic();
    const opt = make([p]);
    for (let k = 0; k < 400; k++) {
      opt.zeroGrad();
      loss().backward();
      opt.step();
    }
    await assertClose(p, c, { atol: 1e-3 });
  }
});

test('step: updates in place, skips params without grad, survives an enclosing scope', async () => {
  const { p, loss } = quadratic();
  const frozen = T.tensor([1, 2], { ...f64, requiresGrad: true });
  const opt = new SGD([p, frozen], { lr: 0.1, momentum: 0.9 });
  for (let k = 0; k < 3; k++) {
    T.scope(() => {
      opt.zeroGrad();
      loss().backward();
      opt.step();
    });
  }
  assert.is(opt.params[0], p);
  assert.is(opt.stepCount, 3);
  await assertClose(frozen, [1, 2]);
  const state = opt.stateDict();
  assert.equal([...state.tensors.keys()], ['0.momentum_buffer']);
  assert.is(state.meta['0.step'], '3');
  assert.is(state.meta['1.step'], undefined);
  assert.equal(Array.from(state.tensors.get('0.momentum_buffer')!.shape), [3]);
});

/** A deterministic loss over two params of different shapes. */
function twoParamProblem(): { ps: Tensor[]; loss: () => Tensor } {
  const rng = T.makeRng(5);
  const A = T.randn([4, 3], { ...f64, rng });
  const b = T.randn([4, 2], { ...f64, rng });
  const w = T.randn([3, 2], { ...f64, rng, requiresGrad: true });
  const bias = T.randn([2], { ...f64, rng, requiresGrad: true });
  return {
    ps: [w, bias],
    loss: () => A.matmul(w).add(bias).sub(b).square().sum().add(w.abs().sum()),
  };
}

function runSteps(
  opt: { step(): void; zeroGrad(): void },
  loss: () => Tensor,
  n: number,
): void {
  for (let k = 0; k < n; k++) {
    opt.zeroGrad();
    loss().backward();
    opt.step();
  }
}

test('stateDict/loadStateDict: resuming in a fresh optimizer is bit-identical', () => {
  type Make = (ps: Tensor[]) => SGD | Adam;
  const makers: Make[] = [
    (ps) =>
      new SGD(ps, {
        lr: 0.01,
        momentum: 0.9,
        nesterov: true,
        weightDecay: 0.01,
      }),
    (ps) => new Adam(ps, { lr: 0.01, amsgrad: true, weightDecay: 0.01 }),
    (ps) => new AdamW(ps, { lr: 0.02, betas: [0.85, 0.995] }),
  ];
  for (const make of makers) {
    const a = twoParamProblem();
    const optA = make(a.ps);
    runSteps(optA, a.loss, 3);
    const saved = optA.stateDict();
    const savedParams = a.ps.map((p) => p.mul(1));
    runSteps(optA, a.loss, 4);

    const b = twoParamProblem();
    b.ps.forEach((p, i) => p.assign(savedParams[i].mul(1)));
    // Different hyperparameters on purpose: loading restores the saved ones.
    const optB = make(b.ps);
    optB.options.lr = 123;
    optB.loadStateDict(saved);
    assert.is(optB.stepCount, 3);
    runSteps(optB, b.loss, 4);
    a.ps.forEach((p, i) =>
      assert.equal(
        Array.from(b.ps[i].dataSync()),
        Array.from(p.dataSync()),
        optA.type,
      ),
    );
    // The saved state is a snapshot: the later steps did not change it.
    assert.is(saved.meta.step, '3');
  }
});

test('loadStateDict: type, count, names and shapes are checked before anything changes', () => {
  const { ps, loss } = twoParamProblem();
  const adam = new Adam(ps);
  runSteps(adam, loss, 1);
  const state = adam.stateDict();
  throwsCode(
    () => new SGD(ps).loadStateDict(state),
    'STATE_MISMATCH',
    /from a SGD; got type 'Adam'/,
  );
  throwsCode(
    () => new AdamW(ps).loadStateDict(state),
    'STATE_MISMATCH',
    /AdamW/,
  );
  throwsCode(
    () => new Adam([ps[0]]).loadStateDict(state),
    'STATE_MISMATCH',
    /1 parameters; got 2/,
  );
  const other = [T.zeros([2, 3], f64), T.zeros([2], f64)];
  throwsCode(
    () => new Adam(other).loadStateDict(state),
    'STATE_MISMATCH',
    /'0\.exp_avg' must match parameter 0/,
  );
  const renamed = {
    meta: state.meta,
    tensors: new Map([['0.momentum', T.zeros([3, 2], f64)]]),
  };
  throwsCode(
    () => new Adam(ps).loadStateDict(renamed),
    'STATE_MISMATCH',
    /'0\.momentum'/,
  );
  const badMeta = {
    meta: { ...state.meta, betas: '0.9' },
    tensors: state.tensors,
  };
  throwsCode(
    () => new Adam(ps).loadStateDict(badMeta),
    'STATE_MISMATCH',
    /betas/,
  );
  const badValue = {
    meta: { ...state.meta, lr: '-1' },
    tensors: state.tensors,
  };
  throwsCode(() => new Adam(ps).loadStateDict(badValue), 'BAD_OPTION', /lr -1/);
  const fresh = new Adam(ps, { lr: 0.5 });
  throwsCode(
    () =>
      fresh.loadStateDict({ ...state, meta: { ...state.meta, type: 'SGD' } }),
    'STATE_MISMATCH',
  );
  assert.is(fresh.options.lr, 0.5);
  assert.is(fresh.stateDict().tensors.size, 0);
});

test('optimizers: BAD_OPTION errors name the option and value', () => {
  const p = [T.ones([2])];
  throwsCode(
    () => new SGD(p, { lr: -0.1 }),
    'BAD_OPTION',
    /SGD: lr must be ≥ 0; got lr -0.1/,
  );
  throwsCode(() => new SGD(p, { momentum: -1 }), 'BAD_OPTION', /momentum -1/);
  throwsCode(
    () => new SGD(p, { nesterov: true }),
    'BAD_OPTION',
    /nesterov needs momentum > 0/,
  );
  throwsCode(
    () => new SGD(p, { nesterov: true, momentum: 0.9, dampening: 0.1 }),
    'BAD_OPTION',
    /dampening 0\.1/,
  );
  throwsCode(
    () => new SGD(p, { weightDecay: -1 }),
    'BAD_OPTION',
    /weightDecay/,
  );
  throwsCode(
    () => new Adam(p, { betas: [0.9, 1] }),
    'BAD_OPTION',
    /betas\[1\] must be in \[0, 1\); got betas\[1\] 1/,
  );
  throwsCode(
    () => new Adam(p, { betas: [-0.1, 0.9] }),
    'BAD_OPTION',
    /betas\[0\]/,
  );
  throwsCode(() => new AdamW(p, { eps: -1 }), 'BAD_OPTION', /AdamW: eps/);
  throwsCode(() => new Adam(p, { lr: Number.NaN }), 'BAD_OPTION', /lr NaN/);
  throwsCode(() => new Adam([]), 'BAD_OPTION', /non-empty/);
  throwsCode(() => new SGD([p[0], p[0]]), 'BAD_OPTION', /repeat/);
  throwsCode(
    () => new SGD([T.ones([2], { dtype: 'int32' })]),
    'BAD_OPTION',
    /float/,
  );
});

test('clipGradNorm: returns the total norm and scales to maxNorm; untouched below it', async () => {
  const a = T.tensor([3, 4], { ...f64, requiresGrad: true });
  const b = T.tensor([[12]], { ...f64, requiresGrad: true });
  const c = T.tensor([7], { ...f64, requiresGrad: true }); // no grad: skipped
  const setGrads = (): void => {
    a.grad = T.tensor([3, -4], f64);
    b.grad = T.tensor([[12]], f64);
  };
  setGrads();
  const total = clipGradNorm([a, b, c], 6.5);
  assert.ok(Math.abs(total.itemSync() - 13) < 1e-12); // √(9 + 16 + 144)
  const k = 6.5 / (13 + 1e-6);
  await assertClose(a.grad!, [3 * k, -4 * k], { rtol: 1e-12 });
  await assertClose(b.grad!, [[12 * k]], { rtol: 1e-12 });
  assert.is(c.grad, null);
  const after = Math.hypot(
    ...Array.from(a.grad!.dataSync()),
    ...Array.from(b.grad!.dataSync()),
  );
  assert.ok(Math.abs(after - 6.5) < 1e-5);

  setGrads();
  assert.ok(Math.abs(clipGradNorm([a, b], 20).itemSync() - 13) < 1e-12);
  assert.equal(Array.from(a.grad!.dataSync()), [3, -4]);
  assert.equal(Array.from(b.grad!.dataSync()), [12]);

  setGrads();
  assert.is(clipGradNorm([a, b], 100, { normType: Infinity }).itemSync(), 12);
  setGrads();
  assert.ok(
    Math.abs(clipGradNorm([a, b], 100, { normType: 1 }).itemSync() - 19) <
      1e-12,
  );
  setGrads();
  assert.ok(
    Math.abs(
      clipGradNorm([a, b], 100, { normType: 3 }).itemSync() -
        Math.cbrt(27 + 64 + 1728),
    ) < 1e-10,
  );
  assert.is(clipGradNorm([c], 1).itemSync(), 0);
  throwsCode(() => clipGradNorm([a], -1), 'BAD_OPTION', /maxNorm -1/);
});

test('zeroGrad disposes the old gradients (a GPU would never free them)', () => {
  const w = T.tensor([1, 2]).requiresGrad_();
  const opt = new SGD([w], { lr: 0.1 });
  w.mul(w).sum().backward();
  const g = w.grad!;
  opt.zeroGrad();
  assert.is(w.grad, null);
  assert.ok(g.isDisposed);
});

test('an unknown option is refused, naming the closest known one (PyTorch spellings such as weight_decay included)', () => {
  const p = T.zeros([2], { requiresGrad: true });
  const cases: [() => unknown, RegExp][] = [
    [
      () => new Adam([p], { weight_decay: 0.1 } as AdamOptions),
      /^Adam: unknown option 'weight_decay'; got weight_decay: 0\.1\. Did you mean 'weightDecay'\? Known options: lr, betas/,
    ],
    [
      () => new AdamW([p], { lR: 0.1 } as AdamOptions),
      /^AdamW: unknown option 'lR'.*Did you mean 'lr'\?/,
    ],
    [
      () => new SGD([p], { nestrov: true } as SgdOptions),
      /^SGD: unknown option 'nestrov'.*Did you mean 'nesterov'\?/,
    ],
  ];
  for (const [make, message] of cases) throwsCode(make, 'BAD_OPTION', message);
  // undefined counts as unset, as for every option
  new SGD([p], { lr: 0.1, momentum: undefined });
});

test.run();
