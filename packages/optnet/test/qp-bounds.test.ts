// The 'bounds' KKT reduction (diagonal Q and simple bounds, declared by the
// caller): the same solutions, duals and gradients as the dense reductions
// on random feasible problems (some variables with q = 0, some unbounded,
// lower and upper bounds, equalities), the Sudoku QP's shape, finite
// differences, and clear errors when the declaration or the data is wrong.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  eye,
  makeRng,
  rand,
  randn,
  tensor,
  zeros,
  type Rng,
  type Tensor,
} from '@optnet/tensor';
import { grad } from '@optnet/autograd';
import { checkVjp } from '@optnet/autograd/testing';
import { qp, solveQp, type QpOptions } from '../src/index.js';

const f64 = 'float64' as const;
const BOUNDS: QpOptions = { structure: { Q: 'diagonal', G: 'bounds' } };

interface Problem {
  Q: Tensor;
  p: Tensor;
  G: Tensor;
  h: Tensor;
  A: Tensor;
  b: Tensor;
}

/**
 * nBatch items over nz variables: q ≥ 0 with a few zeros, a lower and an
 * upper bound on most variables (G rows ±e_j), equalities through a point
 * z0 strictly inside the bounds, so each item is feasible and bounded.
 */
function boundedProblem(
  rng: Rng,
  nBatch: number,
  nz: number,
  nEq: number,
): Problem {
  const q = rand([nBatch, nz], { rng, dtype: f64 }).mul(2);
  const qData = q.dataSync() as Float64Array;
  for (let j = 0; j < nBatch * nz; j += 5) qData[j] = 0; // LP-like variables
  const Q = q.unsqueeze(-1).mul(eye(nz, { dtype: f64 }));
  const rows: number[][] = [];
  const h: number[] = [];
  const z0 = randn([nz], { rng, dtype: f64 }).dataSync();
  for (let j = 0; j < nz; j++) {
    const e = Array.from({ length: nz }, (_, k) => (k === j ? 1 : 0));
    rows.push(e.map((v) => -v)); // −z_j ≤ −(z0_j − 1): a lower bound
    h.push(-(z0[j] - 0.5 - rng()));
    rows.push(e); // z_j ≤ z0_j + 1: an upper bound
    h.push(z0[j] + 0.5 + rng());
  }
  const G = tensor(rows, { dtype: f64 });
  const A = randn([nBatch, nEq, nz], { rng, dtype: f64 });
  const b = A.matmul(
    tensor(z0 as Float64Array, { dtype: f64 }).reshape([nz, 1]),
  ).squeeze(-1);
  const p = randn([nBatch, nz], { rng, dtype: f64 }).mul(3);
  return { Q, p, G, h: tensor(h, { dtype: f64 }), A, b };
}

const maxRel = (a: Tensor, b: Tensor): number => {
  const x = a.dataSync();
  const y = b.dataSync();
  let scale = 1e-12;
  for (let i = 0; i < y.length; i++) scale = Math.max(scale, Math.abs(y[i]));
  let e = 0;
  for (let i = 0; i < x.length; i++) e = Math.max(e, Math.abs(x[i] - y[i]));
  return e / scale;
};

test('bounds solves what the primal reduction solves: z, duals, objective', async () => {
  for (const [seed, nz, nEq] of [
    [1, 6, 2],
    [2, 12, 5],
    [3, 20, 0],
  ]) {
    const x = boundedProblem(makeRng(seed), 4, nz, nEq);
    const [A, b] = nEq > 0 ? [x.A, x.b] : [null, null];
    const opts = { tol: 1e-10 };
    const want = await solveQp(x.Q, x.p, x.G, x.h, A, b, {
      ...opts,
      kkt: 'primal',
    });
    const got = await solveQp(x.Q, x.p, x.G, x.h, A, b, {
      ...opts,
      ...BOUNDS,
      kkt: 'bounds',
    });
    assert.equal(got.status, want.status);
    assert.ok(
      got.status.every((s) => s === 'solved'),
      String(got.status),
    );
    assert.ok(maxRel(got.z, want.z) < 1e-7, `z ${maxRel(got.z, want.z)}`);
    assert.ok(
      maxRel(got.lam, want.lam) < 1e-6,
      `lam ${maxRel(got.lam, want.lam)}`,
    );
    if (nEq > 0)
      assert.ok(
        maxRel(got.nu, want.nu) < 1e-6,
        `nu ${maxRel(got.nu, want.nu)}`,
      );
    got.objective.forEach((o, i) =>
      assert.ok(
        Math.abs(o - want.objective[i]) <= 1e-8 * (1 + Math.abs(o)),
        `objective ${i}`,
      ),
    );
  }
});

test("'auto' with the declaration gives the bounds reduction's answer", async () => {
  const x = boundedProblem(makeRng(4), 3, 8, 3);
  const a = await solveQp(x.Q, x.p, x.G, x.h, x.A, x.b, {
    ...BOUNDS,
    kkt: 'bounds',
  });
  const b = await solveQp(x.Q, x.p, x.G, x.h, x.A, x.b, BOUNDS);
  assert.equal(b.z.dataSync(), a.z.dataSync());
  assert.equal(b.iterations, a.iterations);
});

