// crossEntropy on logits [N, C] (or [C]) without class weights or label
// smoothing runs the fused softmaxCrossEntropy primitive: its losses and
// gradients equal those of nllLoss ∘ logSoftmax, the composed path the
// other cases keep, for every reduction, with ignored rows, in float64
// and float32.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '@optnet/tensor';
import type { FloatDType, Tensor } from '@optnet/tensor';
import { assertClose } from '@optnet/tensor/testing';
import '@optnet/autograd';
import { crossEntropy, nllLoss, type CrossEntropyOptions } from '@optnet/nn';

const i32 = { dtype: 'int32' } as const;
const REDUCTIONS = ['mean', 'sum', 'none'] as const;

/** The names of the primitives recorded on the way to `y`. */
function opsOf(y: Tensor): Set<string> {
  const names = new Set<string>();
  const seen = new Set<T.GraphNode>();
  const todo = [y];
  while (todo.length > 0) {
    const node = todo.pop()!.node;
    if (node === null || seen.has(node)) continue;
    seen.add(node);
    names.add(node.op.name);
    todo.push(...node.inputs);
  }
  return names;
}

/**
 * The loss of `x` by both paths, and each one's gradient for the
 * cotangent `ct` (a random weighting, so each element's gradient differs).
 */
function bothPaths(
  x: Tensor,
  t: Tensor,
  opts: CrossEntropyOptions,
  ct: Tensor,
) {
  const a = x.detach().requiresGrad_();
  const b = x.detach().requiresGrad_();
  const fused = crossEntropy(a, t, opts);
  const axis = x.rank === 1 ? 0 : 1;
  const composed = nllLoss(T.logSoftmax(b, axis), t, opts);
  fused.mul(ct).sum().backward();
  composed.mul(ct).sum().backward();
  return { fused, composed, gFused: a.grad!, gComposed: b.grad! };
}

/** Tolerances of a comparison in `dtype`. */
const tol = (dtype: FloatDType) =>
  dtype === 'float64'
    ? { rtol: 1e-12, atol: 1e-15 }
    : { rtol: 1e-5, atol: 1e-7 };

for (const dtype of ['float64', 'float32'] as const) {
  test(`crossEntropy [N, C] (${dtype}): the fused primitive, equal to nllLoss ∘ logSoftmax in value and gradient (mean, sum, none; ignored rows)`, async () => {
    const rng = T.makeRng(21);
    const cases: [number, number, number[], number][] = [
      // N, C, rows to ignore, ignoreIndex
      [6, 5, [1, 4], -100],
      [9, 1001, [0, 8], -100],
      [5, 3, [2], 1], // a class index as ignoreIndex
      [4, 1, [], -100], // one class: every loss is 0
      [1, 7, [], -100],
      [3, 4, [0, 1, 2], -100], // all ignored: mean is 0/0
    ];
    for (const [n, c, ignored, ignoreIndex] of cases) {
      const x = T.randn([n, c], { dtype, rng }).mul(3);
      const labels = Array.from(T.randint(0, c, [n], { rng }).dataSync());
      for (const i of ignored) labels[i] = ignoreIndex;
      if (ignoreIndex >= 0)
        labels.forEach((k, i) => {
          if (k === ignoreIndex && !ignored.includes(i)) labels[i] = 0;
        });
      const t = T.tensor(labels, i32);
      for (const reduction of REDUCTIONS) {
        const what = `[${n}, ${c}] ignore ${ignored} ${reduction}`;
        const opts = { reduction, ignoreIndex };
        const ct = T.randn(reduction === 'none' ? [n] : [], { dtype, rng });
        const r = bothPaths(x, t, opts, ct);
        const ops = opsOf(r.fused);
        assert.ok(ops.has('softmaxCrossEntropy'), `${what}: fused`);
        assert.not.ok(ops.has('logSoftmax'), `${what}: no logSoftmax`);
        assert.equal(r.fused.shape, r.composed.shape, what);
        assert.is(r.fused.dtype, dtype);
        await assertClose(r.fused, r.composed, tol(dtype));
        if (ignored.length === n && reduction === 'mean') {
          // nothing kept: the mean is 0/0, and the fused path's gradient
          // 0 (the selection passes none of ∞·0), where the composed one's
          // is NaN
          assert.ok(Number.isNaN(r.fused.itemSync()), `${what}: 0/0`);
          await assertClose(r.gFused, T.zeros([n, c], { dtype }));
        } else {
          await assertClose(r.gFused, r.gComposed, tol(dtype));
        }
      }
    }
  });
}

