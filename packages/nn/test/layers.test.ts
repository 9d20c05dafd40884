import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '@optnet/tensor';
import type { Tensor } from '@optnet/tensor';
import { checkVjp } from '@optnet/autograd/testing';
import {
  AvgPool2d,
  BatchNorm1d,
  BatchNorm2d,
  Conv2d,
  Dropout,
  Flatten,
  Linear,
  LogSoftmax,
  MaxPool2d,
  NnError,
  ReLU,
  Sequential,
  Sigmoid,
  Softmax,
  Softplus,
  Tanh,
} from '@optnet/nn';
import { assertThrowsCodeSync as throwsCode } from '@optnet/tensor/testing';

const f64 = { dtype: 'float64' } as const;
const rng = T.makeRng(123);
const randn = (shape: number[]): Tensor => T.randn(shape, { ...f64, rng });
const vals = (t: Tensor): number[] => Array.from(t.dataSync());

function assertGrad(
  f: (...xs: Tensor[]) => Tensor,
  args: Tensor[],
  tol = 1e-6,
): void {
  const r = checkVjp(f, args, { rng: T.makeRng(7) });
  assert.ok(
    r.relError < tol,
    `relError ${r.relError} (analytic ${r.analytic}, numeric ${r.numeric})`,
  );
}

function assertClose(a: number[], b: number[], tol = 1e-9): void {
  assert.is(a.length, b.length);
  a.forEach((v, i) =>
    assert.ok(
      Math.abs(v - b[i]) <= tol * (1 + Math.abs(b[i])),
      `at ${i}: ${v} vs ${b[i]}`,
    ),
  );
}

test('Linear: x·Wᵀ + b by hand, leading axes, vector input, no bias', () => {
  const lin = new Linear(3, 2, f64);
  lin.weight.assign(
    T.tensor(
      [
        [1, 2, 3],
        [-1, 0, 1],
      ],
      f64,
    ),
  );
  lin.bias!.assign(T.tensor([0.5, -0.5], f64));
  const x = T.tensor([[[1, 1, 1]], [[2, 0, -1]]], f64); // [2, 1, 3]
  const y = lin.forward(x);
  assert.equal(y.shape, [2, 1, 2]);
  assertClose(vals(y), [6.5, -0.5, -0.5, -3.5]);
  assertClose(vals(lin.forward(T.tensor([1, 1, 1], f64))), [6.5, -0.5]);
  const nb = new Linear(3, 2, { ...f64, bias: false });
  assert.is(nb.bias, null);
  assert.is(nb.parameters().length, 1);
});

test('Linear: gradcheck w.r.t. input, weight and bias', () => {
  const lin = new Linear(4, 3, f64);
  assertGrad(
    (x, w, b) => {
      lin.weight = w;
      lin.bias = b;
      return lin.forward(x);
    },
    [randn([2, 5, 4]), randn([3, 4]), randn([3])],
  );
});

test('Linear: errors name the layer, shapes and a hint; options validated', () => {
  const lin = new Linear(784, 10);
  throwsCode(
    () => lin.forward(T.zeros([2, 100])),
    'SHAPE_MISMATCH',
    /^Linear: .*784.*got x\[2, 100\]\. .*Flatten/,
  );
  throwsCode(
    () => lin.forward(T.zeros([2, 784], f64)),
    'DTYPE_MISMATCH',
    /float32.*float64/,
  );
  throwsCode(() => new Linear(0, 3), 'BAD_OPTION', /in_features/);
  throwsCode(() => new Linear(2, 3, { dtype: 'int32' as never }), 'BAD_OPTION');
  assert.is(String(lin), 'Linear(in_features=784, out_features=10, bias=true)');
});

