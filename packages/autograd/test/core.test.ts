/** Float64 gradchecks of every core primitive (and the core composites). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '@optnet/tensor';
import type { Tensor } from '@optnet/tensor';
import { assertClose, assertThrowsCode } from '@optnet/tensor/testing';
import { definePrimitive, grad, noGrad, vjp } from '@optnet/autograd';
import { checkVjp } from '@optnet/autograd/testing';

const f64 = { dtype: 'float64' } as const;
const rng = T.makeRng(7);
const randn = (shape: number[]): Tensor =>
  T.randn(shape, { dtype: 'float64', rng });
/** Entries with |x| ≥ 0.5 (away from 0) and random signs. */
const awayFromZero = (shape: number[]): Tensor => {
  const x = randn(shape);
  return T.mul(T.add(T.abs(x), 0.5), T.sign(x));
};
/** Entries in [0.5, ∞). */
const positive = (shape: number[]): Tensor => T.add(T.abs(randn(shape)), 0.5);

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

const unaryDomains: Record<string, (shape: number[]) => Tensor> = {
  neg: randn,
  abs: awayFromZero,
  sign: awayFromZero,
  square: randn,
  exp: randn,
  log: positive,
  log1p: (s) => T.sub(positive(s), 1.2),
  sqrt: positive,
  rsqrt: positive,
  reciprocal: awayFromZero,
  sin: randn,
  cos: randn,
  tanh: randn,
  sigmoid: randn,
  softplus: randn,
  relu: awayFromZero,
};

for (const [name, domain] of Object.entries(unaryDomains)) {
  test(`${name}: gradcheck on [3, 4] and a scalar`, () => {
    const fn = (T as unknown as Record<string, (x: Tensor) => Tensor>)[name];
    check((x) => fn(x), [domain([3, 4])]);
    check((x) => fn(x), [T.reshape(domain([1]), [])]);
  });
}

test('log1p domain stays above -1', async () => {
  const x = T.sub(positive([50]), 1.2);
  assert.ok((await T.min(x).item()) > -1);
});

type Binary = (a: Tensor, b: Tensor) => Tensor;
const binaries: [
  string,
  Binary,
  (s: number[]) => Tensor,
  (s: number[]) => Tensor,
][] = [
  ['add', T.add, randn, randn],
  ['sub', T.sub, randn, randn],
  ['mul', T.mul, randn, randn],
  ['div', T.div, randn, awayFromZero],
  ['pow', T.pow, positive, randn],
  ['maximum', T.maximum, randn, randn],
  ['minimum', T.minimum, randn, randn],
];

for (const [name, fn, da, db] of binaries) {
  test(`${name}: gradcheck, same shape and broadcast [2,1,3] vs [4,3]`, () => {
    check(fn, [da([2, 3]), db([2, 3])]);
    check(fn, [da([2, 1, 3]), db([4, 3])]);
    check(fn, [da([4, 3]), db([2, 1, 3])]);
    check(fn, [da([4, 1]), db([1, 3])]);
    check(fn, [da([]), db([2, 3])]);
    check(fn, [da([2, 3]), db([])]);
  });
}

test('binary ops with a number operand: gradcheck wrt the tensor', () => {
  check((x) => T.add(x, 2), [randn([3])]);
  check((x) => T.sub(1, x), [randn([3])]);
  check((x) => T.mul(x, -3), [randn([3])]);
  check((x) => T.div(2, x), [awayFromZero([3])]);
  check((x) => T.pow(x, 3), [randn([3])]); // negative base, integer exponent
  check((x) => T.pow(x, 0.5), [positive([3])]);
  check((x) => T.pow(2, x), [randn([3])]);
  check((x) => T.maximum(x, 0.1), [awayFromZero([5])]);
  check((x) => T.minimum(0.1, x), [awayFromZero([5])]);
});

test('maximum/minimum: ties split the gradient equally', async () => {
  const [ga, gb] = grad((a, b) => T.maximum(a, b).sum())(
    T.tensor([1, 2], f64),
    T.tensor([1, 3], f64),
  ) as Tensor[];
  await assertClose(ga, [0.5, 0]);
  await assertClose(gb, [0.5, 1]);
});

test('relu: gradient 1 above 0 and 0 at and below it, selected as PyTorch does (an infinite or NaN incoming gradient where x ≤ 0 gives 0; x = NaN passes it), float64 and float32', async () => {
  for (const dtype of ['float64', 'float32'] as const) {
    const x = T.tensor([-1, -0, 0, 1e-30, 2, NaN], { dtype });
    const [, pullback] = vjp((v) => T.relu(v), x);
    const seed = T.tensor([Infinity, NaN, -Infinity, 4, 5, 6], { dtype });
    const [g] = pullback(seed);
    assert.equal(Array.from(await g.data()), [0, 0, 0, 4, 5, 6], dtype);
  }
});

