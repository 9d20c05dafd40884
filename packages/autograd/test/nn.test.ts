import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '@optnet/tensor';
import type { Tensor } from '@optnet/tensor';
import { assertClose } from '@optnet/tensor/testing';
// Loads autograd (backward), as a program's import does.
import '@optnet/autograd';
import { checkVjp } from '@optnet/autograd/testing';

const rng = T.makeRng(42);
const randn = (shape: number[], scale = 1): Tensor =>
  T.mul(T.randn(shape, { dtype: 'float64', rng }), scale);

function check(
  f: (...xs: Tensor[]) => Tensor | Tensor[],
  args: Tensor[],
  wrt?: number[],
): void {
  for (let trial = 0; trial < 3; trial++) {
    const r = checkVjp(f, args, { rng, wrt });
    assert.ok(
      r.relError < 1e-6,
      `relError ${r.relError} (analytic ${r.analytic}, numeric ${r.numeric})`,
    );
  }
}

test('softmax/logSoftmax: gradcheck along every axis of a batched input', () => {
  const x = randn([2, 3, 4], 2);
  for (const axis of [0, 1, 2, -1]) {
    check((a) => T.softmax(a, axis), [x]);
    check((a) => T.logSoftmax(a, axis), [x]);
  }
  check((a) => T.softmax(a), [randn([5])]);
  check((a) => T.logSoftmax(a, 0), [randn([1, 3])]); // size-1 axis: constant output
});

test('softmax/logSoftmax: gradcheck with large logits (stability)', () => {
  const x = T.add(
    randn([3, 4]),
    T.tensor([[500], [-500], [0]], { dtype: 'float64' }),
  );
  check((a) => T.softmax(a, 1), [x]);
  check((a) => T.logSoftmax(a, 1), [x]);
});

test('softmax/logSoftmax: composed in a loss; gradient of logSoftmax·onehot is onehot − softmax', async () => {
  const x = T.tensor(
    [
      [1, 2, 3],
      [0, 0, 0],
    ],
    { dtype: 'float64', requiresGrad: true },
  );
  const onehot = T.tensor(
    [
      [0, 0, 1],
      [1, 0, 0],
    ],
    { dtype: 'float64' },
  );
  T.logSoftmax(x).mul(onehot).sum().backward();
  const s = await T.softmax(
    T.tensor(
      [
        [1, 2, 3],
        [0, 0, 0],
      ],
      { dtype: 'float64' },
    ),
  ).toArray();
  const want = (s as number[][]).map((r, i) =>
    r.map((v, j) => (i === 0 ? (j === 2 ? 1 : 0) : j === 0 ? 1 : 0) - v),
  );
  await assertClose(x.grad!, want, { rtol: 1e-12 });
  check(
    (a, b) => T.sum(T.mul(T.logSoftmax(a), b)),
    [randn([4, 5]), randn([4, 5])],
  );
});

test('logsumexp: gradcheck over several axes, keepdims, large values', () => {
  const x = randn([2, 3, 4]);
  check((a) => T.logsumexp(a), [x]);
  check((a) => T.logsumexp(a, [0, 2]), [x]);
  check((a) => T.logsumexp(a, -1, true), [x]);
  check((a) => T.logsumexp(a, 1), [T.add(x, 800)]);
});

test('logsumexp: gradient is softmax', async () => {
  const v = [
    [1, 2, 3],
    [-1, 0, 5],
  ];
  const x = T.tensor(v, { dtype: 'float64', requiresGrad: true });
  T.logsumexp(x, 1).sum().backward();
  await assertClose(x.grad!, T.softmax(T.tensor(v, { dtype: 'float64' }), 1), {
    rtol: 1e-12,
  });
});

test('variance: gradcheck with correction 0 and 1, keepdims', () => {
  const x = randn([3, 4, 2]);
  check((a) => T.variance(a), [x]);
  check((a) => T.variance(a, [0, 2], { correction: 1 }), [x]);
  check((a) => T.variance(a, 1, { keepdims: true }), [x]);
});

