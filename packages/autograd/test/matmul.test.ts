import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '@optnet/tensor';
import type { Tensor } from '@optnet/tensor';
import { definePrimitive, grad } from '@optnet/autograd';
import { conv2dVjp } from '../src/vjp/conv2d.js';
import { matmulVjp } from '../src/vjp/matmul.js';
import { checkShapes } from './gradcheck-helper.js';

const f64 = { dtype: 'float64' } as const;

const check = checkShapes;

test('matmul: gradcheck 2-D, batched, odd sizes', () => {
  const f = (a: Tensor, b: Tensor): Tensor => T.matmul(a, b);
  check(
    '[3,4]@[4,5]',
    f,
    [
      [3, 4],
      [4, 5],
    ],
    1,
  );
  check(
    '[2,3,5,7]@[2,3,7,3]',
    f,
    [
      [2, 3, 5, 7],
      [2, 3, 7, 3],
    ],
    2,
  );
  check(
    '[1,1]@[1,1]',
    f,
    [
      [1, 1],
      [1, 1],
    ],
    3,
  );
});

test('matmul: gradcheck with batch broadcasting (sums down to each input)', () => {
  const f = (a: Tensor, b: Tensor): Tensor => T.matmul(a, b);
  check(
    '[2,1,3,4]@[5,4,2]',
    f,
    [
      [2, 1, 3, 4],
      [5, 4, 2],
    ],
    4,
  );
  check(
    '[3,4]@[2,4,3]',
    f,
    [
      [3, 4],
      [2, 4, 3],
    ],
    5,
  );
  check(
    '[2,3,4]@[1,4,2]',
    f,
    [
      [2, 3, 4],
      [1, 4, 2],
    ],
    6,
  );
});

test('matmul: gradcheck of every transA/transB combination, broadcast', () => {
  check(
    'transA',
    (a, b) => T.matmul(a, b, { transA: true }),
    [
      [2, 4, 3],
      [4, 5],
    ],
    7,
  );
  check(
    'transB',
    (a, b) => T.matmul(a, b, { transB: true }),
    [
      [3, 4],
      [2, 5, 4],
    ],
    8,
  );
  check(
    'both',
    (a, b) => T.matmul(a, b, { transA: true, transB: true }),
    [
      [2, 1, 4, 3],
      [3, 5, 4],
    ],
    9,
  );
});

test('matmul: gradcheck of 1-D operands', () => {
  check('vec@mat', (a, b) => T.matmul(a, b), [[4], [2, 4, 3]], 10);
  check('mat@vec', (a, b) => T.matmul(a, b), [[3, 4], [4]], 11);
  check('dot', (a, b) => T.matmul(a, b), [[5], [5]], 12);
});

test('matmul: gradcheck of a chain a·b·c', () => {
  check(
    'chain',
    (a, b, c) => T.matmul(T.matmul(a, b), c),
    [
      [2, 3],
      [3, 4],
      [4, 2],
    ],
    13,
  );
});

const conv =
  (opts: T.Conv2dOptions) =>
  (x: Tensor, w: Tensor): Tensor =>
    T.conv2d(x, w, opts);

test('conv2d: gradcheck of x and w, plain and stride 2 / padding 1', () => {
  check(
    'plain',
    conv({}),
    [
      [2, 2, 5, 4],
      [3, 2, 3, 2],
    ],
    20,
  );
  check(
    'stride 2, padding 1',
    conv({ stride: 2, padding: 1 }),
    [
      [1, 3, 6, 5],
      [2, 3, 3, 3],
    ],
    21,
  );
});

test('conv2d: gradcheck with dilation 2 and groups 2 (and all at once)', () => {
  check(
    'dilation 2',
    conv({ dilation: 2, padding: [1, 2] }),
    [
      [1, 2, 6, 6],
      [2, 2, 2, 3],
    ],
    22,
  );
  check(
    'groups 2',
    conv({ groups: 2 }),
    [
      [2, 4, 4, 4],
      [4, 2, 2, 2],
    ],
    23,
  );
  check(
    'stride 2, padding 1, dilation 2, groups 2',
    conv({ stride: 2, padding: 1, dilation: 2, groups: 2 }),
    [
      [2, 4, 7, 6],
      [6, 2, 3, 2],
    ],
    24,
  );
  check(
    'depthwise',
    conv({ groups: 3, padding: 1 }),
    [
      [1, 3, 4, 4],
      [3, 1, 3, 3],
    ],
    25,
  );
});