test('where: gradcheck wrt both branches, with broadcasting', () => {
  const cond = T.tensor([
    [true, false, true],
    [false, false, true],
  ]);
  check((a, b) => T.where(cond, a, b), [randn([2, 3]), randn([2, 3])]);
  check((a, b) => T.where(cond, a, b), [randn([3]), randn([2, 1])]);
  check(
    (a, b) => T.where(T.tensor([true, false, true]), a, b),
    [randn([4, 3]), randn([])],
  );
  check((a) => T.where(cond, a, 0), [randn([2, 3])]);
});

test('cast: float64 → float64 is the identity; float64 → float32 passes the cotangent back as float64', async () => {
  check((x) => T.cast(x, 'float64'), [randn([2, 3])]);
  check((x) => T.cast(x, 'float64').mul(x), [randn([2, 3])]);
  const [, pullback] = vjp((x) => T.cast(x, 'float32'), T.tensor([1, 2], f64));
  const [gx] = pullback(T.tensor([0.5, -2]));
  assert.is(gx.dtype, 'float64');
  await assertClose(gx, [0.5, -2]);
  // to int: no gradient flows (zeros)
  const gi = grad((x) =>
    T.cast(T.cast(x, 'int32'), 'float64').sum().add(x.sum()),
  )(T.tensor([1.5, 2.5], f64)) as Tensor;
  await assertClose(gi, [1, 1]);
});

type Reduce = (
  x: Tensor,
  axes?: number | readonly number[] | null,
  keepdims?: boolean,
) => Tensor;
const reductions: [string, Reduce][] = [
  ['sum', T.sum],
  ['prod', T.prod],
  ['max', T.max],
  ['min', T.min],
  ['mean', T.mean],
];
const axesCases: (number | number[] | undefined)[] = [
  undefined,
  0,
  -1,
  [0, 2],
  [1, 2],
  [0, 1, 2],
];

for (const [name, fn] of reductions) {
  test(`${name}: gradcheck over single and multiple axes, keepdims true and false`, () => {
    const x = name === 'prod' ? awayFromZero([2, 3, 4]) : randn([2, 3, 4]);
    for (const axes of axesCases) {
      for (const keepdims of [false, true])
        check((a) => fn(a, axes, keepdims), [x]);
    }
    check((a) => fn(a), [randn([5])]);
    check((a) => fn(a, 0), [randn([1, 3])]);
  });
}

test('prod: gradcheck with one zero and two zeros in a group', async () => {
  const x = T.tensor(
    [
      [1.5, 0, -2, 0.7],
      [0, 1.2, 0, 3],
      [0.5, 2, -1, 1.1],
    ],
    f64,
  );
  check((a) => T.prod(a, 1), [x]);
  check((a) => T.prod(a, 0, true), [x]);
  check(
    (a) => T.prod(a),
    [
      T.tensor(
        [
          [1.5, 0, -2],
          [0.7, 1.2, -0.9],
        ],
        f64,
      ),
    ],
  ); // a single zero overall
  const g = grad((a) => T.prod(a, 1).sum())(x) as Tensor;
  await assertClose(
    g,
    [
      [0, 1.5 * -2 * 0.7, 0, 0],
      [0, 0, 0, 0],
      [-2.2, -0.55, 1.1, -1],
    ],
    { rtol: 1e-12 },
  );
});

test('max/min: tied extremes share the gradient', async () => {
  const g = grad((a) => T.max(a, 1).sum())(
    T.tensor(
      [
        [3, 1, 3],
        [0, 2, 1],
      ],
      f64,
    ),
  ) as Tensor;
  await assertClose(g, [
    [0.5, 0, 0.5],
    [0, 1, 0],
  ]);
});

test('reshape/permute/transpose/expand/squeeze/unsqueeze: gradcheck', () => {
  const x = randn([2, 3, 4]);
  check((a) => T.reshape(a, [4, -1]), [x]);
  check((a) => T.reshape(a, [24]), [x]);
  check((a) => T.permute(a, [2, 0, 1]), [x]);
  check((a) => T.permute(a, [-1, -3, -2]), [x]);
  check((a) => T.transpose(a), [x]);
  check((a) => T.transpose(a, 0, 2), [x]);
  check((a) => T.expand(a, [2, 5, 3]), [randn([2, 1, 3])]);
  check((a) => T.expand(a, [4, 2, 3]), [randn([3])]);
  check((a) => T.expand(a, [-1, 3]), [randn([2, 1])]);
  check((a) => T.expand(a, [2, 2]), [randn([])]);
  check((a) => T.squeeze(a), [randn([1, 3, 1, 2])]);
  check((a) => T.squeeze(a, [0, 2]), [randn([1, 3, 1, 2])]);
  check((a) => T.unsqueeze(a, 0), [randn([3, 2])]);
  check((a) => T.unsqueeze(a, -1), [randn([3, 2])]);
});

