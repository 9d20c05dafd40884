// The QP layer's backward pass: float64 gradchecks of all six inputs with
// nBatch > 1 and shared and per-item arguments mixed, in both KKT
// reductions; shared arguments get the SUM of the per-item gradients;
// active and inactive constraints get the gradients the geometry predicts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  eye,
  makeRng,
  matmul,
  randn,
  tensor,
  type Tensor,
} from '@optnet/tensor';
import { grad } from '@optnet/autograd';
import { checkVjp } from '@optnet/autograd/testing';
import { qp, type QpOptions } from '../src/index.js';

const f64 = 'float64' as const;
const names = ['L (Q = LLᵀ + 0.1I)', 'p', 'G', 'h', 'A', 'b'];

/** Q = LLᵀ + 0.1·I so that perturbing L keeps Q symmetric positive definite. */
function qOf(l: Tensor): Tensor {
  return matmul(l, l, { transB: true }).add(
    eye(l.shape[l.rank - 1], { dtype: f64 }).mul(0.1),
  );
}

/**
 * A feasible batch with some constraints active: h = Gz₀ + s₀, s₀ ≥ 0 with
 * zeros.
 */
function data(seed: number, shared: Set<string>) {
  const rng = makeRng(seed);
  const B = 3,
    n = 5,
    m = 7,
    k = 2;
  const lead = (x: string) => (shared.has(x) ? [] : [B]);
  const L = randn([...lead('Q'), n, n], { rng, dtype: f64 });
  const p = randn([...lead('p'), n], { rng, dtype: f64 }).mul(4);
  const G = randn([...lead('G'), m, n], { rng, dtype: f64 });
  const z0 = randn([B, n], { rng, dtype: f64 });
  const gz =
    G.rank === 2
      ? matmul(z0, G, { transB: true })
      : matmul(G, z0.unsqueeze(-1)).squeeze(-1);
  const h = shared.has('h')
    ? gz.max(0).add(0.5)
    : gz.add(randn([B, m], { rng, dtype: f64 }).abs());
  const A = randn([...lead('A'), k, n], { rng, dtype: f64 });
  const b =
    A.rank === 2
      ? matmul(z0, A, { transB: true })
      : matmul(A, z0.unsqueeze(-1)).squeeze(-1);
  return [L, p, G, h, A, b];
}

const layouts: [string, string[]][] = [
  ['shared Q, G, A; per-item p, h, b', ['Q', 'G', 'A']],
  ['per-item Q, G, A; shared p, h', ['p', 'h']],
];
for (const kkt of ['dual', 'primal'] as const) {
  for (const [label, shared] of layouts) {
    test(`gradcheck of all six inputs (${label}; ${kkt} KKT form)`, () => {
      const args = data(kkt === 'dual' ? 1 : 2, new Set(shared));
      // The primal form factors Q + GᵀDG, whose condition grows like 1/tol
      // (d = lam/s); at 1e-9 it still gives gradients to ~1e-7.
      const opts: QpOptions = {
        tol: kkt === 'dual' ? 1e-12 : 1e-9,
        maxIter: 80,
        kkt,
      };
      const f = (
        L: Tensor,
        p: Tensor,
        G: Tensor,
        h: Tensor,
        A: Tensor,
        b: Tensor,
      ) => qp(qOf(L), p, G, h, A, b, opts);
      const rng = makeRng(7);
      args.forEach((_, i) => {
        const r = checkVjp(f, args, { rng, wrt: [i], eps: 1e-5 });
        assert.ok(
          r.relError < 1e-6,
          `${names[i]}: analytic ${r.analytic} vs numeric ${r.numeric} (rel ${r.relError})`,
        );
      });
    });
  }
}

test('badly scaled data (Q ~ 1e3, h and b ~ 1e-2) still gradchecks', () => {
  const [L, p, G, h, A, b] = data(5, new Set(['Q', 'G']));
  const opts: QpOptions = { tol: 1e-12, maxIter: 80 };
  const f = (
    L: Tensor,
    p: Tensor,
    G: Tensor,
    h: Tensor,
    A: Tensor,
    b: Tensor,
  ) => qp(qOf(L).mul(1e3), p, G, h.mul(1e-2), A, b.mul(1e-2), opts);
  const rng = makeRng(10);
  [L, p, G, h, A, b].forEach((_, i) => {
    const r = checkVjp(f, [L, p, G, h, A, b], { rng, wrt: [i], eps: 1e-6 });
    assert.ok(
      r.relError < 1e-5,
      `${names[i]}: analytic ${r.analytic} vs numeric ${r.numeric} (rel ${r.relError})`,
    );
  });
});

test('degenerate: a weakly active constraint gives finite gradients between the one-sided slopes', () => {
  // min ½z² − 0·z s.t. z ≤ h at h = 0: z* = min(0, h) has slope 1 for h < 0, 0
  // for h > 0.
  const Q = eye(1, { dtype: f64 });
  const G = eye(1, { dtype: f64 });
  const g = grad((h: Tensor) =>
    qp(Q, tensor([0], { dtype: f64 }), G, h, null, null, { tol: 1e-10 }).sum(),
  )(tensor([0], { dtype: f64 })) as Tensor;
  const v = (g.arraySync() as number[])[0];
  assert.ok(Number.isFinite(v) && v >= -1e-9 && v <= 1 + 1e-9, `dz/dh = ${v}`);
});

