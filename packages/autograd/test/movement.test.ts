/** Float64 gradchecks of the movement primitives. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '@optnet/tensor';
import type { Tensor } from '@optnet/tensor';
import { assertClose } from '@optnet/tensor/testing';
import { grad } from '@optnet/autograd';
import { checkVjp } from '@optnet/autograd/testing';

const rng = T.makeRng(11);
const randn = (shape: number[]): Tensor => T.randn(shape, { dtype: 'float64', rng });

test('flip: gradcheck on batched shapes, several axis sets, negative axes', () => {
  for (const axes of [[0], [-1], [0, 2], [1, -1], [0, 1, 2]]) {
    const r = checkVjp((x) => T.flip(x, axes), [randn([2, 3, 4])], { rng });
    assert.ok(r.relError < 1e-6, `axes [${axes.join(',')}]: relError ${r.relError}`);
  }
});

test('flip: gradient of a weighted sum is the flipped weights', async () => {
  const w = T.tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float64' });
  const g = grad((x: Tensor) => T.flip(x, 1).mul(w).sum())(T.zeros([2, 3], { dtype: 'float64' }));
  await assertClose(g as Tensor, [3, 2, 1, 6, 5, 4]);
});

test.run();
