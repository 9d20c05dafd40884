// No exception steers the solver: a factorization that breaks down, a
// NaN, an item that cannot reach its tolerance all end as that item's
// status (with its best iterate), while every other item of the batch
// solves exactly as it would alone; the known cases that used to throw
// from inside (float32 asked for 2e-7, float32 with the primal reduction
// and gradients) return statuses.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { makeRng, randn, tensor, type Tensor } from '@optnet/tensor';
import { grad, noGrad } from '@optnet/autograd';
import {
  OptNetLayer,
  optnetProblem,
  qp,
  QpError,
  solveQp,
  type QpStatus,
} from '../src/index.js';
import { randomQp } from '../src/testing.js';
import { kktResiduals } from './kkt-check.js';
import {
  finalIterate,
  held,
  noBest,
  track,
  type Best,
} from '../src/solver/best.js';

const f64 = 'float64' as const;
const finite = (t: Tensor): boolean =>
  Array.from(t.dataSync()).every(Number.isFinite);

/**
 * A batch of 5 random QPs, per-item G, with item 2's rows scaled by 1e160:
 * G Q⁻¹ Gᵀ overflows, its factorization breaks down at every
 * regularization, from the first iteration on.
 */
function withBrokenItem() {
  const d = randomQp({
    nBatch: 5,
    nz: 6,
    nIneq: 8,
    nEq: 2,
    dtype: f64,
    seed: 1,
  });
  const G = d.G!;
  const scale = tensor([1, 1, 1e160, 1, 1], { dtype: f64 });
  return {
    d,
    G,
    Gb: G.mul(scale.reshape([5, 1, 1])),
    hb: d.h!.mul(scale.reshape([5, 1])),
  };
}

for (const kkt of ['dual', 'primal'] as const) {
  test(`an item whose factorization breaks down ends numerical_error alone; the others are untouched (${kkt})`, async () => {
    const { d, G, Gb, hb } = withBrokenItem();
    const r = await solveQp(d.Q, d.p, Gb, hb, d.A, d.b, { kkt });
    const ref = await solveQp(d.Q, d.p, G, d.h, d.A, d.b, { kkt });
    assert.equal(r.status, [
      'solved',
      'solved',
      'numerical_error',
      'solved',
      'solved',
    ]);
    assert.is(r.iterations[2], 0, 'stopped at its first read');
    const z = r.z.arraySync() as number[][];
    const zr = ref.z.arraySync() as number[][];
    for (const i of [0, 1, 3, 4]) {
      assert.is(r.iterations[i], ref.iterations[i], `item ${i} iterations`);
      z[i].forEach((v, j) =>
        assert.ok(
          Math.abs(v - zr[i][j]) <= 1e-12,
          `item ${i}: ${v} vs ${zr[i][j]}`,
        ),
      );
    }
  });
}

test("qp with onNotSolved 'return': a broken item gets a zero gradient and does not poison a shared one", () => {
  const { d, G, Gb, hb } = withBrokenItem();
  const opts = { onNotSolved: 'return' as const };
  const loss = (g: Tensor, h: Tensor) => (Q: Tensor) =>
    qp(Q, d.p, g, h, d.A, d.b, opts)
      .mul(tensor([1, 1, 0, 1, 1], { dtype: f64 }).unsqueeze(-1))
      .sum();
  const Q = d.Q.slice([{ start: 0, stop: 1 }]).reshape([6, 6]); // shared
  const gq = grad(loss(Gb, hb))(Q) as Tensor;
  assert.ok(finite(gq), 'finite shared gradient');
  // Item 2's z is masked out of the loss above: the same gradient as the
  // batch where item 2 solves, minus item 2's share (zero either way).
  const ref = grad(loss(G, d.h!))(Q) as Tensor;
  const diff = noGrad(() => gq.sub(ref).abs().max().itemSync());
  assert.ok(diff < 1e-9, `shared dQ differs by ${diff}`);
  const gp = grad((p: Tensor) => qp(Q, p, Gb, hb, d.A, d.b, opts).sum())(
    d.p,
  ) as Tensor;
  const rows = gp.arraySync() as number[][];
  assert.equal(rows[2], [0, 0, 0, 0, 0, 0], 'item 2: zero gradient');
  assert.ok(rows.flat().every(Number.isFinite));
});