/** Direct-loop conv2d (the definition), on flat arrays. */
function naiveConv(
  x: Tensor,
  w: Tensor,
  b: Tensor,
  s: number[],
  p: number[],
  d: number[],
  groups: number,
): number[] {
  const [n, c, h, wd] = x.shape;
  const [o, cg, kh, kw] = w.shape;
  const xv = vals(x),
    wv = vals(w),
    bv = vals(b);
  const ho = Math.floor((h + 2 * p[0] - d[0] * (kh - 1) - 1) / s[0]) + 1;
  const wo = Math.floor((wd + 2 * p[1] - d[1] * (kw - 1) - 1) / s[1]) + 1;
  const out: number[] = [];
  for (let ni = 0; ni < n; ni++)
    for (let oi = 0; oi < o; oi++) {
      const g = Math.floor(oi / (o / groups));
      for (let i = 0; i < ho; i++)
        for (let j = 0; j < wo; j++) {
          let acc = bv[oi];
          for (let ci = 0; ci < cg; ci++)
            for (let a = 0; a < kh; a++)
              for (let bb = 0; bb < kw; bb++) {
                const hi = i * s[0] - p[0] + a * d[0];
                const wi = j * s[1] - p[1] + bb * d[1];
                if (hi < 0 || hi >= h || wi < 0 || wi >= wd) continue;
                const cin = g * cg + ci;
                acc +=
                  xv[((ni * c + cin) * h + hi) * wd + wi] *
                  wv[((oi * cg + ci) * kh + a) * kw + bb];
              }
          out.push(acc);
        }
    }
  return out;
}

test('Conv2d: matches a direct loop with stride, padding, dilation and groups', () => {
  const conv = new Conv2d(4, 6, [3, 2], {
    stride: [2, 1],
    padding: [1, 2],
    dilation: [1, 2],
    groups: 2,
    ...f64,
    rng,
  });
  const x = randn([2, 4, 7, 6]);
  const y = conv.forward(x);
  const ref = naiveConv(x, conv.weight, conv.bias!, [2, 1], [1, 2], [1, 2], 2);
  assert.equal(y.shape, [2, 6, 4, 8]);
  assertClose(vals(y), ref, 1e-12);
  // Unbatched [C, H, W] gives the batch-of-one result without the batch axis.
  assertClose(
    vals(conv.forward(x.slice([{ start: 0, stop: 1 }]).squeeze(0))),
    ref.slice(0, 6 * 4 * 8),
    1e-12,
  );
});

test('Conv2d: gradcheck w.r.t. input, weight, bias (stride/padding/dilation/groups)', () => {
  const conv = new Conv2d(4, 2, 3, {
    stride: 2,
    padding: 1,
    dilation: 2,
    groups: 2,
    ...f64,
  });
  assertGrad(
    (x, w, b) => {
      conv.weight = w;
      conv.bias = b;
      return conv.forward(x);
    },
    [randn([2, 4, 6, 5]), randn([2, 2, 3, 3]), randn([2])],
  );
});

test('Conv2d: options and input validated; repr like PyTorch', () => {
  throwsCode(
    () => new Conv2d(3, 4, 3, { groups: 2 }),
    'BAD_OPTION',
    /divisible by groups/,
  );
  throwsCode(() => new Conv2d(3, 4, 0), 'BAD_OPTION', /kernel_size/);
  throwsCode(() => new Conv2d(3, 4, 3, { stride: 0 }), 'BAD_OPTION', /stride/);
  throwsCode(
    () => new Conv2d(3, 4, 3, { padding: -1 }),
    'BAD_OPTION',
    /padding/,
  );
  const conv = new Conv2d(3, 8, 3);
  throwsCode(
    () => conv.forward(T.zeros([2, 28, 28, 3])),
    'SHAPE_MISMATCH',
    /^Conv2d: .*got x\[2, 28, 28, 3\]\. .*permute/,
  );
  throwsCode(
    () => conv.forward(T.zeros([1, 3, 2, 8])),
    'SHAPE_MISMATCH',
    /along H/,
  );
  assert.is(String(conv), 'Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1))');
  assert.is(
    String(new Conv2d(4, 8, [3, 1], { padding: 1, groups: 2, bias: false })),
    'Conv2d(4, 8, kernel_size=(3, 1), stride=(1, 1), padding=(1, 1), groups=2, bias=false)',
  );
});

