import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '@optnet/tensor';
import type { Tensor } from '@optnet/tensor';
import {
  assertClose,
  assertThrowsCodeSync as throwsCode,
} from '@optnet/tensor/testing';
import '@optnet/autograd';
import { checkVjp } from '@optnet/autograd/testing';
import {
  BCEWithLogitsLoss,
  CrossEntropyLoss,
  MSELoss,
  NLLLoss,
  binaryCrossEntropyWithLogits,
  crossEntropy,
  mseLoss,
  nllLoss,
} from '@optnet/nn';

const f64 = { dtype: 'float64' } as const;
const i32 = { dtype: 'int32' } as const;

/** −log softmax(row)[k], by hand in float64. */
function nllOfRow(row: number[], k: number): number {
  const m = Math.max(...row);
  const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
  return lse - row[k];
}

const sum = (v: number[]): number => v.reduce((a, b) => a + b, 0);

const rows = [
  [1, 2, 3],
  [1, 0, -1],
  [0.5, -2, 0.25],
];
const labels = [2, 0, 1];

test('crossEntropy: −log softmax by hand, for each reduction', async () => {
  const x = T.tensor(rows, f64);
  const t = T.tensor(labels, i32);
  const per = rows.map((r, i) => nllOfRow(r, labels[i]));
  await assertClose(crossEntropy(x, t, { reduction: 'none' }), per, {
    rtol: 1e-12,
  });
  await assertClose(crossEntropy(x, t, { reduction: 'sum' }), [sum(per)], {
    rtol: 1e-12,
  });
  await assertClose(crossEntropy(x, t), [sum(per) / 3], { rtol: 1e-12 });
  // Unbatched: input [C], target [].
  const one = crossEntropy(T.tensor(rows[0], f64), T.tensor(2, i32), {
    reduction: 'none',
  });
  assert.equal(one.shape, []);
  await assertClose(one, [per[0]], { rtol: 1e-12 });
});

test('crossEntropy: class weights and ignoreIndex give the weighted mean Σ w[t]ℓ / Σ w[t]', async () => {
  const x = T.tensor(rows, f64);
  const t = T.tensor([2, -100, 1], i32);
  const w = [0.5, 2, 3];
  const weight = T.tensor(w, f64);
  const l0 = w[2] * nllOfRow(rows[0], 2);
  const l2 = w[1] * nllOfRow(rows[2], 1);
  await assertClose(
    crossEntropy(x, t, { weight, reduction: 'none' }),
    [l0, 0, l2],
    { rtol: 1e-12 },
  );
  await assertClose(
    crossEntropy(x, t, { weight, reduction: 'sum' }),
    [l0 + l2],
    { rtol: 1e-12 },
  );
  await assertClose(
    crossEntropy(x, t, { weight }),
    [(l0 + l2) / (w[2] + w[1])],
    { rtol: 1e-12 },
  );
  const t2 = T.tensor([2, 0, 1], i32);
  await assertClose(
    crossEntropy(x, t2, { ignoreIndex: 0 }),
    [(nllOfRow(rows[0], 2) + nllOfRow(rows[2], 1)) / 2],
    {
      rtol: 1e-12,
    },
  );
});

test('crossEntropy: label smoothing is (1 − ε)·nll + ε/C·Σ_c −log p_c', async () => {
  const eps = 0.2;
  const x = T.tensor(rows, f64);
  const t = T.tensor(labels, i32);
  const per = rows.map((r, i) => {
    const uniform = sum(r.map((_, c) => nllOfRow(r, c))) / r.length;
    return (1 - eps) * nllOfRow(r, labels[i]) + eps * uniform;
  });
  await assertClose(
    crossEntropy(x, t, { labelSmoothing: eps, reduction: 'none' }),
    per,
    { rtol: 1e-12 },
  );
  await assertClose(
    crossEntropy(x, t, { labelSmoothing: eps }),
    [sum(per) / 3],
    { rtol: 1e-12 },
  );
});

test('crossEntropy: logits of ±1e4 give finite, exact losses and gradients (float32)', async () => {
  const x = T.tensor(
    [
      [1e4, 0, -1e4],
      [0, 1e4, 1e4],
      [1e4, -1e4, 0],
    ],
    { requiresGrad: true },
  );
  const t = T.tensor([0, 1, 1], i32);
  const loss = crossEntropy(x, t, { reduction: 'none' });
  // Row 0: the target dominates (0); row 1: two equal maxima (log 2); row 2:
  // 1e4 − (−1e4).
  await assertClose(loss, [0, Math.LN2, 2e4], { rtol: 1e-6 });
  crossEntropy(x, t, { reduction: 'sum' }).backward();
  // d/dx = softmax(x) − onehot(t)
  await assertClose(
    x.grad!,
    [
      [0, 0, 0],
      [0, -0.5, 0.5],
      [1, -1, 0],
    ],
    { atol: 1e-6 },
  );
});

