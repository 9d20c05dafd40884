// The QP solver's forward pass: optimality (KKT residuals checked
// independently), every constraint combination, shared and batched
// arguments, singular Q, redundant equalities, scaling, float32.
import { test } from 'uvu';
import { readFileSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { eye, tensor, zeros, type Tensor } from '@optnet/tensor';
import { qp, solveQp } from '../src/index.js';
import { randomProblem, worstKkt, type Dense } from './kkt-check.js';

const f64 = { dtype: 'float64' as const };

async function solve(x: Dense, opts = {}) {
  return solveQp(x.Q, x.p, x.G, x.h, x.A, x.b, opts);
}

const combos: [string, number, number][] = [
  ['inequalities only', 7, 0],
  ['equalities only', 0, 3],
  ['both', 9, 3],
  ['unconstrained', 0, 0],
];
for (const [name, nIneq, nEq] of combos) {
  test(`${name}: every item solved with KKT residuals below 1e-7`, async () => {
    const x = randomProblem({
      nBatch: 5,
      nz: 6,
      nIneq,
      nEq,
      seed: 11 + nIneq + nEq,
    });
    const r = await solve(x);
    assert.equal(r.status, Array(5).fill('solved'));
    assert.ok(worstKkt(x, r, 5) < 1e-7, `KKT ${worstKkt(x, r, 5)}`);
    assert.equal(r.z.shape, [5, 6]);
    assert.equal(r.lam.shape, [5, nIneq]);
    assert.equal(r.nu.shape, [5, nEq]);
  });
}

test('shared and batched arguments mix; shared-only inputs give unbatched z', async () => {
  const x = randomProblem({
    nBatch: 4,
    nz: 5,
    nIneq: 6,
    nEq: 2,
    seed: 3,
    shared: ['Q', 'G', 'h'],
  });
  const r = await solve(x);
  assert.equal(r.status, Array(4).fill('solved'));
  assert.ok(worstKkt(x, r, 4) < 1e-7);
  const one = randomProblem({
    nBatch: 1,
    nz: 4,
    nIneq: 3,
    nEq: 0,
    seed: 5,
    shared: ['Q', 'p', 'G', 'h'],
  });
  const r1 = await solve(one);
  assert.equal(r1.z.shape, [4]);
  assert.equal(qp(one.Q, one.p, one.G, one.h).shape, [4]);
  assert.ok(worstKkt(one, r1, 1) < 1e-7);
});

test('batch items are independent: solving one alone gives the same z', async () => {
  const x = randomProblem({ nBatch: 3, nz: 5, nIneq: 8, nEq: 2, seed: 21 });
  const all = (await solve(x)).z.arraySync() as number[][];
  const pick = (t: Tensor | null) =>
    t === null ? null : t.slice([{ start: 1, stop: 2 }]);
  const r1 = await solveQp(
    pick(x.Q)!,
    pick(x.p)!,
    pick(x.G),
    pick(x.h),
    pick(x.A),
    pick(x.b),
  );
  const z1 = (r1.z.arraySync() as number[][])[0];
  z1.forEach((v, j) => assert.ok(Math.abs(v - all[1][j]) < 1e-6));
});

test('active and inactive constraints: the analytic solution of a box QP', async () => {
  // min ½‖z − c‖² s.t. −1 ≤ z ≤ 1: z = clip(c), lam = the clipped amount.
  const c = [2.5, -0.3, -4, 0.9];
  const Q = eye(4, f64);
  const p = tensor(c, f64).neg();
  const G = tensor(
    [
      ...(eye(4).arraySync() as number[][]),
      ...(eye(4).neg().arraySync() as number[][]),
    ],
    f64,
  );
  const h = tensor(Array(8).fill(1), f64);
  const r = await solveQp(Q, p, G, h);
  const z = r.z.arraySync() as number[];
  c.forEach((ci, j) =>
    assert.ok(Math.abs(z[j] - Math.max(-1, Math.min(1, ci))) < 1e-7),
  );
  const lam = r.lam.arraySync() as number[];
  assert.ok(Math.abs(lam[0] - 1.5) < 1e-6 && Math.abs(lam[6] - 3) < 1e-6);
  assert.ok(lam[1] < 1e-7 && lam[3] < 1e-7 && lam[5] < 1e-7);
});

test('an LP (Q = 0) with a bounded feasible set is solved at a vertex', async () => {
  // min −z1 − 2z2 s.t. z1 + z2 ≤ 4, z1 ≤ 3, z ≥ 0 → z = (0, 4), f = −8.
  const Q = zeros([2, 2], f64);
  const p = tensor([-1, -2], f64);
  const G = tensor(
    [
      [1, 1],
      [1, 0],
      [-1, 0],
      [0, -1],
    ],
    f64,
  );
  const h = tensor([4, 3, 0, 0], f64);
  const r = await solveQp(Q, p, G, h);
  assert.equal(r.status, ['solved']);
  assert.ok(Math.abs(r.objective[0] + 8) < 1e-6, `objective ${r.objective[0]}`);
  assert.ok(worstKkt({ Q, p, G, h, A: null, b: null }, r, 1) < 1e-7);
});

test('singular Q with a free direction fixed by equalities; redundant equality rows', async () => {
  // min z1² + z3 s.t. z1 + z2 + z3 = 1 (twice, and 2x), z3 ≥ 0, z2 ≤ 5.
  const Q = tensor(
    [
      [2, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
    ],
    f64,
  );
  const p = tensor([0, 0, 1], f64);
  const A = tensor(
    [
      [1, 1, 1],
      [1, 1, 1],
      [2, 2, 2],
    ],
    f64,
  );
  const b = tensor([1, 1, 2], f64);
  const G = tensor(
    [
      [0, 0, -1],
      [0, 1, 0],
    ],
    f64,
  );
  const h = tensor([0, 5], f64);
  const r = await solveQp(Q, p, G, h, A, b);
  assert.equal(r.status, ['solved']);
  const z = r.z.arraySync() as number[];
  assert.ok(
    Math.abs(z[0]) < 1e-6 && Math.abs(z[1] - 1) < 1e-6 && Math.abs(z[2]) < 1e-6,
    `z ${z}`,
  );
  assert.ok(worstKkt({ Q, p, G, h, A, b }, r, 1) < 1e-7);
});

test('badly scaled data (Q ~ 1e4, h ~ 1e-3) still solves to tight KKT residuals', async () => {
  const x = randomProblem({ nBatch: 3, nz: 6, nIneq: 8, nEq: 2, seed: 8 });
  const y: Dense = {
    ...x,
    Q: x.Q.mul(1e4),
    h: x.h!.mul(1e-3),
    b: x.b!.mul(1e-3),
  };
  const r = await solve(y);
  assert.equal(r.status, Array(3).fill('solved'));
  assert.ok(worstKkt(y, r, 3) < 1e-7, `KKT ${worstKkt(y, r, 3)}`);
});

test('degenerate: a weakly active constraint (zero multiplier) and a duplicated one', async () => {
  // min ½‖z‖² s.t. z1 ≤ 0 (weakly active at z = 0), z1 + z2 ≥ 1 twice.
  const Q = eye(2, f64);
  const p = zeros([2], f64);
  const G = tensor(
    [
      [1, 0],
      [-1, -1],
      [-1, -1],
    ],
    f64,
  );
  const h = tensor([0, -1, -1], f64);
  const r = await solveQp(Q, p, G, h);
  assert.equal(r.status, ['solved']);
  const z = r.z.arraySync() as number[];
  assert.ok(Math.abs(z[0]) < 1e-6 && Math.abs(z[1] - 1) < 1e-6, `z ${z}`);
});

test('a QP where Mehrotra steps cycle (gap 0.33 → 1.1 → 0.5 → 1.3 …) converges with the gap safeguard', async () => {
  // Met while training OptNetLayer: feasible, Q definite, weakly active rows.
  const url = new URL('./fixtures/cycling-qp.json', import.meta.url);
  const d = JSON.parse(readFileSync(url, 'utf8')) as Record<
    string,
    number[] | number[][]
  >;
  const x: Dense = {
    Q: tensor(d.Q, f64),
    p: tensor(d.p, f64),
    G: tensor(d.G, f64),
    h: tensor(d.h, f64),
    A: tensor(d.A, f64),
    b: tensor(d.b, f64),
  };
  for (const kkt of ['dual', 'primal'] as const) {
    const r = await solve(x, { kkt });
    assert.equal(r.status, ['solved'], kkt);
    assert.ok(r.iterations[0] <= 20, `${kkt}: ${r.iterations[0]} iterations`);
    assert.ok(worstKkt(x, r, 1) < 1e-7);
  }
});

test('float32 solves to its own tolerance (KKT residual below 1e-3)', async () => {
  const x = randomProblem({
    nBatch: 4,
    nz: 8,
    nIneq: 10,
    nEq: 3,
    seed: 4,
    dtype: 'float32',
  });
  const r = await solve(x);
  assert.equal(r.status, Array(4).fill('solved'));
  assert.is(r.z.dtype, 'float32');
  assert.ok(worstKkt(x, r, 4) < 1e-3, `KKT ${worstKkt(x, r, 4)}`);
});

test('onIteration reports progress and iterations stay few', async () => {
  const x = randomProblem({ nBatch: 8, nz: 10, nIneq: 10, nEq: 0, seed: 2 });
  const seen: number[] = [];
  const r = await solve(x, {
    onIteration: (i: { iteration: number }) => seen.push(i.iteration),
  });
  assert.ok(seen.length >= 3 && seen[0] === 0);
  assert.ok(Math.max(...r.iterations) <= 25, `iterations ${r.iterations}`);
});

test.run();
