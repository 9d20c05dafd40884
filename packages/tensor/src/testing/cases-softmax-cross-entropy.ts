/**
 * Forward cases for softmaxCrossEntropy and its gradient (see
 * op-suite.ts), each against the composed ops it fuses, run on the same
 * backend: −logSoftmax(x) at the label, and g·(softmax(x) − oneHot(t));
 * the loss also against a float64 JS reference of the read-back logits.
 */
import * as T from '../index.js';
import { assertClose, assertThrowsCode } from './assert.js';
import { unlike, wide, wideFloat } from './suite-dtype.js';
import type { OpCase } from './op-suite.js';

const i32 = { dtype: 'int32' } as const;

/** [N, C]: C = 1, N = 1, C not a multiple of 4, rows longer than a vector. */
const SHAPES: readonly [number, number][] = [
  [1, 1],
  [1, 6],
  [4, 1],
  [3, 4],
  [5, 7],
  [9, 130],
  [2, 1001],
];

/** −logSoftmax(x)[i, t_i], the loss the op fuses. */
function composedLoss(x: T.Tensor, t: T.Tensor): T.Tensor {
  const n = x.shape[0];
  return T.logSoftmax(x, -1)
    .gather(t.reshape([n, 1]), 1)
    .reshape([n])
    .neg();
}

/** g_i·(softmax(x_i) − onehot(t_i)), the gradient the op fuses. */
function composedGrad(x: T.Tensor, t: T.Tensor, g: T.Tensor): T.Tensor {
  const [n, c] = x.shape;
  const onehot = T.oneHot(t, c, { dtype: x.dtype });
  return T.softmax(x, -1)
    .sub(onehot)
    .mul(g.reshape([n, 1]));
}

/** ℓ_i = m + log Σ e^(x − m) − x[t_i] of each row, in JS doubles. */
function refLoss(x: ArrayLike<number>, t: ArrayLike<number>, c: number) {
  return Array.from(t, (k, i) => {
    const row = Array.from({ length: c }, (_, j) => x[i * c + j]);
    const m = Math.max(...row);
    const s = row.reduce((a, v) => a + Math.exp(v - m), 0);
    return m + Math.log(s) - row[k];
  });
}

/** Seeded logits (scale 3) and labels of each shape. */
function draws(seed: number) {
  const rng = T.makeRng(seed);
  return SHAPES.map(([n, c]) => ({
    x: T.randn([n, c], { dtype: wideFloat(), rng }).mul(3),
    t: T.randint(0, c, [n], { rng }),
    g: T.randn([n], { dtype: wideFloat(), rng }),
  }));
}