test('nllLoss ∘ logSoftmax equals crossEntropy, also for dense [N, C, H] inputs', async () => {
  const rng = T.makeRng(3);
  const x = T.randn([2, 4, 5], { ...f64, rng });
  const t = T.randint(0, 4, [2, 5], { rng });
  const w = T.rand([4], { ...f64, rng });
  for (const reduction of ['mean', 'sum', 'none'] as const) {
    const a = crossEntropy(x, t, { reduction, weight: w });
    const b = nllLoss(T.logSoftmax(x, 1), t, { reduction, weight: w });
    assert.equal(a.shape, reduction === 'none' ? [2, 5] : []);
    await assertClose(a, b, { rtol: 1e-12 });
  }
  // One dense element by hand: sample 1, position 3.
  const xs = x.arraySync() as number[][][];
  const k = (t.arraySync() as number[][])[1][3];
  const row = xs[1].map((c) => c[3]);
  const none = crossEntropy(x, t, {
    reduction: 'none',
  }).arraySync() as number[][];
  assert.ok(Math.abs(none[1][3] - nllOfRow(row, k)) < 1e-12);
});

test('nllLoss: −logProbs[i, t_i] by hand', async () => {
  const lp = T.tensor(
    [
      [-0.1, -2, -3],
      [-1.5, -0.4, -2.2],
    ],
    f64,
  );
  const t = T.tensor([0, 2], i32);
  await assertClose(nllLoss(lp, t, { reduction: 'none' }), [0.1, 2.2], {
    rtol: 1e-12,
  });
  await assertClose(nllLoss(lp, t), [1.15], { rtol: 1e-12 });
});

test('gradcheck (float64): crossEntropy with weight, smoothing and an ignored target', () => {
  const rng = T.makeRng(11);
  const x = T.randn([3, 4, 2], { ...f64, rng });
  const t = T.tensor(
    [
      [1, 3],
      [-100, 0],
      [2, 2],
    ],
    i32,
  );
  const w = T.tensor([0.5, 1, 2, 1.5], f64);
  for (const reduction of ['mean', 'sum', 'none'] as const) {
    const r = checkVjp(
      (a) => crossEntropy(a, t, { reduction, weight: w, labelSmoothing: 0.1 }),
      [x],
      { rng },
    );
    assert.ok(r.relError < 1e-6, `${reduction}: ${r.relError}`);
  }
});

test('gradcheck (float64): nllLoss, mseLoss, BCE with logits (with posWeight and weight)', () => {
  const rng = T.makeRng(12);
  const lp = T.randn([4, 3], { ...f64, rng });
  const t = T.tensor([0, 2, 1, 1], i32);
  const checks: [string, (...a: Tensor[]) => Tensor, Tensor[]][] = [
    ['nll', (a) => nllLoss(a, t), [lp]],
    [
      'mse',
      (a, b) => mseLoss(a, b),
      [T.randn([3, 2], { ...f64, rng }), T.randn([3, 2], { ...f64, rng })],
    ],
    [
      'bce',
      (a, b) => binaryCrossEntropyWithLogits(a, b),
      [T.randn([4, 3], { ...f64, rng }), T.rand([4, 3], { ...f64, rng })],
    ],
    [
      'bce posWeight',
      (a, b, p, w) =>
        binaryCrossEntropyWithLogits(a, b, {
          posWeight: p,
          weight: w,
          reduction: 'sum',
        }),
      [
        T.randn([4, 3], { ...f64, rng }),
        T.rand([4, 3], { ...f64, rng }),
        T.rand([3], { ...f64, rng }).add(0.5),
        T.rand([4, 1], { ...f64, rng }),
      ],
    ],
  ];
  for (const [name, f, args] of checks) {
    const r = checkVjp(f, args, { rng });
    assert.ok(r.relError < 1e-6, `${name}: ${r.relError}`);
  }
});