test('maxPool2d: gradcheck (stride, overlap, padding, rectangular)', () => {
  const x = randn([2, 3, 5, 6]);
  check((a) => T.maxPool2d(a, { kernel: 2 }), [x]);
  check((a) => T.maxPool2d(a, { kernel: 3, stride: 1, padding: 1 }), [x]);
  check(
    (a) => T.maxPool2d(a, { kernel: [3, 2], stride: [2, 1], padding: [1, 0] }),
    [x],
  );
  check((a) => T.maxPool2d(a, { kernel: [1, 1] }), [randn([1, 2, 3, 3])]);
});

test('maxPool2d: ties route the whole gradient to the first maximum', async () => {
  const x = T.tensor(
    [
      [
        [
          [1, 4],
          [4, 2],
        ],
      ],
    ],
    { dtype: 'float64', requiresGrad: true },
  );
  T.maxPool2d(x, { kernel: 2 }).mul(3).sum().backward();
  await assertClose(x.grad!, [
    [
      [
        [0, 3],
        [0, 0],
      ],
    ],
  ]);
});

test('avgPool2d: gradcheck, padding counted (count_include_pad)', async () => {
  const x = randn([2, 3, 5, 6]);
  check((a) => T.avgPool2d(a, { kernel: 2 }), [x]);
  check((a) => T.avgPool2d(a, { kernel: 3, stride: 1, padding: 1 }), [x]);
  check(
    (a) => T.avgPool2d(a, { kernel: [3, 2], stride: [2, 1], padding: [1, 1] }),
    [x],
  );
  const y = T.ones([1, 1, 2, 2], { dtype: 'float64', requiresGrad: true });
  T.avgPool2d(y, { kernel: 2, stride: 1, padding: 1 }).sum().backward();
  // each input lies in 4 of the 9 windows, each weighting it 1/4
  await assertClose(y.grad!, [
    [
      [
        [1, 1],
        [1, 1],
      ],
    ],
  ]);
});

test('avgPool2dGrad: gradcheck in g (second derivatives of avgPool2d)', () => {
  const x = randn([1, 2, 4, 5]);
  const attrs = { kernel: [3, 3], stride: [1, 2], padding: [1, 1] } as const;
  const g = randn([1, 2, 4, 3]);
  check((gg) => T.avgPool2dGrad(x, gg, attrs), [g]);
});

test('softmaxCrossEntropy: gradcheck (ragged C, large logits, C = 1); its gradient equals the logSoftmax + gather path', async () => {
  for (const [n, c, scale] of [
    [4, 7, 2],
    [3, 1, 1],
    [1, 5, 1],
    [5, 9, 300],
  ]) {
    const t = T.randint(0, c, [n], { rng });
    const x = randn([n, c], scale);
    check((a) => T.softmaxCrossEntropy(a, t), [x]);
    const a = x.detach().requiresGrad_();
    const b = x.detach().requiresGrad_();
    const w = randn([n]); // a weighted sum: each row's cotangent differs
    T.softmaxCrossEntropy(a, t).mul(w).sum().backward();
    const picked = T.gather(T.logSoftmax(b, -1), t.reshape([n, 1]), 1);
    picked.reshape([n]).neg().mul(w).sum().backward();
    await assertClose(a.grad!, b.grad!, { rtol: 1e-12, atol: 1e-15 });
  }
});

test('softmaxCrossEntropyGrad: gradcheck in logits and g (second derivatives of the loss); its x-gradient is a Hessian-vector product', async () => {
  const [n, c] = [3, 6];
  const t = T.randint(0, c, [n], { rng });
  const x = randn([n, c], 2);
  const g = randn([n]);
  check((a, gg) => T.softmaxCrossEntropyGrad(a, t, gg), [x, g]);
  check((a) => T.softmaxCrossEntropyGrad(a, t, g), [x]);
  check((gg) => T.softmaxCrossEntropyGrad(x, t, gg), [g]);
  // ⟨v, dx⟩ differentiated in x is H·v summed with g: per row
  // g_i·(diag(p) − p·pᵀ)·v_i, from the softmax's Jacobian directly
  const v = randn([n, c]);
  const xa = x.detach().requiresGrad_();
  T.softmaxCrossEntropyGrad(xa, t, g).mul(v).sum().backward();
  const p = T.softmax(x, -1);
  const hv = p.mul(v.sub(p.mul(v).sum(-1, true))).mul(g.reshape([n, 1]));
  await assertClose(xa.grad!, hv, { rtol: 1e-12, atol: 1e-15 });
});

test.run();