test("qp with onNotSolved 'return': an infeasible or unbounded item gets a zero gradient too, and the shared gradients are those of the solvable items alone", () => {
  const Q = tensor(
    [
      [2, 0.5],
      [0.5, 1],
    ],
    { dtype: f64 },
  );
  const G = tensor(
    [
      [1, 0],
      [-1, 0],
      [0, 1],
    ],
    { dtype: f64 },
  );
  const p = tensor(
    [
      [-1, -1],
      [-1, -1],
    ],
    { dtype: f64 },
  );
  // Item 1 asks z₀ ≤ 1 and z₀ ≥ 2: infeasible.
  const h = tensor(
    [
      [1, 1, 0.3],
      [1, -2, 0.3],
    ],
    { dtype: f64 },
  );
  const statuses: string[] = [];
  const opts = {
    onNotSolved: 'return' as const,
    onResult: (i: { status: readonly string[] }) => statuses.push(...i.status),
  };
  const shared = (hh: Tensor, pp: Tensor) =>
    grad((q: Tensor, g: Tensor) => qp(q, pp, g, hh, null, null, opts).sum())(
      Q,
      G,
    ) as Tensor[];
  const [gQ, gG] = shared(h, p);
  assert.equal(statuses, ['solved', 'infeasible']);
  const [rQ, rG] = shared(h.slice([{ stop: 1 }]), p.slice([{ stop: 1 }]));
  const gap = (a: Tensor, b: Tensor) =>
    noGrad(() => a.sub(b).abs().max().itemSync());
  assert.ok(gap(gQ, rQ) < 1e-12, `dQ differs by ${gap(gQ, rQ)}`);
  assert.ok(gap(gG, rG) < 1e-12, `dG differs by ${gap(gG, rG)}`);
  // An unbounded item (Q = 0 along z₁, nothing bounds it) in the batch.
  const Q0 = tensor(
    [
      [1, 0],
      [0, 0],
    ],
    { dtype: f64 },
  );
  const gp = grad((pp: Tensor) =>
    qp(
      Q0,
      pp,
      tensor([[1, 0]], { dtype: f64 }),
      tensor([1], { dtype: f64 }),
      null,
      null,
      {
        ...opts,
        onResult: undefined,
      },
    ).sum(),
  )(
    tensor(
      [
        [-1, 0],
        [-1, -1],
      ],
      { dtype: f64 },
    ),
  ) as Tensor;
  const rows = gp.arraySync() as number[][];
  assert.equal(rows[1], [0, 0], 'the unbounded item: zero gradient');
  assert.ok(rows.flat().every(Number.isFinite));
});

/** The OptNetLayer batch of the known float32 failures (issue 11). */
function layerBatch(seed: number) {
  const layer = new OptNetLayer({
    nz: 20,
    nIneq: 30,
    nEq: 5,
    rng: makeRng(seed),
    solveDtype: 'float32',
  });
  const x = randn([16, 20], { rng: makeRng(100 + seed) }).mul(3);
  const P = noGrad(() => optnetProblem(layer.params(), 1e-4));
  const c = (t: Tensor | null) => t!.cast('float32');
  return { layer, x, Q: c(P.Q), G: c(P.G), h: c(P.h), A: c(P.A), b: c(P.b) };
}

test('float32 asked for tol 2e-7 (tighter than it can always reach) returns statuses, never a NON_FINITE', async () => {
  const { x, Q, G, h, A, b } = layerBatch(3);
  const layer = new OptNetLayer({
    nz: 20,
    nIneq: 30,
    nEq: 5,
    rng: makeRng(3),
    solveDtype: 'float32',
    qpOptions: { tol: 2e-7 },
  });
  const p = randn([16, 20], { rng: makeRng(103) }).mul(3);
  try {
    layer.forward(p);
  } catch (e) {
    assert.ok(e instanceof QpError, String(e));
    assert.is((e as QpError).code, 'QP_NOT_SOLVED');
  }
  const r = await solveQp(Q, x, G, h, A, b, { tol: 2e-7 });
  const ok: QpStatus[] = ['solved', 'numerical_error', 'max_iterations'];
  assert.ok(
    r.status.every((s) => ok.includes(s)),
    r.status.join(),
  );
  assert.ok(r.status.filter((s) => s === 'solved').length >= 12);
  assert.ok(finite(r.z), 'every z finite (the best iterate where unsolved)');
  const x64 = { Q, p: x, G, h, A, b };
  r.status.forEach((s, i) => {
    if (s !== 'solved') return;
    const k = kktResiduals(x64, r, i);
    const worst = Math.max(k.stationarity, k.primal, k.dualSign);
    assert.ok(worst < 1e-5, `item ${i}: KKT ${JSON.stringify(k)}`);
  });
});