test('mseLoss: mean, sum and none of (x − y)²', async () => {
  const x = T.tensor(
    [
      [1, 2],
      [3, 4],
    ],
    f64,
  );
  const y = T.tensor(
    [
      [0, 2],
      [5, 3.5],
    ],
    f64,
  );
  await assertClose(mseLoss(x, y, { reduction: 'none' }), [
    [1, 0],
    [4, 0.25],
  ]);
  await assertClose(mseLoss(x, y, { reduction: 'sum' }), [5.25]);
  await assertClose(mseLoss(x, y), [5.25 / 4]);
});

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

test('BCE with logits: matches −[p·y·log σ + (1−y)·log(1−σ)] at moderate logits', async () => {
  const xs = [-3, -0.5, 0.2, 1, 4];
  const ys = [0, 1, 0.3, 1, 0];
  const naive = xs.map(
    (x, i) =>
      -(ys[i] * Math.log(sigmoid(x)) + (1 - ys[i]) * Math.log(1 - sigmoid(x))),
  );
  const x = T.tensor(xs, f64);
  const y = T.tensor(ys, f64);
  await assertClose(
    binaryCrossEntropyWithLogits(x, y, { reduction: 'none' }),
    naive,
    { rtol: 1e-12 },
  );
  await assertClose(binaryCrossEntropyWithLogits(x, y), [sum(naive) / 5], {
    rtol: 1e-12,
  });
  const p = 2.5;
  const weighted = xs.map(
    (x, i) =>
      -(
        p * ys[i] * Math.log(sigmoid(x)) +
        (1 - ys[i]) * Math.log(1 - sigmoid(x))
      ),
  );
  const got = binaryCrossEntropyWithLogits(x, y, {
    posWeight: T.tensor([p], f64),
    reduction: 'none',
  });
  await assertClose(got, weighted, { rtol: 1e-12 });
});

test('BCE with logits: finite and exact at ±1e4 (float32)', async () => {
  const x = T.tensor([1e4, 1e4, -1e4, -1e4, -30]);
  const y = T.tensor([1, 0, 0, 1, 0]);
  // log(1 + e^{−30}) ≈ e^{−30}: no cancellation in the stable form.
  await assertClose(
    binaryCrossEntropyWithLogits(x, y, { reduction: 'none' }),
    [0, 1e4, 0, 1e4, Math.exp(-30)],
    {
      rtol: 1e-6,
    },
  );
  const pw = binaryCrossEntropyWithLogits(x, y, {
    reduction: 'none',
    posWeight: T.tensor([3]),
  });
  await assertClose(pw, [0, 1e4, 0, 3e4, Math.exp(-30)], { rtol: 1e-6 });
});

test('BCE with logits: gradient σ(x) − y also at x = 0 exactly (zero-initialized heads), and at ±1e4', async () => {
  const x = T.tensor([0, 0, 1e4, -1e4], { ...f64, requiresGrad: true });
  const y = T.tensor([0, 1, 0, 1], f64);
  binaryCrossEntropyWithLogits(x, y, { reduction: 'sum' }).backward();
  await assertClose(x.grad!, [0.5, -0.5, 1, -1], { rtol: 1e-12 });
  // With posWeight p: dℓ/dx = (1 − y)·σ(x) − p·y·(1 − σ(x)).
  const x2 = T.tensor([0, 0], { ...f64, requiresGrad: true });
  const p = T.tensor([2], f64);
  binaryCrossEntropyWithLogits(x2, T.tensor([0, 1], f64), {
    reduction: 'sum',
    posWeight: p,
  }).backward();
  await assertClose(x2.grad!, [0.5, -1], { rtol: 1e-12 });
});

test('losses: clear errors for bad targets and options', () => {
  const x = T.tensor(rows);
  throwsCode(
    () => crossEntropy(x, T.tensor([2, 0, 1])),
    'DTYPE_MISMATCH',
    /int32/,
  );
  throwsCode(
    () => crossEntropy(x, T.tensor([2, 0], i32)),
    'SHAPE_MISMATCH',
    /targets \[2\]/,
  );
  throwsCode(
    () => crossEntropy(x, T.tensor([2, 3, 0], i32)),
    'BAD_TARGET',
    /\[0, 3\).*got 3 at flat position 1/,
  );
  throwsCode(() => nllLoss(x, T.tensor([-1, 0, 0], i32)), 'BAD_TARGET');
  throwsCode(
    () => crossEntropy(x, T.tensor(labels, i32), { weight: T.ones([2]) }),
    'SHAPE_MISMATCH',
    /weight/,
  );
  throwsCode(
    () =>
      crossEntropy(x, T.tensor(labels, i32), { reduction: 'avg' as 'mean' }),
    'BAD_OPTION',
    /"avg"/,
  );
  throwsCode(
    () => crossEntropy(x, T.tensor(labels, i32), { labelSmoothing: 1.5 }),
    'BAD_OPTION',
  );
  throwsCode(() => mseLoss(x, T.ones([3])), 'SHAPE_MISMATCH');
  throwsCode(() => mseLoss(x, T.ones([3, 3], f64)), 'DTYPE_MISMATCH');
  throwsCode(
    () => binaryCrossEntropyWithLogits(x, T.ones([3, 1])),
    'SHAPE_MISMATCH',
  );
  throwsCode(
    () => new CrossEntropyLoss({ reduction: 'x' as 'sum' }),
    'BAD_OPTION',
  );
});