test('gradients of all six inputs agree with the primal reduction', () => {
  const x = boundedProblem(makeRng(5), 3, 10, 4);
  const w = randn([3, 10], { rng: makeRng(6), dtype: f64 });
  const grads = (options: QpOptions): Tensor[] =>
    grad((Q, p, G, h, A, b) =>
      qp(Q, p, G, h, A, b, { tol: 1e-11, ...options })
        .mul(w)
        .sum(),
    )(x.Q, x.p, x.G, x.h, x.A, x.b) as Tensor[];
  const want = grads({ kkt: 'primal' });
  const got = grads({ ...BOUNDS, kkt: 'bounds' });
  ['Q', 'p', 'G', 'h', 'A', 'b'].forEach((name, i) => {
    const e = maxRel(got[i], want[i]);
    assert.ok(e < 1e-6, `d${name}: ${e}`);
  });
});

test('central differences: p, h, A and b of a bounded batch', () => {
  const x = boundedProblem(makeRng(7), 2, 6, 2);
  const f = (p: Tensor, h: Tensor, A: Tensor, b: Tensor) =>
    qp(x.Q, p, x.G, h, A, b, { tol: 1e-12, ...BOUNDS });
  const r = checkVjp(f, [x.p, x.h, x.A, x.b], { rng: makeRng(8), eps: 1e-6 });
  assert.ok(r.relError < 1e-6, `rel ${r.relError}`);
});

test('the Sudoku QP (Q = 0.1·I, z ≥ 0, 40 equalities) solves as the dual reduction does', async () => {
  const rng = makeRng(9);
  const nz = 64;
  const Q = eye(nz, { dtype: f64 }).mul(0.1);
  const G = eye(nz, { dtype: f64 }).neg();
  const h = zeros([nz], { dtype: f64 });
  const A = rand([40, nz], { rng, dtype: f64 });
  const b = A.matmul(rand([nz, 1], { rng, dtype: f64 }).add(0.5)).squeeze(-1);
  const p = rand([16, nz], { rng, dtype: f64 }).neg();
  const want = await solveQp(Q, p, G, h, A, b, { kkt: 'dual' });
  const got = await solveQp(Q, p, G, h, A, b, BOUNDS);
  assert.ok(got.status.every((s) => s === 'solved'));
  assert.ok(maxRel(got.z, want.z) < 1e-6, `z ${maxRel(got.z, want.z)}`);
});

test('the declaration is checked: wrong data and a missing declaration are errors', () => {
  const x = boundedProblem(makeRng(10), 2, 4, 1);
  const code = (fn: () => unknown): [string, string] => {
    try {
      fn();
    } catch (e) {
      return [(e as { code: string }).code, (e as Error).message];
    }
    return ['none', ''];
  };
  const dense = x.Q.add(
    tensor(
      [
        [0, 0.1, 0, 0],
        [0.1, 0, 0, 0],
        [0, 0, 0, 0],
        [0, 0, 0, 0],
      ],
      { dtype: f64 },
    ),
  );
  let [c, m] = code(() => qp(dense, x.p, x.G, x.h, x.A, x.b, BOUNDS));
  assert.is(c, 'BAD_STRUCTURE');
  assert.match(
    m,
    /structure\.Q 'diagonal' declares a diagonal Q; got Q\[0\]\[0\]\[1\] = 0\.1/,
  );
  const g2 = x.G.add(
    tensor(
      Array.from({ length: 8 }, (_, r) => [r === 3 ? 1 : 0, 0, 0, 0]),
      { dtype: f64 },
    ),
  );
  [c, m] = code(() => qp(x.Q, x.p, g2, x.h, x.A, x.b, BOUNDS));
  assert.is(c, 'BAD_STRUCTURE');
  assert.match(m, /got G\[3\] with nonzeros in columns 0 and 1/);
  // A batched G names the item and its row.
  const g3 = g2
    .unsqueeze(0)
    .expand([2, ...g2.shape])
    .mul(1);
  [c, m] = code(() => qp(x.Q, x.p, g3, x.h, x.A, x.b, BOUNDS));
  assert.is(c, 'BAD_STRUCTURE');
  assert.match(m, /got G\[0\]\[3\] with nonzeros in columns 0 and 1/);
  [c, m] = code(() => qp(x.Q, x.p, x.G, x.h, x.A, x.b, { kkt: 'bounds' }));
  assert.is(c, 'BAD_OPTION');
  assert.match(m, /kkt 'bounds' needs the structure the caller declares/);
  [c, m] = code(() =>
    qp(x.Q, x.p, x.G, x.h, x.A, x.b, { structure: { Q: 'diag' } as never }),
  );
  assert.is(c, 'BAD_OPTION');
  assert.match(m, /structure/);
});

test.run();
