// Gradients on a backend other than the current one: the seed, the zero
// cotangents and the rules' constants (triangle masks, zeros) are made on
// the operands' backend, so nothing is BACKEND_MISMATCH.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '@optnet/tensor';
import { grad, vjp } from '@optnet/autograd';

test('backward, grad and vjp run on the operands backend, not the current one', async () => {
  const other = new T.CpuBackend();
  const f64 = { dtype: 'float64', backend: other } as const;
  const a = T.tensor(
    [
      [4, 1],
      [1, 3],
    ],
    f64,
  ).requiresGrad_();
  const b = T.tensor([[1], [2]], f64);
  assert.is.not(T.getBackend(), other);
  // cholesky, triangularSolve and diagonal make constants in their VJPs.
  const y = T.choleskySolve(T.cholesky(a), b).sum().add(a.diagonal().sum());
  y.backward();
  assert.is(a.grad!.backend, other);
  const g = grad((x: T.Tensor) => x.square().sum())(b) as T.Tensor;
  assert.is(g.backend, other);
  assert.equal(await g.toArray(), [[2], [4]]);
  // An argument f does not use gets zeros, there too.
  const [, pullback] = vjp((x: T.Tensor) => x.mul(2), b, T.ones([3], f64));
  const [gx, unused] = pullback(T.ones([2, 1], f64));
  assert.equal(await gx.toArray(), [[2], [2]]);
  assert.is(unused.backend, other);
  assert.equal(await unused.toArray(), [0, 0, 0]);
});

test.run();