test('loss modules: same values as the functions; weights are buffers, not parameters', async () => {
  const x = T.tensor(rows, f64);
  const t = T.tensor(labels, i32);
  const w = T.tensor([1, 2, 3], f64);
  const ce = new CrossEntropyLoss({ weight: w, labelSmoothing: 0.1 });
  await assertClose(
    ce.forward(x, t),
    crossEntropy(x, t, { weight: w, labelSmoothing: 0.1 }),
  );
  assert.equal(ce.parameters().length, 0);
  assert.equal(Object.keys(ce.stateDict()), ['weight']);
  const lp = T.logSoftmax(x, 1);
  await assertClose(
    new NLLLoss({ reduction: 'sum' }).forward(lp, t),
    nllLoss(lp, t, { reduction: 'sum' }),
  );
  await assertClose(new MSELoss().forward(x, x.mul(2)), mseLoss(x, x.mul(2)));
  const bce = new BCEWithLogitsLoss({ posWeight: T.tensor([2, 1, 1], f64) });
  const y = T.tensor(
    [
      [1, 0, 1],
      [0, 0, 1],
      [1, 1, 0],
    ],
    f64,
  );
  await assertClose(
    bce.forward(x, y),
    binaryCrossEntropyWithLogits(x, y, { posWeight: T.tensor([2, 1, 1], f64) }),
  );
  assert.equal(Object.keys(bce.stateDict()), ['pos_weight']);
  assert.is(
    new MSELoss({ reduction: 'sum' }).toString(),
    'MSELoss(reduction=sum)',
  );
});

test('an unknown loss option is refused, naming the closest known one (label_smoothing would otherwise be ignored)', () => {
  const logits = T.tensor([[2, 0, 0]], f64);
  const t = T.tensor([0], i32);
  const cases: [() => unknown, RegExp][] = [
    [
      () => crossEntropy(logits, t, { label_smoothing: 0.1 } as never),
      /^crossEntropy: unknown option 'label_smoothing'.*Did you mean 'labelSmoothing'\?/,
    ],
    [
      () => nllLoss(logits, t, { ignore_index: 0 } as never),
      /^nllLoss: unknown option 'ignore_index'.*Did you mean 'ignoreIndex'\?/,
    ],
    [
      () => mseLoss(logits, logits, { reducton: 'sum' } as never),
      /^mseLoss: unknown option 'reducton'.*Did you mean 'reduction'\?/,
    ],
    [
      () =>
        binaryCrossEntropyWithLogits(logits, logits, {
          pos_weight: logits,
        } as never),
      /^binaryCrossEntropyWithLogits: unknown option 'pos_weight'.*Did you mean 'posWeight'\?/,
    ],
    [
      () => new NLLLoss({ ignore_index: 0 } as never),
      /^NLLLoss: unknown option 'ignore_index'.*Did you mean 'ignoreIndex'\?/,
    ],
    [
      () => new MSELoss({ reduce: 'sum' } as never),
      /^MSELoss: unknown option 'reduce'/,
    ],
    [
      () => new BCEWithLogitsLoss({ pos_weight: 2 } as never),
      /^BCEWithLogitsLoss: unknown option 'pos_weight'.*Did you mean 'posWeight'\?/,
    ],
    [
      () => new CrossEntropyLoss({ labelsmoothing: 0.1 } as never),
      /^CrossEntropyLoss: unknown option 'labelsmoothing'.*Did you mean 'labelSmoothing'\?/,
    ],
  ];
  for (const [call, message] of cases) throwsCode(call, 'BAD_OPTION', message);
});

test.run();