test("float32 with kkt 'primal' and gradients: statuses and finite gradients, no NOT_POSITIVE_DEFINITE", () => {
  for (const seed of [0, 1]) {
    const { layer, x } = layerBatch(seed);
    let seen: readonly QpStatus[] = [];
    layer.qpOptions = {
      kkt: 'primal',
      onNotSolved: 'return',
      onResult: (info) => void (seen = info.status),
    };
    const z = layer.forward(x);
    z.square().sum().backward();
    assert.is(seen.length, 16);
    for (const t of layer.parameters()) {
      assert.ok(t.grad !== null && finite(t.grad), `seed ${seed}: gradient`);
    }
    layer.qpOptions = { kkt: 'primal' };
    if (seen.every((s) => s === 'solved')) continue;
    try {
      layer.forward(x);
      assert.unreachable('unsolved items must throw by default');
    } catch (e) {
      assert.is((e as QpError).code, 'QP_NOT_SOLVED', String(e));
    }
  }
});

test('an item stuck at its precision stops early (stalled) and returns its best iterate, not its last', async () => {
  const d = randomQp({
    nBatch: 1,
    nz: 10,
    nIneq: 15,
    nEq: 3,
    dtype: 'float32',
    seed: 0,
  });
  const seen: number[][] = [];
  const r = await solveQp(d.Q, d.p, d.G, d.h, d.A, d.b, {
    tol: 1e-10,
    maxIter: 40,
    polish: false,
    onIteration: (i) => seen.push([i.primalResidual, i.dualResidual, i.gap]),
  });
  assert.equal(r.status, ['numerical_error']);
  assert.ok(r.iterations[0] < 40, `${r.iterations[0]} iterations`);
  const got = [r.primalResidual[0], r.dualResidual[0], r.gap[0]];
  const at = seen.findIndex((s) => s.every((v, j) => v === got[j]));
  assert.ok(at >= 0, `reported ${got} is one of the iterations read`);
  assert.ok(at < seen.length - 1, 'the best is not the last here');
  // The returned point is the one those statistics describe.
  const x = { Q: d.Q, p: d.p, G: d.G, h: d.h, A: d.A, b: d.b };
  const k = kktResiduals(x, r, 0);
  assert.ok(k.primal < 1e-5 && k.stationarity < 1e-5, JSON.stringify(k));
});

test('best.ts: the best iterate per item by merit, by reference; copied only for unconverged items at the end', () => {
  const t = (v: number[]) => tensor(v, { dtype: f64 }).unsqueeze(-1);
  const it0 = { z: t([0, 0]), s: null, lam: null, nu: null };
  const it1 = { z: t([1, 1]), s: null, lam: null, nu: null };
  const it2 = { z: t([2, 2]), s: null, lam: null, nu: null };
  const row = (pres: number) =>
    Float64Array.from([pres, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  const scales = { pNorm: new Float64Array(2), qMax: 1 };
  let best: Best = noBest(2);
  const open: (QpStatus | null)[] = [null, null];
  best = track(best, it0, [0, 1], [row(1), row(1)], scales, 0.1);
  assert.equal(best.from, [it0, it0]);
  // Item 0 improves, item 1 gets worse: it keeps iterate 0.
  best = track(best, it1, [0, 1], [row(0.5), row(2)], scales, 0.1);
  assert.equal(best.from, [it1, it0]);
  assert.equal(Array.from(best.stale), [0, 1]);
  assert.equal([...held(best, open)], [it1, it0]);
  const last = [row(0.1), row(3)];
  const status: QpStatus[] = ['solved', 'max_iterations'];
  best = track(best, it2, [0, 1], last, scales, 0.1);
  // Item 0 ended solved: only item 1's best must be kept.
  assert.equal([...held(best, status)], [it0]);
  const final = finalIterate(best, it2, status, last);
  // Item 0 solved: its last iterate; item 1 did not: its best (iterate 0).
  assert.equal(final.z.arraySync(), [[2], [0]]);
  assert.is(last[1][0], 1, 'item 1 reports its best statistics');
});

test.run();
