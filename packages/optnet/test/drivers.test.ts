// The solver generators' drivers (solver/pdipm.ts): runSync and runAsync
// read what a generator yields, without a copy only where it borrowed the
// tensor, and a solve that borrows its inputs leaves them as they were.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tensor, type Tensor } from '@optnet/tensor';
import '@optnet/autograd';
import { qp } from '../src/index.js';
import { borrow, runAsync, runSync } from '../src/solver/pdipm.js';
import { randomQp } from '../src/testing/random-qp.js';

const f64 = { dtype: 'float64' as const };

/** Yields a borrowed tensor, then a plain one; returns what it was handed. */
function* reads(
  a: Tensor,
  b: Tensor,
): Generator<Tensor, ArrayLike<number>[], ArrayLike<number>> {
  const ra = yield borrow(a);
  const rb = yield b;
  return [ra, rb];
}

test('runSync and runAsync hand a borrowed tensor its storage, any other a copy', async () => {
  const a = tensor([1, 2, 3], f64);
  const b = tensor([4, 5], f64);
  for (const [ra, rb] of [runSync(reads(a, b)), await runAsync(reads(a, b))]) {
    assert.is(ra, a.dataSync({ copy: false }), 'borrowed: no copy');
    assert.is.not(rb, b.dataSync({ copy: false }), 'not borrowed: a copy');
    assert.equal(Array.from(ra), [1, 2, 3]);
    assert.equal(Array.from(rb), [4, 5]);
  }
});

test('a solve reads its inputs in place and leaves every one unchanged', () => {
  const d = randomQp({ nBatch: 4, nz: 6, nIneq: 5, nEq: 2, seed: 3, ...f64 });
  const inputs = [d.Q, d.p, d.G!, d.h!, d.A!, d.b!];
  const before = inputs.map((t) => Float64Array.from(t.dataSync()));
  const z = qp(d.Q, d.p, d.G, d.h, d.A, d.b);
  assert.ok(Array.from(z.dataSync()).every(Number.isFinite));
  inputs.forEach((t, i) =>
    assert.equal(Array.from(t.dataSync()), Array.from(before[i])),
  );
});

test.run();