export const softmaxCrossEntropyCases: OpCase[] = [
  {
    name: 'softmaxCrossEntropy: −logSoftmax at the label, ragged [N, C]',
    run: async () => {
      for (const { x, t } of draws(11)) {
        const [n, c] = x.shape;
        const y = T.softmaxCrossEntropy(x, t);
        if (y.dtype !== x.dtype) throw new Error(`dtype ${y.dtype}`);
        await assertClose(y, composedLoss(x, t), {
          rtol: 1e-12,
          atol: 1e-12,
          shape: [n],
        });
        const ref = refLoss(await x.data(), await t.data(), c);
        await assertClose(x.softmaxCrossEntropy(t), ref, {
          rtol: 1e-12,
          atol: 1e-12,
        });
      }
    },
  },
  {
    name: 'softmaxCrossEntropyGrad: g·(softmax − oneHot), ragged [N, C]',
    run: async () => {
      for (const { x, t, g } of draws(12)) {
        await assertClose(
          T.softmaxCrossEntropyGrad(x, t, g),
          composedGrad(x, t, g),
          { rtol: 1e-12, atol: 1e-12, shape: x.shape },
        );
      }
    },
  },
  {
    name: 'softmaxCrossEntropy: stable for ±1e4 logits; −∞ logits as logSoftmax gives them',
    run: async () => {
      // ±1e4: e^x overflows without the max; each row's loss is then a
      // difference of logits (+ log of a sum near 1).
      const big = T.tensor(
        [
          [1e4, 9999, -1e4, 0, 9990],
          [-1e4, -9999, -1e4, -9998, -1e4],
          [1e4, -1e4, 1e4, -1e4, 1e4],
        ],
        wide,
      );
      const tb = T.tensor([1, 0, 3], i32);
      const want = refLoss(await big.data(), [1, 0, 3], 5);
      if (!want.every(Number.isFinite)) throw new Error('reference overflow');
      await assertClose(T.softmaxCrossEntropy(big, tb), want, { rtol: 1e-12 });
      await assertClose(T.softmaxCrossEntropy(big, tb), composedLoss(big, tb), {
        rtol: 1e-12,
      });
      const gb = T.tensor([1, -2, 0.5], wide);
      await assertClose(
        T.softmaxCrossEntropyGrad(big, tb, gb),
        composedGrad(big, tb, gb),
        { rtol: 1e-12, atol: 1e-12 },
      );
      // −∞ elsewhere: no cost; −∞ at the label: +∞; a row of −∞: NaN (0/0)
      const inf = T.tensor(
        [
          [-Infinity, 0, 1, -Infinity, 2],
          [0, -Infinity, 1, 2, 3],
          [-Infinity, -Infinity, -Infinity, -Infinity, -Infinity],
        ],
        wide,
      );
      const ti = T.tensor([2, 1, 0], i32);
      const loss = T.softmaxCrossEntropy(inf, ti);
      await assertClose(loss, composedLoss(inf, ti), { rtol: 1e-12 });
      const [l0, l1, l2] = Array.from(await loss.data());
      if (!(Number.isFinite(l0) && l1 === Infinity && Number.isNaN(l2)))
        throw new Error(`−∞ rows: got ${[l0, l1, l2]}`);
      const g = T.tensor([1, 1, 1], wide);
      await assertClose(
        T.softmaxCrossEntropyGrad(inf, ti, g),
        composedGrad(inf, ti, g),
        { rtol: 1e-12, atol: 1e-12 },
      );
      // g = 0 (an ignored row): a zero gradient row even where the row is
      // NaN (all −∞) or holds NaN; the other rows as before
      const nanRow = T.tensor(
        [
          [0, 1, NaN, 2, 3],
          [0, -Infinity, 1, 2, 3],
          [-Infinity, -Infinity, -Infinity, -Infinity, -Infinity],
        ],
        wide,
      );
      const g0 = T.tensor([0, 1, 0], wide);
      const row1 = Array.from(await composedGrad(nanRow, ti, g0).data()).slice(
        5,
        10,
      );
      // a confident row: 1 − p = 299·e^−25/(1 + 299·e^−25) ≈ 4.2e-9, which
      // p − 1 in float32 would round to 0
      const sure = new Array(300).fill(0);
      sure[0] = 25;
      const gs = await T.softmaxCrossEntropyGrad(
        T.tensor([sure], wide),
        T.tensor([0], i32),
        T.tensor([1], wide),
      ).data();
      const want0 = -299 / (Math.exp(25) + 299);
      // float64 keeps it to rounding (p − 1 in float64 lost 4e-8 of it)
      const tol = wideFloat() === 'float64' ? 1e-12 : 1e-3;
      if (!(Math.abs(gs[0] - want0) <= tol * Math.abs(want0)))
        throw new Error(`confident row: label entry ${gs[0]}, want ${want0}`);
      const ls = await T.softmaxCrossEntropy(
        T.tensor([sure], wide),
        T.tensor([0], i32),
      ).data();
      const lossWant = Math.log1p(299 * Math.exp(-25));
      if (
        wideFloat() === 'float64' &&
        !(Math.abs(ls[0] - lossWant) <= 1e-12 * lossWant)
      )
        throw new Error(`confident row: loss ${ls[0]}, want ${lossWant}`);
      const zero = [0, 0, 0, 0, 0];
      await assertClose(
        T.softmaxCrossEntropyGrad(nanRow, ti, g0),
        [zero, row1, zero],
        { rtol: 1e-12, atol: 1e-12 },
      );
    },
  },
  {
    name: 'softmaxCrossEntropy/Grad: label out of range → BAD_ARGUMENT naming the row; bad dtype/shape',
    run: async () => {
      const x = T.zeros([2, 3], wide);
      const g = T.ones([2], wide);
      await assertThrowsCode(
        () => T.softmaxCrossEntropy(x, T.tensor([0, 3], i32)).data(),
        'BAD_ARGUMENT',
        /^softmaxCrossEntropy: labels must lie in \[0, 3\).*; got 3 at row 1\./,
      );
      await assertThrowsCode(
        () => T.softmaxCrossEntropyGrad(x, T.tensor([-1, 0], i32), g).data(),
        'BAD_ARGUMENT',
        /^softmaxCrossEntropyGrad: labels must lie in \[0, 3\).*; got -1 at row 0\./,
      );
      await assertThrowsCode(
        () => T.softmaxCrossEntropy(x, T.zeros([2], wide)),
        'DTYPE_MISMATCH',
        /labels must be int32/,
      );
      await assertThrowsCode(
        () => T.softmaxCrossEntropy(T.zeros([2, 3], i32), T.zeros([2], i32)),
        'DTYPE_MISMATCH',
        /logits must be float/,
      );
      await assertThrowsCode(
        () =>
          T.softmaxCrossEntropy(T.zeros([2, 3, 4], wide), T.zeros([2], i32)),
        'SHAPE_MISMATCH',
        /logits \[N, C\] need labels \[N\]; got logits \[2, 3, 4\]/,
      );
      await assertThrowsCode(
        () => T.softmaxCrossEntropy(x, T.zeros([3], i32)),
        'SHAPE_MISMATCH',
      );
      await assertThrowsCode(
        () =>
          T.softmaxCrossEntropyGrad(x, T.zeros([2], i32), T.ones([3], wide)),
        'SHAPE_MISMATCH',
        /g must have shape \[2\]/,
      );
      await assertThrowsCode(
        () => T.softmaxCrossEntropy(T.zeros([2, 0], wide), T.zeros([2], i32)),
        'BAD_ARGUMENT',
        /at least one class/,
      );
      const other = unlike(x.dtype);
      await assertThrowsCode(
        () =>
          T.softmaxCrossEntropyGrad(
            x,
            T.zeros([2], i32),
            T.ones([2], { dtype: other }),
          ),
        'DTYPE_MISMATCH',
      );
    },
  },
];
