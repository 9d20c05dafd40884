// Warm start: solveQp and qp start from a point the caller passes (an
// earlier QpResult), off by default and cached nowhere. The answer is the
// cold one, the same bits on every call, in fewer iterations on a
// sequence of slightly perturbed problems; bad starts are refused with a
// line naming the field.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { makeRng, randn, tensor, type Tensor } from '@optnet/tensor';
import { grad } from '@optnet/autograd';
import { qp, solveQp, type QpResult } from '../src/index.js';
import { randomQp, type RandomQp } from '../src/testing.js';

const f64 = 'float64' as const;
const arr = (t: Tensor) => Array.from(t.dataSync());
const maxDiff = (a: Tensor, b: Tensor) =>
  Math.max(...arr(a).map((v, i) => Math.abs(v - arr(b)[i])));

/** The batch plus eps·N(0, 1) on p, G and h (A and b kept). */
function perturbed(x: RandomQp, eps: number, seed: number): RandomQp {
  const rng = makeRng(seed);
  const bump = (t: Tensor) =>
    t.add(randn(t.shape, { dtype: f64, rng }).mul(eps));
  return { ...x, p: bump(x.p), G: bump(x.G!), h: bump(x.h!) };
}

const solve = (x: RandomQp, opts = {}) =>
  solveQp(x.Q, x.p, x.G, x.h, x.A, x.b, opts);

test('from its own answer a problem is solved without iterating, to the same point', async () => {
  const x = randomQp({
    nBatch: 6,
    nz: 8,
    nIneq: 10,
    nEq: 3,
    dtype: f64,
    seed: 1,
  });
  const cold = await solve(x);
  const warm = await solve(x, { warmStart: cold });
  assert.equal(warm.iterations, Array(6).fill(0));
  assert.equal(warm.status, Array(6).fill('solved'));
  assert.equal(warm.polished, Array(6).fill(true));
  assert.ok(maxDiff(warm.z, cold.z) < 1e-13);
});

test('a slightly perturbed sequence: the cold answers, in fewer iterations, the same bits every call', async () => {
  const x0 = randomQp({
    nBatch: 16,
    nz: 10,
    nIneq: 10,
    nEq: 2,
    dtype: f64,
    seed: 2,
  });
  for (const [eps, most] of [
    [1e-3, 0], // the active sets hold: polishing at the start finishes
    [3e-2, 1], // some change: iterate from the shifted start (saves little)
  ] as const) {
    let prev: QpResult = await solve(x0);
    let x = x0;
    for (let k = 1; k <= 3; k++) {
      x = perturbed(x, eps, 10 * k);
      const cold = await solve(x);
      const warm = await solve(x, { warmStart: prev });
      const again = await solve(x, { warmStart: prev });
      assert.equal(arr(again.z), arr(warm.z), 'nothing cached: same bits');
      assert.equal(warm.status, cold.status);
      assert.ok(maxDiff(warm.z, cold.z) < 1e-9, `eps ${eps} step ${k}`);
      const [w, c] = [warm, cold].map((r) => Math.max(...r.iterations));
      assert.ok(w <= most * c, `eps ${eps} step ${k}: ${w} vs ${c} iterations`);
      prev = warm;
    }
  }
});

test('without polishing, a warm start still saves iterations', async () => {
  const x = randomQp({
    nBatch: 16,
    nz: 10,
    nIneq: 10,
    nEq: 0,
    dtype: f64,
    seed: 3,
  });
  const cold = await solve(x, { polish: false });
  const y = perturbed(x, 1e-3, 4);
  const c = await solve(y, { polish: false });
  const w = await solve(y, { polish: false, warmStart: cold });
  const [wi, ci] = [w, c].map((r) => Math.max(...r.iterations));
  assert.ok(wi < ci, `${wi} vs ${ci}`);
  assert.equal(w.status, c.status);
});

test('qp with a warm start: the same z and gradients as from scratch', async () => {
  const x = randomQp({
    nBatch: 4,
    nz: 6,
    nIneq: 8,
    nEq: 2,
    dtype: f64,
    seed: 5,
  });
  const start = await solve(perturbed(x, 1e-3, 6));
  const f = (opts: object) => (p: Tensor, h: Tensor) =>
    qp(x.Q, p, x.G, h, x.A, x.b, opts).square().sum();
  const [gp, gh] = grad(f({ warmStart: start }))(x.p, x.h!) as Tensor[];
  const [cp, ch] = grad(f({}))(x.p, x.h!) as Tensor[];
  assert.ok(maxDiff(gp, cp) < 1e-10 && maxDiff(gh, ch) < 1e-10);
});