test('conv2d: gradcheck of the gradient primitives conv2dGradInput/conv2dGradWeight', () => {
  const opts = { stride: 2, padding: 1, dilation: 2, groups: 2 } as const;
  // x [1,4,6,5], w [4,2,2,2] → y [1,4,3,3]
  check(
    'gradInput',
    (g, w) => T.conv2dGradInput(g, w, [6, 5], opts),
    [
      [1, 4, 3, 3],
      [4, 2, 2, 2],
    ],
    26,
  );
  check(
    'gradWeight',
    (x, g) => T.conv2dGradWeight(x, g, [2, 2], opts),
    [
      [1, 4, 6, 5],
      [1, 4, 3, 3],
    ],
    27,
  );
});

test('conv2d: gradients through grad() match the naive adjoint identities', () => {
  const opts = { stride: 2, padding: 1, dilation: 2, groups: 2 } as const;
  const rng = T.makeRng(31);
  const x = T.randn([1, 4, 6, 5], { ...f64, rng });
  const w = T.randn([4, 2, 2, 2], { ...f64, rng });
  const c = T.randn([1, 4, 3, 3], { ...f64, rng });
  const [gx, gw] = grad((a: Tensor, b: Tensor) =>
    T.sum(T.mul(T.conv2d(a, b, opts), c)),
  )(x, w) as Tensor[];
  const ref = T.sum(T.mul(T.conv2d(x, w, opts), c)).dataSync()[0];
  assert.ok(
    Math.abs(T.sum(T.mul(gx, x)).dataSync()[0] - ref) <
      1e-10 * (1 + Math.abs(ref)),
  );
  assert.ok(
    Math.abs(T.sum(T.mul(gw, w)).dataSync()[0] - ref) <
      1e-10 * (1 + Math.abs(ref)),
  );
});

test('conv2d: a composite with bias gradchecks', () => {
  check(
    'conv + bias',
    (x, w, b) =>
      T.add(T.conv2d(x, w, { padding: 1 }), T.reshape(b, [1, 3, 1, 1])),
    [[2, 2, 4, 4], [3, 2, 3, 3], [3]],
    28,
  );
});

test('matmul/conv2d: the walker says which inputs need a cotangent; the rules skip the others, the rest unchanged', () => {
  const rng = T.makeRng(4);
  // the walker passes needs = each input's requiresGrad
  let seen: readonly boolean[] | undefined;
  const spy = definePrimitive<object, null>({
    name: 'spy',
    forward: ([a, b]) => ({ outputs: [a.mul(b)], residuals: null }),
    vjp: (_r, [g], ctx) => {
      seen = ctx.needs;
      return [g, g];
    },
  });
  const data = T.randn([3], { rng, ...f64 });
  const p = T.randn([3], { rng, ...f64, requiresGrad: true });
  spy.bind([data, p], {})[0].sum().backward();
  assert.equal(seen, [false, true]);
  // matmul: with needs [false, true] no Ā, the same B̄ as without needs
  const a = T.randn([5, 6], { rng, ...f64 });
  const b = T.randn([6, 3], { rng, ...f64 });
  const g = T.randn([5, 3], { rng, ...f64 });
  for (const [transA, transB] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ]) {
    const inputs = [transA ? a.transpose() : a, transB ? b.transpose() : b];
    const ctx = { inputs, outputs: [], attrs: { transA, transB } };
    const all = matmulVjp(ctx, [g]);
    const some = matmulVjp({ ...ctx, needs: [false, true] }, [g]);
    assert.is(some[0], null);
    assert.equal([...some[1]!.dataSync()], [...all[1]!.dataSync()]);
    assert.is(matmulVjp({ ...ctx, needs: [true, false] }, [g])[1], null);
  }
  // conv2d: no input gradient for data, the same weight gradient
  const x = T.randn([2, 1, 5, 5], { rng, ...f64 });
  const w = T.randn([2, 1, 3, 3], { rng, ...f64 });
  const gy = T.randn([2, 2, 3, 3], { rng, ...f64 });
  const attrs = T.conv2dAttrs({});
  const ctx = { inputs: [x, w], outputs: [], attrs };
  const some = conv2dVjp({ ...ctx, needs: [false, true] }, [gy]);
  assert.is(some[0], null);
  assert.equal(
    [...some[1]!.dataSync()],
    [...conv2dVjp(ctx, [gy])[1]!.dataSync()],
  );
});

test.run();