test('MaxPool2d / AvgPool2d: window max and mean by hand; gradchecks', () => {
  const x = T.tensor(
    [
      [
        [
          [1, 2, 3, 4],
          [5, 6, 7, 8],
          [9, 10, 11, 12],
          [13, 14, 15, 16],
        ],
      ],
    ],
    f64,
  );
  assertClose(vals(new MaxPool2d(2).forward(x)), [6, 8, 14, 16]);
  assertClose(vals(new AvgPool2d(2).forward(x)), [3.5, 5.5, 11.5, 13.5]);
  // stride 1, padding 1, kernel 3: corners see 4 values, averaged over 9 (zeros
  // counted).
  const avg = new AvgPool2d(3, { stride: 1, padding: 1 }).forward(x);
  assert.equal(avg.shape, [1, 1, 4, 4]);
  assertClose(vals(avg).slice(0, 1), [(1 + 2 + 5 + 6) / 9]);
  assertClose(
    vals(new MaxPool2d(3, { stride: 2, padding: 1 }).forward(x.neg())),
    [-1, -2, -5, -6],
  );
  const mp = new MaxPool2d([2, 3], { stride: [2, 1], padding: [1, 1] });
  assertGrad((t) => mp.forward(t), [randn([2, 3, 5, 6])]);
  const ap = new AvgPool2d(3, { stride: 2, padding: 1 });
  assertGrad((t) => ap.forward(t), [randn([2, 3, 5, 6])]);
  throwsCode(
    () => new MaxPool2d(2, { padding: 2 }),
    'BAD_OPTION',
    /half the kernel/,
  );
  throwsCode(
    () => new MaxPool2d(2).forward(T.zeros([4, 16])),
    'SHAPE_MISMATCH',
    /^MaxPool2d: .*got x\[4, 16\]/,
  );
  assert.is(
    String(new MaxPool2d(2)),
    'MaxPool2d(kernel_size=2, stride=2, padding=0)',
  );
});

test('Flatten: default keeps the batch axis; custom range; errors', () => {
  const x = randn([2, 3, 4, 5]);
  assert.equal(new Flatten().forward(x).shape, [2, 60]);
  assert.equal(
    new Flatten({ startDim: 0, endDim: 1 }).forward(x).shape,
    [6, 4, 5],
  );
  assert.equal(new Flatten({ startDim: -2 }).forward(x).shape, [2, 3, 20]);
  assertClose(vals(new Flatten().forward(x)), vals(x));
  throwsCode(
    () => new Flatten({ startDim: 5 }).forward(x),
    'SHAPE_MISMATCH',
    /^Flatten: /,
  );
  throwsCode(
    () => new Flatten({ startDim: 2, endDim: 1 }).forward(x),
    'SHAPE_MISMATCH',
    /start_dim/,
  );
  assert.is(String(new Flatten()), 'Flatten(start_dim=1, end_dim=-1)');
});

test('Dropout: eval is identity; training zeroes ≈ p and scales by 1/(1−p); seeded', () => {
  const x = T.ones([100, 100], f64);
  const p = 0.3;
  const y = vals(new Dropout(p, { rng: T.makeRng(1) }).forward(x));
  const zeros = y.filter((v) => v === 0).length / y.length;
  assert.ok(Math.abs(zeros - p) < 0.02, `zero fraction ${zeros}`);
  assert.ok(y.every((v) => v === 0 || Math.abs(v - 1 / (1 - p)) < 1e-12));
  assert.equal(vals(new Dropout(p, { rng: T.makeRng(1) }).forward(x)), y);
  assert.not.equal(vals(new Dropout(p, { rng: T.makeRng(2) }).forward(x)), y);
  const d = new Dropout(p);
  assert.ok(d.eval().forward(x) === x);
  assert.ok(vals(new Dropout(1).forward(x)).every((v) => v === 0));
  throwsCode(() => new Dropout(1.5), 'BAD_OPTION', /\[0, 1\]/);
  throwsCode(() => new Dropout(-0.1), 'BAD_OPTION');
  // Fixed seed: every call of f draws the same mask, so f is a fixed linear
  // map.
  assertGrad(
    (t) => new Dropout(0.4, { rng: T.makeRng(3) }).forward(t),
    [randn([4, 6])],
  );
});