test('crossEntropy [C] with a [] target (unbatched): fused, equal to the composed path', async () => {
  const rng = T.makeRng(22);
  const x = T.randn([6], { dtype: 'float64', rng });
  for (const reduction of REDUCTIONS) {
    for (const label of [4, -100]) {
      const t = T.tensor(label, i32);
      const ct = T.randn([], { dtype: 'float64', rng });
      const r = bothPaths(x, t, { reduction }, ct);
      assert.ok(opsOf(r.fused).has('softmaxCrossEntropy'));
      assert.equal(r.fused.shape, []);
      await assertClose(r.fused, r.composed, tol('float64'));
      if (label >= 0 || reduction !== 'mean')
        await assertClose(r.gFused, r.gComposed, tol('float64'));
    }
  }
});

test('crossEntropy keeps the composed path for class weights, label smoothing and dense [N, C, d…] inputs', () => {
  const rng = T.makeRng(23);
  const x = T.randn([4, 3], { dtype: 'float64', rng }).requiresGrad_();
  const t = T.tensor([0, 2, 1, 2], i32);
  const w = T.tensor([1, 2, 0.5], { dtype: 'float64' });
  const dense = T.randn([2, 3, 5], { dtype: 'float64', rng }).requiresGrad_();
  const td = T.randint(0, 3, [2, 5], { rng });
  for (const y of [
    crossEntropy(x, t, { weight: w }),
    crossEntropy(x, t, { labelSmoothing: 0.1 }),
    crossEntropy(dense, td),
  ]) {
    const ops = opsOf(y);
    assert.ok(ops.has('logSoftmax') && !ops.has('softmaxCrossEntropy'));
  }
});

test('crossEntropy: an ignored row adds nothing and gets a zero gradient, even where its logits are −∞ or NaN (padding) or its class-0 logit is −∞ (masked by selection, not by ×0); float32 and float64, mean over the kept row', async () => {
  for (const dtype of ['float32', 'float64'] as const) {
    const rtol = dtype === 'float64' ? 1e-12 : 1e-6;
    for (const pad of [-Infinity, NaN]) {
      const x = T.tensor(
        [
          [pad, pad, pad],
          [0.5, -1, 3],
          [1, pad, 0],
          [-Infinity, 1, 2],
        ],
        { dtype, requiresGrad: true },
      );
      const t = T.tensor([-100, 2, -100, -100], i32);
      const loss = crossEntropy(x, t);
      const row = [0.5, -1, 3];
      const lse = 3 + Math.log(row.reduce((s, v) => s + Math.exp(v - 3), 0));
      await assertClose(loss, lse - 3, { rtol });
      loss.backward();
      const p = row.map((v) => Math.exp(v - lse));
      const zero = [0, 0, 0];
      await assertClose(x.grad!, [zero, [p[0], p[1], p[2] - 1], zero, zero], {
        rtol,
        atol: rtol / 10,
      });
    }
  }
});