test('items whose active set moved iterate on their own: the others take 0 iterations; z and gradients are the cold ones', async () => {
  const x = randomQp({
    nBatch: 8,
    nz: 8,
    nIneq: 10,
    nEq: 2,
    dtype: f64,
    seed: 11,
  });
  const start = await solve(x);
  const activeSet = (r: QpResult) =>
    (r.lam.arraySync() as number[][]).map((l, i) =>
      l.map((v, j) => v > (r.s.arraySync() as number[][])[i][j]).join(),
    );
  // Items 2 and 5 (and then 2 alone: a one-item subset) get a new p that
  // moves their active sets.
  for (const moved of [[2, 5], [2]]) {
    const rows = (x.p.arraySync() as number[][]).map((r, i) =>
      moved.includes(i) ? r.map((v) => -3 * v) : r,
    );
    const y = { ...x, p: tensor(rows, { dtype: f64 }) };
    const cold = await solve(y);
    const [a0, a1] = [activeSet(start), activeSet(cold)];
    assert.equal(
      a0.flatMap((a, i) => (a === a1[i] ? [] : [i])),
      moved,
      'the active sets that moved',
    );
    const warm = await solve(y, { warmStart: start });
    const again = await solve(y, { warmStart: start });
    assert.equal(arr(again.z), arr(warm.z), 'nothing cached: same bits');
    assert.equal(warm.status, cold.status);
    assert.equal(warm.polished, Array(8).fill(true));
    warm.iterations.forEach((k, i) =>
      assert.ok(moved.includes(i) ? k > 0 : k === 0, `item ${i}: ${k}`),
    );
    assert.ok(maxDiff(warm.z, cold.z) < 1e-12, `z ${maxDiff(warm.z, cold.z)}`);
    assert.ok(maxDiff(warm.lam, cold.lam) < 1e-10);
    const w = randn([8, 8], { rng: makeRng(12), dtype: f64 });
    const f = (opts: object) => (p: Tensor, G: Tensor, h: Tensor) =>
      qp(y.Q, p, G, h, y.A, y.b, opts).mul(w).sum();
    const gw = grad(f({ warmStart: start }))(y.p, y.G!, y.h!) as Tensor[];
    const gc = grad(f({}))(y.p, y.G!, y.h!) as Tensor[];
    gw.forEach((g, k) =>
      assert.ok(maxDiff(g, gc[k]) < 1e-10, `grad ${k}: ${maxDiff(g, gc[k])}`),
    );
  }
});

test('an item made infeasible is reported so from its own iterations; the others take 0 (float64 and float32)', async () => {
  for (const dtype of ['float64', 'float32'] as const) {
    const x = randomQp({ nBatch: 8, nz: 6, nIneq: 8, nEq: 0, dtype, seed: 3 });
    const start = await solveQp(x.Q, x.p, x.G, x.h);
    // Item 4: rows 0 and 1 become g·z ≤ −1 and −g·z ≤ −1.
    const G = x.G!.arraySync() as number[][][];
    const h = x.h!.arraySync() as number[][];
    G[4][1] = G[4][0].map((v) => -v);
    [h[4][0], h[4][1]] = [-1, -1];
    const [Gy, hy] = [tensor(G, { dtype }), tensor(h, { dtype })];
    const cold = await solveQp(x.Q, x.p, Gy, hy);
    const warm = await solveQp(x.Q, x.p, Gy, hy, null, null, {
      warmStart: start,
    });
    assert.equal(warm.status, cold.status, dtype);
    assert.is(warm.status[4], 'infeasible');
    warm.iterations.forEach((k, i) =>
      assert.ok(i === 4 ? k > 0 : k === 0, `${dtype} item ${i}: ${k}`),
    );
    assert.equal(
      warm.polished,
      [0, 1, 2, 3, 4, 5, 6, 7].map((i) => i !== 4),
    );
  }
});

test('a QpResult without inequalities, unbatched starts, and NaN entries are taken as they come', async () => {
  const x = randomQp({
    nBatch: 3,
    nz: 5,
    nIneq: 0,
    nEq: 2,
    dtype: f64,
    seed: 7,
  });
  const cold = await solveQp(x.Q, x.p, null, null, x.A, x.b);
  const warm = await solveQp(x.Q, x.p, null, null, x.A, x.b, {
    warmStart: cold,
  });
  assert.ok(maxDiff(warm.z, cold.z) < 1e-13);
  const y = randomQp({
    nBatch: 3,
    nz: 5,
    nIneq: 4,
    nEq: 0,
    dtype: f64,
    seed: 8,
  });
  const ref = await solve(y);
  const nan = ref.z.mul(0).add(NaN);
  for (const warmStart of [{ z: ref.z.sum(0) }, { z: nan, lam: ref.lam }]) {
    const r = await solve(y, { warmStart });
    assert.equal(r.status, ref.status);
    assert.ok(maxDiff(r.z, ref.z) < 1e-12);
  }
});

test('bad warm starts are refused, naming the field', async () => {
  const x = randomQp({
    nBatch: 3,
    nz: 5,
    nIneq: 4,
    nEq: 1,
    dtype: f64,
    seed: 9,
  });
  const r = await solve(x);
  const cases: [object, string, RegExp][] = [
    [{ warmStart: { lam: r.lam } }, 'BAD_OPTION', /warmStart/],
    [{ warmStart: r.z }, 'BAD_OPTION', /warmStart/],
    [
      { warmStart: { z: r.z.sum(0).reshape([1, 5]).expand([2, 5]) } },
      'SHAPE_MISMATCH',
      /warmStart\.z must be \[3, 5\] or \[5\]/,
    ],
    [{ warmStart: { z: r.z, nu: r.lam } }, 'SHAPE_MISMATCH', /warmStart\.nu/],
    [
      { warmStart: { z: r.z.cast('float32') } },
      'DTYPE_MISMATCH',
      /warmStart\.z must be float64/,
    ],
  ];
  for (const [opts, code, re] of cases) {
    let err: { code?: string; message: string } | null = null;
    try {
      await solve(x, opts);
    } catch (e) {
      err = e as { code?: string; message: string };
    }
    assert.ok(err !== null, `${code} expected`);
    assert.is(err!.code, code, err!.message);
    assert.match(err!.message, re);
  }
});

test.run();