function channelStats(
  v: number[],
  shape: readonly number[],
): { mean: number[]; varB: number[] } {
  const [n, c] = shape;
  const inner = shape.slice(2).reduce((a, b) => a * b, 1);
  const mean: number[] = [],
    varB: number[] = [];
  for (let ci = 0; ci < c; ci++) {
    const xs: number[] = [];
    for (let ni = 0; ni < n; ni++)
      for (let k = 0; k < inner; k++) xs.push(v[(ni * c + ci) * inner + k]);
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    mean.push(m);
    varB.push(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
  }
  return { mean, varB };
}

test('BatchNorm2d: training output has mean 0 / var 1 per channel; running stats by formula; eval uses them', () => {
  const bn = new BatchNorm2d(3, f64);
  const x = randn([4, 3, 5, 2])
    .mul(2)
    .add(T.tensor([[[[1]], [[-3]], [[5]]]], f64));
  const y = bn.forward(x);
  const ys = channelStats(vals(y), y.shape);
  assertClose(ys.mean, [0, 0, 0], 1e-12);
  const { mean, varB } = channelStats(vals(x), x.shape);
  assertClose(
    ys.varB,
    varB.map((v) => v / (v + 1e-5)),
    1e-10,
  );
  const n = 4 * 5 * 2;
  assertClose(
    vals(bn.runningMean!),
    mean.map((m) => 0.1 * m),
    1e-12,
  );
  assertClose(
    vals(bn.runningVar!),
    varB.map((v) => 0.9 + (0.1 * v * n) / (n - 1)),
    1e-12,
  );
  assert.is(bn.numBatchesTracked!.itemSync(), 1);
  assert.is(bn.numBatchesTracked!.dtype, 'int32');
  bn.eval();
  const rm = vals(bn.runningMean!),
    rv = vals(bn.runningVar!);
  const z = randn([2, 3, 2, 2]);
  const want = vals(z).map((v, i) => {
    const c = Math.floor(i / 4) % 3;
    return (v - rm[c]) / Math.sqrt(rv[c] + 1e-5);
  });
  assertClose(vals(bn.forward(z)), want, 1e-12);
  assertClose(vals(bn.runningMean!), rm); // eval leaves the statistics alone
});

test('BatchNorm1d: [N, C] and [N, C, L]; momentum null is the cumulative average', () => {
  const bn = new BatchNorm1d(2, { ...f64, momentum: null });
  const a = randn([5, 2]),
    b = randn([6, 2, 3]);
  bn.forward(a);
  bn.forward(b);
  const ma = channelStats(vals(a), a.shape).mean,
    mb = channelStats(vals(b), b.shape).mean;
  assertClose(
    vals(bn.runningMean!),
    [0, 1].map((c) => (ma[c] + mb[c]) / 2),
    1e-12,
  );
  assert.is(bn.numBatchesTracked!.itemSync(), 2);
  throwsCode(
    () => bn.forward(randn([2, 3])),
    'SHAPE_MISMATCH',
    /^BatchNorm1d: .*got x\[2, 3\]/,
  );
  throwsCode(
    () => bn.forward(randn([1, 2])),
    'SHAPE_MISMATCH',
    /more than 1 value/,
  );
  throwsCode(
    () => new BatchNorm2d(3).forward(T.zeros([2, 3])),
    'SHAPE_MISMATCH',
    /BatchNorm1d/,
  );
  throwsCode(
    () => new BatchNorm1d(3, { momentum: 2 }),
    'BAD_OPTION',
    /momentum/,
  );
  assert.is(
    String(new BatchNorm1d(4)),
    'BatchNorm1d(4, eps=0.00001, momentum=0.1, affine=true, track_running_stats=true)',
  );
});

test('BatchNorm without running stats or affine: batch statistics in eval too, no buffers', async () => {
  const bn = new BatchNorm1d(3, {
    ...f64,
    trackRunningStats: false,
    affine: false,
  }).eval();
  assert.is(bn.parameters().length, 0);
  assert.is(bn.namedBuffers().length, 0);
  const y = bn.forward(randn([8, 3]));
  assertClose(channelStats(vals(y), y.shape).mean, [0, 0, 0], 1e-12);
});

test('BatchNorm: gradcheck in training mode w.r.t. input, weight and bias', () => {
  for (const [bn, shape] of [
    [new BatchNorm2d(3, f64), [4, 3, 2, 3]],
    [new BatchNorm1d(3, f64), [5, 3]],
  ] as const) {
    assertGrad(
      (x, w, b) => {
        bn.weight = w;
        bn.bias = b;
        return bn.forward(x);
      },
      [randn([...shape]), randn([3]), randn([3])],
    );
  }
});

test('activations: values by formula and gradchecks', () => {
  const x = T.tensor([[-2, -0.5, 0.5, 3]], f64);
  const xs = [-2, -0.5, 0.5, 3];
  assertClose(vals(new ReLU().forward(x)), [0, 0, 0.5, 3]);
  assertClose(vals(new Tanh().forward(x)), xs.map(Math.tanh), 1e-14);
  assertClose(
    vals(new Sigmoid().forward(x)),
    xs.map((v) => 1 / (1 + Math.exp(-v))),
    1e-14,
  );
  const sp = new Softplus({ beta: 2, threshold: 4 });
  // βx = 6 > 4 is linear; the others (1/β)·log(1 + e^(βx)).
  assertClose(
    vals(sp.forward(x)),
    xs.map((v) => (2 * v > 4 ? v : Math.log1p(Math.exp(2 * v)) / 2)),
    1e-14,
  );
  const e = xs.map(Math.exp),
    se = e.reduce((a, b) => a + b, 0);
  assertClose(
    vals(new Softmax({ dim: 1 }).forward(x)),
    e.map((v) => v / se),
    1e-14,
  );
  assertClose(
    vals(new LogSoftmax().forward(x)),
    e.map((v) => Math.log(v / se)),
    1e-14,
  );
  const r = randn([3, 5]);
  for (const m of [
    new ReLU(),
    new Tanh(),
    new Sigmoid(),
    new Softplus({ beta: 1.5 }),
    new Softmax({ dim: 0 }),
    new LogSoftmax({ dim: 1 }),
  ]) {
    assertGrad((t) => m.forward(t), [r]);
  }
  assert.is(String(new Softplus()), 'Softplus(beta=1, threshold=20)');
  assert.is(String(new Softmax({ dim: 1 })), 'Softmax(dim=1)');
  throwsCode(() => new Softplus({ beta: 0 }), 'BAD_OPTION');
});

test('Sequential: chains forward; at/length/iteration; end-to-end gradcheck', () => {
  const conv = new Conv2d(2, 3, 3, { padding: 1, ...f64, rng });
  const lin = new Linear(12, 4, { ...f64, rng });
  const model = new Sequential(
    conv,
    new BatchNorm2d(3, f64),
    new ReLU(),
    new MaxPool2d(2),
    new Flatten(),
    lin,
  );
  assert.is(model.length, 6);
  assert.ok(model.at(0) === conv && model.at(-1) === lin);
  assert.equal(
    [...model].map((m) => m.constructor.name),
    ['Conv2d', 'BatchNorm2d', 'ReLU', 'MaxPool2d', 'Flatten', 'Linear'],
  );
  const x = randn([2, 2, 4, 4]);
  const y = model.forward(x);
  assert.equal(y.shape, [2, 4]);
  let h = x;
  for (const m of model)
    h = (m as unknown as { forward(t: Tensor): Tensor }).forward(h);
  assertClose(vals(y), vals(h), 1e-12);
  throwsCode(() => model.at(6), 'BAD_OPTION');
  assertGrad(
    (t, w) => {
      lin.weight = w;
      return model.forward(t);
    },
    [x, randn([4, 12])],
  );
  assert.instance(new NnError('BAD_OPTION', 'x'), Error);
});

test.run();