test('crossEntropy with class weights, label smoothing or dense [N, C, d] inputs (the composed path): ignored −∞/NaN padding gives what finite padding gives, and no gradient', async () => {
  const rows = (pad: number) => [
    [pad, pad, pad],
    [0.5, -1, 3],
    [1, pad, 0],
    [2, 0.5, -1],
  ];
  const cases: [
    number[][] | number[][][],
    number[] | number[][],
    CrossEntropyOptions,
  ][] = [
    [
      rows(0),
      [-100, 2, -100, 0],
      { weight: T.tensor([1, 2, 0.5], { dtype: 'float64' }) },
    ],
    [rows(0), [-100, 2, -100, 0], { labelSmoothing: 0.1 }],
    [rows(0), [1, 2, 1, 0], { ignoreIndex: 1, reduction: 'sum' }],
  ];
  for (const pad of [-Infinity, NaN]) {
    const padded = (x: number[][]) =>
      x.map((r, i) =>
        i === 0 || i === 2
          ? r.map((v, j) => (i === 0 || j === 1 ? pad : v))
          : r,
      );
    // dense: [2, 3, 2] with position (0, ·, 1) ignored
    const dense = (p: number) => [
      [
        [0.5, p],
        [-1, p],
        [3, p],
      ],
      [
        [1, 2],
        [0, 0.5],
        [-2, 1],
      ],
    ];
    const all: typeof cases = [
      ...cases.map(
        ([x, t, o]) =>
          [padded(x as number[][]), t, o] as (typeof cases)[number],
      ),
      [
        dense(pad),
        [
          [2, -100],
          [0, 1],
        ],
        {},
      ],
    ];
    const finite: typeof cases = [
      ...cases,
      [
        dense(0),
        [
          [2, -100],
          [0, 1],
        ],
        {},
      ],
    ];
    for (let k = 0; k < all.length; k++) {
      const run = ([x, t, o]: (typeof cases)[number]) => {
        const xs = T.tensor(x, { dtype: 'float64', requiresGrad: true });
        const loss = crossEntropy(xs, T.tensor(t, i32), o);
        loss.backward();
        return [loss, xs.grad!] as const;
      };
      const [lp, gp] = run(all[k]);
      const [lf, gf] = run(finite[k]);
      const what = `case ${k}, padding ${pad}`;
      await assertClose(lp, await lf.data(), { rtol: 1e-12 });
      const g = Array.from(await gp.data());
      assert.ok(g.every(Number.isFinite), `${what}: gradient ${g}`);
      await assertClose(gp, await gf.data(), { rtol: 1e-12, atol: 1e-15 });
    }
  }
});

test('nllLoss and crossEntropy with a learned class weight: an ignored row of −∞ log-probabilities gives the weight (and the scores) a finite gradient, as finite padding does', async () => {
  for (const [name, loss, smoothing] of [
    ['nllLoss', nllLoss, {}],
    ['crossEntropy', crossEntropy, { labelSmoothing: 0.1 }],
  ] as const) {
    const run = (pad: number) => {
      const w = T.tensor([1, 2, 0.5], { dtype: 'float64', requiresGrad: true });
      const x = T.tensor(
        [
          [pad, pad, pad],
          [-1.2, -0.7, -1.5],
          [-0.3, -2, -1.9],
        ],
        { dtype: 'float64', requiresGrad: true },
      );
      const t = T.tensor([-100, 2, 0], i32);
      const l = loss(x, t, { weight: w, ...smoothing });
      l.backward();
      return [l, w.grad!, x.grad!] as const;
    };
    const [lp, wp, xp] = run(-Infinity);
    const [lf, wf, xf] = run(0);
    await assertClose(lp, await lf.data(), { rtol: 1e-12 });
    const g = Array.from(await wp.data());
    assert.ok(g.every(Number.isFinite), `${name}: weight gradient ${g}`);
    await assertClose(wp, await wf.data(), { rtol: 1e-12, atol: 1e-15 });
    await assertClose(xp, await xf.data(), { rtol: 1e-12, atol: 1e-15 });
  }
});

test('crossEntropy f32 [512, 1000] (the benchmark): fused and composed agree to float32 rounding', async () => {
  const rng = T.makeRng(3);
  const x = T.randn([512, 1000], { rng });
  const t = T.randint(0, 1000, [512], { rng });
  const r = bothPaths(x, t, {}, T.ones([]));
  await assertClose(r.fused, r.composed, { rtol: 1e-6 });
  await assertClose(r.gFused, r.gComposed, { rtol: 1e-5, atol: 1e-10 });
});

test.run();