test('composition: a small network-like expression', () => {
  const f = (w: Tensor, x: Tensor, b: Tensor) =>
    T.mean(
      T.square(T.tanh(T.add(T.sum(T.mul(T.unsqueeze(x, 1), w), -1), b))),
      [0, 1],
    );
  check(f, [randn([4, 3]), randn([5, 3]), randn([4])]);
});

test('errors: pullback shape, non-scalar grad, forward errors under grad, int inputs', async () => {
  const [, pullback] = vjp((x) => T.exp(x), randn([2, 3]));
  await assertThrowsCode(
    () => pullback(T.ones([3, 2], f64)),
    'SHAPE_MISMATCH',
    /^vjp: need one cotangent per output/,
  );
  await assertThrowsCode(
    () => pullback([T.ones([2, 3], f64), T.ones([2, 3], f64)]),
    'SHAPE_MISMATCH',
    /^vjp: /,
  );
  await assertThrowsCode(
    () => grad((x) => T.exp(x))(randn([2])),
    'BAD_ARGUMENT',
    /^grad: f must return a one-element tensor/,
  );
  await assertThrowsCode(
    () => grad((x) => T.add(x, T.ones([3], f64)).sum())(randn([2])),
    'SHAPE_MISMATCH',
    /^add: /,
  );
  await assertThrowsCode(
    () => grad((x) => T.sum(x, 2))(randn([2])),
    'BAD_AXIS',
    /^sum: /,
  );
  await assertThrowsCode(
    () => grad((x) => T.mul(x, T.ones([2])).sum())(randn([2])),
    'DTYPE_MISMATCH',
    /^mul: /,
  );
  // an int argument gets a zero gradient; the float one its true gradient
  const [gi, gf] = grad((i, x) => T.mul(T.cast(i, 'float64'), x).sum())(
    T.tensor([2, 3], { dtype: 'int32' }),
    T.tensor([1, 1], f64),
  ) as Tensor[];
  await assertClose(gi, [0, 0]);
  await assertClose(gf, [2, 3]);
});

test('a gradient taken inside a function being differentiated is refused (grad(grad(f)) would silently be 0); taken outside, or in sequence, it works', async () => {
  const x = T.tensor([0.5, -1, 2], { dtype: 'float64' });
  const inner = grad((u: Tensor) => u.exp().sum());
  await assertThrowsCode(
    async () => grad((v: Tensor) => (inner(v) as Tensor).square().sum())(x),
    'NOT_DIFFERENTIABLE',
    /took a gradient itself.*first derivatives only/,
  );
  // the same through vjp, and with tape backward inside
  await assertThrowsCode(
    async () =>
      vjp((v: Tensor) => {
        const w = T.tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
        w.square().sum().backward();
        return v.mul(2);
      }, x)[1](T.ones([3], { dtype: 'float64' })),
    'NOT_DIFFERENTIABLE',
  );
  // the inner gradient as a constant, computed before: fine
  const g = inner(x) as Tensor;
  const outer = grad((v: Tensor) => v.mul(g).sum())(x) as Tensor;
  await assertClose(outer, await g.data());
  // grads in sequence are independent
  await assertClose(inner(x) as Tensor, await x.exp().data());
  // an explicit stop-gradient: the inner gradient under noGrad is a
  // constant, as intended
  const stopped = grad((v: Tensor) =>
    v.mul(noGrad(() => inner(v) as Tensor)).sum(),
  )(x) as Tensor;
  await assertClose(stopped, await x.exp().data());
  // a custom primitive whose forward takes a gradient (an inner solver) has
  // its own backward: grad through it is its rule's
  const halve = definePrimitive<Record<string, never>, null>({
    name: 'halveByGradientStep',
    forward: ([v]) => {
      // one gradient step on ½‖u‖²/2 from v: v − ½·v = v/2
      const g = grad((u: Tensor) => u.square().sum().mul(0.25))(v) as Tensor;
      return { outputs: [v.sub(g)], residuals: null };
    },
    vjp: (_res, [c]) => [c.mul(0.5)],
  });
  const viaPrim = grad((v: Tensor) => halve.bind([v], {})[0].sum())(
    x,
  ) as Tensor;
  await assertClose(viaPrim, [0.5, 0.5, 0.5]);
});

test.run();