test('inequality-only and equality-only problems differentiate too', () => {
  const [L, p, G, h, A, b] = data(3, new Set(['Q']));
  const rng = makeRng(8);
  const ineq = checkVjp(
    (L, p, G, h) => qp(qOf(L), p, G, h, null, null, { tol: 1e-12 }),
    [L, p, G, h],
    { rng, eps: 1e-5 },
  );
  assert.ok(ineq.relError < 1e-6, `inequalities: ${ineq.relError}`);
  const eq = checkVjp(
    (L, p, A, b) => qp(qOf(L), p, null, null, A, b, { tol: 1e-12 }),
    [L, p, A, b],
    { rng, eps: 1e-5 },
  );
  assert.ok(eq.relError < 1e-6, `equalities: ${eq.relError}`);
});

test('a shared argument gets the sum of the per-item gradients (not the mean)', () => {
  const [L, pB, G, h] = data(4, new Set(['Q', 'G']));
  const p = pB.slice([{ start: 0, stop: 1 }]).squeeze(0); // one p shared by 3 items
  const pExpanded = p.unsqueeze(0).expand([3, p.shape[0]]).mul(1);
  const c = randn([3, p.shape[0]], { rng: makeRng(9), dtype: f64 });
  const loss = (pp: Tensor) => qp(qOf(L), pp, G, h).mul(c).sum();
  const gShared = (grad(loss)(p) as Tensor).arraySync() as number[];
  const gItems = (grad(loss)(pExpanded) as Tensor).arraySync() as number[][];
  const summed = gShared.map((_, j) =>
    gItems.reduce((s, row) => s + row[j], 0),
  );
  gShared.forEach((v, j) =>
    assert.ok(Math.abs(v - summed[j]) < 1e-9, `sum: ${v} vs ${summed[j]}`),
  );
  const mean = summed.map((v) => v / 3);
  assert.ok(
    gShared.some((v, j) => Math.abs(v - mean[j]) > 1e-3),
    'the gradient must not be the mean',
  );
  // Q too: the gradient of a shared Q is the sum over items.
  const q = qOf(L);
  const qB = q
    .unsqueeze(0)
    .expand([3, ...q.shape])
    .mul(1);
  const lossQ = (qq: Tensor) => qp(qq, pExpanded, G, h).mul(c).sum();
  const gQ = (grad(lossQ)(q) as Tensor).arraySync() as number[][];
  const gQB = (grad(lossQ)(qB) as Tensor).arraySync() as number[][][];
  gQ.forEach((row, i) =>
    row.forEach((v, j) =>
      assert.ok(Math.abs(v - gQB.reduce((s, m) => s + m[i][j], 0)) < 1e-9),
    ),
  );
});

test('only the inputs that need a gradient get one, and the same one as when all need it', () => {
  const [L, p, G, h, A, b] = data(5, new Set(['G']));
  const Q = qOf(L);
  const c = randn([3, p.shape[1]], { rng: makeRng(11), dtype: f64 });
  const all = [Q, p, G, h, A, b].map((t) => t.mul(1));
  for (const t of all) t.requiresGrad = true;
  qp(all[0], all[1], all[2], all[3], all[4], all[5]).mul(c).sum().backward();
  const some = [Q, p, G, h, A, b].map((t) => t.mul(1));
  some[1].requiresGrad = true; // p
  some[2].requiresGrad = true; // G (shared)
  qp(some[0], some[1], some[2], some[3], some[4], some[5])
    .mul(c)
    .sum()
    .backward();
  for (const i of [0, 3, 4, 5])
    assert.is(some[i].grad, null, `${names[i]} needs no gradient`);
  for (const i of [1, 2]) {
    const got = some[i].grad!.dataSync();
    const want = all[i].grad!.dataSync();
    got.forEach((v, j) =>
      assert.ok(
        Math.abs(v - want[j]) <= 1e-12 * (1 + Math.abs(want[j])),
        `${names[i]}[${j}]: ${v} vs ${want[j]}`,
      ),
    );
  }
});

test('active and inactive constraints: gradients of a box QP match the geometry', () => {
  // min ½‖z‖² + pᵀz s.t. z ≤ h: z = min(−p, h). Loss = sum(z).
  const p = tensor([-3, 0.5, -0.2], { dtype: f64 });
  const h = tensor([1, 1, 1], { dtype: f64 });
  const G = eye(3, { dtype: f64 });
  const Q = eye(3, { dtype: f64 });
  const [gp, gh] = grad((p: Tensor, h: Tensor) =>
    qp(Q, p, G, h, null, null, { tol: 1e-12 }).sum(),
  )(p, h) as Tensor[];
  const dp = gp.arraySync() as number[];
  const dh = gh.arraySync() as number[];
  // Item 0 is clipped at h = 1: moves with h, not with p. Items 1, 2 are free.
  assert.ok(
    Math.abs(dp[0]) < 1e-6 && Math.abs(dh[0] - 1) < 1e-6,
    `active: dp ${dp[0]}, dh ${dh[0]}`,
  );
  for (const j of [1, 2])
    assert.ok(
      Math.abs(dp[j] + 1) < 1e-6 && Math.abs(dh[j]) < 1e-6,
      `inactive ${j}: ${dp[j]}, ${dh[j]}`,
    );
});

test.run();
