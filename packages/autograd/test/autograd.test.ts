import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '@optnet/tensor';
import type { Tensor } from '@optnet/tensor';
import {
  assertClose,
  assertThrowsCode,
  assertThrowsCodeSync,
} from '@optnet/tensor/testing';
import {
  definePrimitive,
  grad,
  noGrad,
  valueAndGrad,
  vjp,
} from '@optnet/autograd';
import { checkVjp } from '@optnet/autograd/testing';

const f64 = { dtype: 'float64' } as const;

test('backward: d/dx sum(x²·w) = 2xw; grads accumulate across calls', async () => {
  const x = T.tensor([1, -2, 3], { ...f64, requiresGrad: true });
  const w = T.tensor([0.5, 2, -1], { ...f64, requiresGrad: true });
  x.square().mul(w).sum().backward();
  await assertClose(x.grad!, [1, -8, -6]);
  await assertClose(w.grad!, [1, 4, 9]);
  x.square().mul(w).sum().backward();
  await assertClose(x.grad!, [2, -16, -12]);
});

test('backward: a broadcast input gets the sum over broadcast axes, once', async () => {
  const b = T.tensor([1, 2, 3], { ...f64, requiresGrad: true });
  const x = T.ones([4, 3], f64);
  x.add(b)
    .mul(T.tensor([[1], [2], [3], [4]], f64))
    .sum()
    .backward();
  // each b_j appears in 4 rows weighted 1+2+3+4 = 10
  await assertClose(b.grad!, [10, 10, 10]);
  const s = T.tensor(2, { ...f64, requiresGrad: true });
  T.mul(x, s).sum().backward();
  await assertClose(s.grad!, [12]);
});

test('backward: a tensor used twice (diamond) sums both paths', async () => {
  const x = T.tensor([3], { ...f64, requiresGrad: true });
  const y = x.exp();
  y.mul(y).add(y).sum().backward(); // d/dx (e^2x + e^x)
  await assertClose(x.grad!, [2 * Math.exp(6) + Math.exp(3)], { rtol: 1e-12 });
});

test('backward: errors for non-scalar outputs and outputs without a graph', async () => {
  const x = T.tensor([1, 2], { ...f64, requiresGrad: true });
  await assertThrowsCode(
    () => x.mul(2).backward(),
    'BAD_ARGUMENT',
    /^backward: .*one-element/,
  );
  await assertThrowsCode(
    () => T.tensor([1]).sum().backward(),
    'NOT_DIFFERENTIABLE',
    /^backward: /,
  );
  x.mul(2).backward(T.tensor([1, 10], f64));
  await assertClose(x.grad!, [2, 20]);
});

test('noGrad: nothing is recorded inside', () => {
  const x = T.tensor([1, 2], { ...f64, requiresGrad: true });
  const y = noGrad(() => x.mul(3));
  assert.is(y.requiresGrad, false);
  assert.is(y.node, null);
  assert.is(x.mul(3).requiresGrad, true);
});

test('non-differentiable ops stop gradients: comparisons, argmax', async () => {
  const x = T.tensor([1, -2, 3], { ...f64, requiresGrad: true });
  const mask = x.greater(0);
  assert.is(mask.requiresGrad, false);
  T.where(mask, x, 0).sum().backward();
  await assertClose(x.grad!, [1, 0, 1]);
});

test('clone passes the gradient through; detach stops it', async () => {
  const x = T.tensor([1, -2, 3], { ...f64, requiresGrad: true });
  // d/dx [x·clone(x)] = 2x; d/dx [x·detach(x)] = detach(x) = x.
  x.mul(x.clone()).sum().backward();
  await assertClose(x.grad!, [2, -4, 6]);
  x.grad = null;
  x.mul(x.detach()).sum().backward();
  await assertClose(x.grad!, [1, -2, 3]);
  const r = checkVjp((a: Tensor) => a.clone().square(), [x.detach()], {
    rng: T.makeRng(1),
  });
  assert.ok(r.relError < 1e-8, `clone vjp: ${r.relError}`);
});

test('functional: grad, valueAndGrad and vjp do not touch .grad', async () => {
  const x = T.tensor([1, 2, 3], { ...f64, requiresGrad: true });
  const g = grad((t) => t.square().sum())(x) as Tensor;
  await assertClose(g, [2, 4, 6]);
  assert.is(x.grad, null);
  const [v, [ga, gb]] = valueAndGrad((a, b) => a.mul(b).sum())(
    x,
    T.tensor([4, 5, 6], f64),
  );
  await assertClose(v, [32]);
  await assertClose(ga, [4, 5, 6]);
  await assertClose(gb, [1, 2, 3]);
  const [y, pullback] = vjp((t) => t.exp(), x);
  await assertClose(pullback(T.ones([3], f64))[0], await (y as Tensor).data());
  await assertThrowsCode(
    () => pullback(T.ones([2], f64)),
    'SHAPE_MISMATCH',
    /^vjp: /,
  );
});

