import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '@optnet/tensor';
import { batches, numBatches, permutation } from '@optnet/nn';
import {
  GpuLikeBackend,
  assertThrowsCodeSync as throwsCode,
} from '@optnet/tensor/testing';

/** x[i] = [10i, 10i + 1] and y[i] = i, so every batch row names its example. */
function dataset(n: number): { x: T.Tensor; y: T.Tensor } {
  const x = T.tensor(Array.from({ length: n }, (_, i) => [10 * i, 10 * i + 1]));
  const y = T.arange(0, n, 1, { dtype: 'int32' });
  return { x, y };
}

/** One epoch's example order; also checks x and y rows stay paired. */
function epochOrder(
  x: T.Tensor,
  y: T.Tensor,
  opts: Parameters<typeof batches>[1],
): { order: number[]; sizes: number[] } {
  const order: number[] = [];
  const sizes: number[] = [];
  for (const [xb, yb] of batches([x, y], opts)) {
    const ids = Array.from(yb.dataSync());
    const rows = xb.arraySync() as number[][];
    ids.forEach((id, r) => assert.equal(rows[r], [10 * id, 10 * id + 1]));
    assert.is(xb.shape[1], 2);
    order.push(...ids);
    sizes.push(ids.length);
  }
  return { order, sizes };
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

test('batches: every index exactly once per epoch, rows of all tensors paired', () => {
  const { x, y } = dataset(23);
  const { order, sizes } = epochOrder(x, y, {
    batchSize: 5,
    rng: T.makeRng(1),
  });
  assert.equal(sizes, [5, 5, 5, 5, 3]);
  assert.equal(
    [...order].sort((a, b) => a - b),
    range(23),
  );
  assert.not.equal(order, range(23)); // shuffled
});

test('batches: same seed → same orders; successive epochs differ', () => {
  const { x, y } = dataset(30);
  const rngA = T.makeRng(7);
  const rngB = T.makeRng(7);
  const a1 = epochOrder(x, y, { batchSize: 8, rng: rngA }).order;
  const a2 = epochOrder(x, y, { batchSize: 8, rng: rngA }).order;
  const b1 = epochOrder(x, y, { batchSize: 8, rng: rngB }).order;
  const b2 = epochOrder(x, y, { batchSize: 8, rng: rngB }).order;
  assert.equal(a1, b1);
  assert.equal(a2, b2);
  assert.not.equal(a1, a2);
  assert.not.equal(
    epochOrder(x, y, { batchSize: 8, rng: T.makeRng(8) }).order,
    a1,
  );
});

test('batches: dropLast skips the short batch; shuffle false keeps order', () => {
  const { x, y } = dataset(10);
  const dropped = epochOrder(x, y, {
    batchSize: 4,
    rng: T.makeRng(0),
    dropLast: true,
  });
  assert.equal(dropped.sizes, [4, 4]);
  assert.is(new Set(dropped.order).size, 8);
  const inOrder = epochOrder(x, y, { batchSize: 4, shuffle: false });
  assert.equal(inOrder.order, range(10));
  assert.equal(inOrder.sizes, [4, 4, 2]);
  assert.is(numBatches(10, 4), 3);
  assert.is(numBatches(10, 4, true), 2);
  assert.is(numBatches(8, 4, true), 2);
});

test('permutation: a permutation, roughly uniform in where 0 lands', () => {
  const rng = T.makeRng(3);
  const counts = [0, 0, 0, 0];
  for (let k = 0; k < 4000; k++) {
    const p = permutation(4, rng);
    assert.equal([...p].sort(), [0, 1, 2, 3]);
    counts[p.indexOf(0)]++;
  }
  // Each position has probability 1/4: 1000 ± ~27 (1σ); allow 5σ.
  for (const c of counts) assert.ok(Math.abs(c - 1000) < 140, String(counts));
});

test('batches: errors for mismatched lengths and bad options', () => {
  const { x, y } = dataset(6);
  const short = T.zeros([5]);
  throwsCode(
    () => batches([x, short], { batchSize: 2, rng: T.makeRng(0) }),
    'SHAPE_MISMATCH',
    /\[6, 2\], \[5\]/,
  );
  throwsCode(
    () => batches([x, y], { batchSize: 0, rng: T.makeRng(0) }),
    'BAD_OPTION',
    /batchSize 0/,
  );
  throwsCode(
    () => batches([x, y], { batchSize: 2.5, shuffle: false }),
    'BAD_OPTION',
  );
  throwsCode(
    () => batches([x, y], { batchSize: 2 }),
    'BAD_OPTION',
    /seeded rng/,
  );
  throwsCode(() => batches([], { batchSize: 2, shuffle: false }), 'BAD_OPTION');
});

test('batches of tensors on another backend than the current one: indices made there', async () => {
  const gpu = new GpuLikeBackend();
  const { x, y } = dataset(10);
  const [xg, yg] = await Promise.all([x.to(gpu), y.to(gpu)]);
  const seen: number[] = [];
  for (const [xb, yb] of batches([xg, yg], {
    batchSize: 4,
    rng: T.makeRng(1),
  })) {
    assert.is(xb.backend, gpu);
    const ids = Array.from(await yb.data());
    const rows = Array.from(await xb.data());
    ids.forEach((id, r) =>
      assert.equal(rows.slice(2 * r, 2 * r + 2), [10 * id, 10 * id + 1]),
    );
    seen.push(...ids);
  }
  assert.equal(
    seen.sort((a, b) => a - b),
    range(10),
  );
});

test.run();
