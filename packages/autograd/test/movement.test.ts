/** Float64 gradchecks of the movement primitives. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '@optnet/tensor';
import type { Tensor } from '@optnet/tensor';
import { assertClose } from '@optnet/tensor/testing';
import { grad } from '@optnet/autograd';
import { checkVjp } from '@optnet/autograd/testing';

const rng = T.makeRng(11);
const randn = (shape: number[]): Tensor =>
  T.randn(shape, { dtype: 'float64', rng });

test('flip: gradcheck on batched shapes, several axis sets, negative axes', () => {
  for (const axes of [[0], [-1], [0, 2], [1, -1], [0, 1, 2]]) {
    const r = checkVjp((x) => T.flip(x, axes), [randn([2, 3, 4])], { rng });
    assert.ok(
      r.relError < 1e-6,
      `axes [${axes.join(',')}]: relError ${r.relError}`,
    );
  }
});

test('flip: gradient of a weighted sum is the flipped weights', async () => {
  const w = T.tensor(
    [
      [1, 2, 3],
      [4, 5, 6],
    ],
    { dtype: 'float64' },
  );
  const g = grad((x: Tensor) => T.flip(x, 1).mul(w).sum())(
    T.zeros([2, 3], { dtype: 'float64' }),
  );
  await assertClose(g as Tensor, [3, 2, 1, 6, 5, 4]);
});

const ok = (r: { relError: number }, what: string): void =>
  assert.ok(r.relError < 1e-6, `${what}: relError ${r.relError}`);

test('slice: gradcheck with negative steps, clamping, empty slices, batched shapes', () => {
  const specSets: T.SliceSpec[][] = [
    [{ start: 1 }],
    [{}, { step: -1 }],
    [{ step: -2 }, { start: -3, stop: -1 }, { start: 4, stop: 0, step: -3 }],
    [{ start: -10, stop: 10, step: 2 }],
    [{}, { start: 2, stop: 2 }],
  ];
  for (const specs of specSets)
    ok(
      checkVjp((x) => T.slice(x, specs), [randn([3, 4, 5])], { rng }),
      `slice ${JSON.stringify(specs)}`,
    );
});

test('slice: overlapping slices of one input accumulate; sliceScatter gradcheck', async () => {
  const x = T.tensor([1, 2, 3, 4], { dtype: 'float64' });
  const g = grad((t: Tensor) =>
    T.add(
      T.slice(t, [{ stop: 3 }]),
      T.slice(t, [{ start: -1, stop: 0, step: -1 }]),
    ).sum(),
  )(x);
  await assertClose(g as Tensor, [1, 2, 2, 1]); // x[:3] + x[3:0:-1] = x[0..2] + x[3,2,1]
  ok(
    checkVjp(
      (t) => T.sliceScatter(t, [5, 4], [{ start: -1, step: -2 }, { step: 3 }]),
      [randn([3, 2])],
      { rng },
    ),
    'sliceScatter',
  );
});

test('pad: gradcheck on batched shapes (constant value has no gradient path)', () => {
  ok(
    checkVjp(
      (x) =>
        T.pad(
          x,
          [
            [1, 2],
            [0, 0],
            [3, 1],
          ],
          0.5,
        ),
      [randn([2, 3, 4])],
      { rng },
    ),
    'pad 3-d',
  );
  ok(
    checkVjp((x) => x.pad([[2, 0]]).mul(x.pad([[0, 2]])), [randn([4])], {
      rng,
    }),
    'pad product',
  );
});

test('concat/stack: gradcheck along every axis, three inputs, negative axes', () => {
  ok(
    checkVjp(
      (a, b, c) => T.concat([a, b, c], 1),
      [randn([2, 1, 3]), randn([2, 4, 3]), randn([2, 2, 3])],
      { rng },
    ),
    'concat axis 1',
  );
  ok(
    checkVjp((a, b) => T.concat([a, b], -1), [randn([3, 2]), randn([3, 5])], {
      rng,
    }),
    'concat axis -1',
  );
  ok(
    checkVjp((a, b) => T.concat([a, b, a], 0), [randn([2, 3]), randn([1, 3])], {
      rng,
    }),
    'concat repeated input',
  );
  ok(
    checkVjp((a, b) => T.stack([a, b], -1), [randn([2, 3]), randn([2, 3])], {
      rng,
    }),
    'stack -1',
  );
});

const i32 = { dtype: 'int32' } as const;

test('gather: gradcheck on a batched [2,3,4] with repeated indices, every axis', () => {
  const idx2 = T.tensor(
    [
      [
        [3, 3, 0],
        [1, 1, 1],
        [2, 0, 2],
      ],
      [
        [0, 0, 0],
        [3, 2, 3],
        [1, 1, 2],
      ],
    ],
    i32,
  ); // [2,3,3] axis 2
  ok(
    checkVjp((x) => T.gather(x, idx2, 2), [randn([2, 3, 4])], { rng }),
    'gather axis 2',
  );
  const idx1 = T.tensor([[[2, 2, 2, 0]], [[1, 0, 1, 1]]], i32); // [2,1,4] axis 1
  ok(
    checkVjp((x) => T.gather(x, idx1, -2), [randn([2, 3, 4])], { rng }),
    'gather axis -2',
  );
  const idx0 = T.tensor(
    [
      [
        [1, 1],
        [1, 0],
      ],
      [
        [1, 1],
        [0, 0],
      ],
      [
        [0, 1],
        [1, 1],
      ],
    ],
    i32,
  ); // [3,2,2] axis 0
  ok(
    checkVjp((x) => T.gather(x, idx0, 0), [randn([2, 3, 4])], { rng }),
    'gather axis 0',
  );
});

test('gather: repeated indices accumulate in the gradient', async () => {
  const idx = T.tensor([[0, 0, 2, 0]], i32);
  const g = grad((x: Tensor) => T.gather(x, idx, 1).sum())(
    T.zeros([1, 3], { dtype: 'float64' }),
  );
  await assertClose(g as Tensor, [3, 0, 1]);
});

test('scatterAdd/indexSelect: gradchecks with repeated indices', () => {
  const idx = T.tensor(
    [
      [0, 0, 2],
      [1, 1, 1],
    ],
    i32,
  );
  ok(
    checkVjp((s) => T.scatterAdd(s, idx, 1, [2, 4]), [randn([2, 3])], { rng }),
    'scatterAdd',
  );
  const sel = T.tensor([2, 0, 2, 2], i32);
  ok(
    checkVjp((x) => T.indexSelect(x, 1, sel), [randn([2, 3, 5])], { rng }),
    'indexSelect axis 1',
  );
  ok(
    checkVjp((x) => T.indexSelect(x, -1, sel), [randn([3, 4])], { rng }),
    'indexSelect axis -1',
  );
});

test.run();