test('functional: a closed-over parameter does not need to be an argument', async () => {
  const w = T.tensor([2, 3], { ...f64, requiresGrad: true });
  const g = grad((x) => x.mul(w).sum())(T.tensor([1, 1], f64)) as Tensor;
  await assertClose(g, [2, 3]);
});

// A primitive defined outside the package, through the public contract only.
const cube = definePrimitive<Record<string, never>, Tensor>({
  name: 'testCube',
  forward: ([x]) => ({ outputs: [x.mul(x).mul(x)], residuals: x }),
  vjp: (x, [g]) => [g.mul(x.square().mul(3))],
});

test('definePrimitive: forward runs unrecorded; backward gets the residuals', async () => {
  const x = T.tensor([1, -2, 0.5], { ...f64, requiresGrad: true });
  const [y] = cube.bind([x], {});
  assert.is(y.node?.op, cube);
  assert.is(y.node?.inputs[0], x);
  await assertClose(y, [1, -8, 0.125]);
  y.sum().backward();
  await assertClose(x.grad!, [3, 12, 0.75]);
  const r = checkVjp(
    (t) => cube.bind([t.mul(2)], {})[0].sum(),
    [T.randn([4], { ...f64, rng: T.makeRng(3) })],
  );
  assert.ok(r.relError < 1e-6, `relError ${r.relError}`);
});

test('definePrimitive: a wrong VJP is caught by checkVjp', () => {
  const bad = definePrimitive<Record<string, never>, Tensor>({
    name: 'badSquare',
    forward: ([x]) => ({ outputs: [x.square()], residuals: x }),
    vjp: (x, [g]) => [g.mul(x)], // should be 2x
  });
  const r = checkVjp(
    (t) => bad.bind([t], {})[0],
    [T.randn([5], { ...f64, rng: T.makeRng(1) })],
  );
  assert.ok(r.relError > 0.1, `relError ${r.relError}`);
});

test('definePrimitive: returning an input is refused', async () => {
  const ident = definePrimitive<Record<string, never>, null>({
    name: 'badIdentity',
    forward: ([x]) => ({ outputs: [x], residuals: null }),
    vjp: (_r, [g]) => [g],
  });
  await assertThrowsCode(
    () => ident.bind([T.ones([2], f64)], {}),
    'BAD_ARGUMENT',
    /^badIdentity: forward must return new tensors/,
  );
});

test('scope: backward inside a scope keeps leaf grads and frees intermediates', async () => {
  const w = T.tensor([1, 2], { ...f64, requiresGrad: true });
  const before = T.memoryStats().tensors;
  const loss = T.scope(() => {
    const l = w.exp().mul(w).sum();
    l.backward();
    return l;
  });
  await assertClose(w.grad!, [2 * Math.E, 3 * Math.exp(2)], { rtol: 1e-12 });
  assert.ok(!w.grad!.isDisposed);
  // Only the returned loss and w.grad survive the scope.
  assert.is(T.memoryStats().tensors, before + 2);
  loss.dispose();
});

test('backward refuses a graph whose tensors were changed in place after the forward (assign), naming the op; an optimizer-style update between steps is fine', () => {
  const f64 = { dtype: 'float64' as const };
  const x = T.tensor([1, 2, 3], { ...f64, requiresGrad: true });
  const y = x.mul(x).sum();
  x.assign(T.tensor([10, 10, 10], f64));
  assertThrowsCodeSync(
    () => y.backward(),
    'MODIFIED_IN_PLACE',
    /^backward: input 0 of mul .*changed in place/,
  );
  assert.is(x.grad, null, 'nothing accumulated');
  // forward, backward, update, forward again: each backward sees its graph
  const w = T.tensor([1, 2], { ...f64, requiresGrad: true });
  for (let k = 0; k < 2; k++) {
    w.grad = null;
    w.mul(w).sum().backward();
    assert.equal(w.grad!.arraySync(), w.mul(2).arraySync());
    w.assign(noGrad(() => w.sub(w.grad!.mul(0.1))));
  }
});

test.run();
