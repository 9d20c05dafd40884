/**
 * randomQp: shapes, determinism per seed, and every item solvable and feasible.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { matmul, type Tensor } from '@optnet/tensor';
import { solveQp } from '../src/api/qp.js';
import { randomQp } from '../src/testing/random-qp.js';

const f64 = (t: Tensor | null): Float64Array =>
  Float64Array.from(t === null ? [] : t.dataSync());

/**
 * Largest entry of M·z − rhs per the sign: 'le' the excess over rhs, 'eq'
 * |difference|.
 */
function worst(M: Tensor, z: Tensor, rhs: Tensor, kind: 'le' | 'eq'): number {
  const d = f64(matmul(M, z.unsqueeze(-1)).squeeze(-1).sub(rhs));
  return d.reduce((m, v) => Math.max(m, kind === 'le' ? v : Math.abs(v)), 0);
}

test('shapes and dtype, with and without each constraint block', () => {
  const a = randomQp({
    nBatch: 3,
    nz: 4,
    nIneq: 5,
    nEq: 2,
    dtype: 'float32',
    seed: 1,
  });
  assert.equal(a.Q.shape, [3, 4, 4]);
  assert.equal(a.p.shape, [3, 4]);
  assert.equal(a.G?.shape, [3, 5, 4]);
  assert.equal(a.h?.shape, [3, 5]);
  assert.equal(a.A?.shape, [3, 2, 4]);
  assert.equal(a.b?.shape, [3, 2]);
  assert.is(a.Q.dtype, 'float32');
  const b = randomQp({
    nBatch: 2,
    nz: 3,
    nIneq: 0,
    nEq: 0,
    dtype: 'float64',
    seed: 1,
  });
  assert.is(b.G, null);
  assert.is(b.h, null);
  assert.is(b.A, null);
  assert.is(b.b, null);
});

test('same seed gives the same data; another seed different data', () => {
  const opts = {
    nBatch: 2,
    nz: 4,
    nIneq: 3,
    nEq: 1,
    dtype: 'float64' as const,
  };
  const x = randomQp({ ...opts, seed: 7 });
  const y = randomQp({ ...opts, seed: 7 });
  const w = randomQp({ ...opts, seed: 8 });
  for (const k of ['Q', 'p', 'G', 'h', 'A', 'b'] as const) {
    assert.equal(f64(x[k]), f64(y[k]), k);
  }
  assert.not.equal(f64(x.p), f64(w.p));
});

test('Q is symmetric with eigenvalues ≥ 0.1 (xᵀQx ≥ 0.1‖x‖² on a probe)', () => {
  const { Q } = randomQp({
    nBatch: 2,
    nz: 5,
    nIneq: 1,
    nEq: 0,
    dtype: 'float64',
    seed: 3,
  });
  const q = f64(Q);
  const n = 5;
  for (let k = 0; k < 2; k++) {
    const o = k * n * n;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++)
        assert.ok(Math.abs(q[o + i * n + j] - q[o + j * n + i]) < 1e-12);
    }
    // x = e_i: the diagonal is at least 0.1
    for (let i = 0; i < n; i++) assert.ok(q[o + i * n + i] >= 0.1);
  }
});

test('every item of a batch solves and is feasible (inequalities and equalities)', async () => {
  const { Q, p, G, h, A, b } = randomQp({
    nBatch: 6,
    nz: 8,
    nIneq: 10,
    nEq: 3,
    dtype: 'float64',
    seed: 11,
  });
  const r = await solveQp(Q, p, G, h, A, b);
  assert.equal(r.status, Array(6).fill('solved'));
  assert.ok(
    worst(G!, r.z, h!, 'le') <= 1e-6,
    `Gz ≤ h violated by ${worst(G!, r.z, h!, 'le')}`,
  );
  assert.ok(
    worst(A!, r.z, b!, 'eq') <= 1e-6,
    `Az = b violated by ${worst(A!, r.z, b!, 'eq')}`,
  );
});

test('inequality-only and equality-only batches solve too', async () => {
  const g = randomQp({
    nBatch: 4,
    nz: 6,
    nIneq: 6,
    nEq: 0,
    dtype: 'float64',
    seed: 2,
  });
  const rg = await solveQp(g.Q, g.p, g.G, g.h, null, null);
  assert.equal(rg.status, Array(4).fill('solved'));
  assert.ok(worst(g.G!, rg.z, g.h!, 'le') <= 1e-6);
  const e = randomQp({
    nBatch: 4,
    nz: 6,
    nIneq: 0,
    nEq: 2,
    dtype: 'float64',
    seed: 2,
  });
  const re = await solveQp(e.Q, e.p, null, null, e.A, e.b);
  assert.equal(re.status, Array(4).fill('solved'));
  assert.ok(worst(e.A!, re.z, e.b!, 'eq') <= 1e-6);
});

test('bad sizes are rejected with the name of the size', () => {
  const base = {
    nBatch: 1,
    nz: 3,
    nIneq: 1,
    nEq: 0,
    dtype: 'float64' as const,
    seed: 0,
  };
  assert.throws(
    () => randomQp({ ...base, nz: 0 }),
    /randomQp: nz must be an integer ≥ 1; got 0/,
  );
  assert.throws(() => randomQp({ ...base, nIneq: 1.5 }), /nIneq/);
  assert.throws(() => randomQp({ ...base, nEq: 4 }), /need nEq ≤ nz/);
});

test.run();
