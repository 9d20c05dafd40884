// Polishing: the equality-constrained QP of the guessed active set,
// solved per item and kept only when at least as good. Complementarity to
// working precision where the interior point stops at tol; gradients that
// match central finite differences at the default tolerance; a guess that
// does not fit changes nothing; the option turns it off.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  apply,
  concat,
  indexSelect,
  makeRng,
  rand,
  randn,
  tensor,
  type Tensor,
} from '@optnet/tensor';
import { checkVjp } from '@optnet/autograd/testing';
import { qp, solveQp, type QpSolveInfo } from '../src/index.js';
import { kktQp, randomQp } from '../src/testing.js';
import { kktResiduals, worstKkt } from './kkt-check.js';
import { looseTol } from '../src/solver/loose.js';
import {
  polishSystemOp,
  polishUpdateOp,
} from '../src/kernels/polish-kernel.js';
import { dualKkt } from '../src/solver/kkt/dual.js';
import { finiteRowNorms2 } from '../src/api/validate.js';
import type { KktStrategy } from '../src/solver/kkt/types.js';

const f64 = 'float64' as const;
const arr = (t: Tensor) => Array.from(t.dataSync());
const rows = (t: Tensor) => t.arraySync() as number[][];
/** Active duals and inactive slacks of 1e-8: no active set fits. */
const degenerate = () =>
  kktQp({
    nBatch: 3,
    nz: 8,
    nIneq: 10,
    nEq: 2,
    dtype: f64,
    seed: 2,
    duals: [1e-8, 1e-6],
    slacks: [1e-8, 1e-6],
  });

test('polished points are complementary to working precision; unpolished ones only to tol', async () => {
  for (const kkt of ['dual', 'primal'] as const) {
    const x = randomQp({
      nBatch: 6,
      nz: 8,
      nIneq: 12,
      nEq: 3,
      dtype: f64,
      seed: 3,
    });
    const on = await solveQp(x.Q, x.p, x.G, x.h, x.A, x.b, { kkt });
    const off = await solveQp(x.Q, x.p, x.G, x.h, x.A, x.b, {
      kkt,
      polish: false,
    });
    assert.equal(on.polished, Array(6).fill(true), kkt);
    assert.equal(off.polished, Array(6).fill(false), kkt);
    assert.ok(
      worstKkt(x, on, 6) < 1e-13,
      `${kkt}: polished KKT ${worstKkt(x, on, 6)}`,
    );
    const comp = Math.max(
      ...[0, 1, 2, 3, 4, 5].map((i) => kktResiduals(x, off, i).complementarity),
    );
    assert.ok(comp > 1e-13, `${kkt}: unpolished complementarity ${comp}`);
    assert.ok(Math.max(...on.gap) < 1e-14, `gap ${on.gap}`);
  }
});

test('polished points meet their equalities to round-off: ‖Az − b‖∞ within a few ulps of Σ|a||z| (nz 50, 25 equalities)', () => {
  // The equality block is factored with δ = 1e-13 of its largest entry
  // (dual-factor.ts factorR); the polish solve refines it away. Unrefined,
  // this batch's worst row was off by 15 ulps of its scale.
  const nz = 50;
  const nEq = 25;
  const x = randomQp({ nBatch: 128, nz, nIneq: nz, nEq, dtype: f64, seed: 75 });
  const z = qp(x.Q, x.p, x.G, x.h, x.A, x.b).dataSync();
  const [A, b] = [x.A!.dataSync(), x.b!.dataSync()];
  let worst = 0;
  for (let k = 0; k < 128; k++)
    for (let i = 0; i < nEq; i++) {
      let v = -b[k * nEq + i];
      let scale = Math.abs(b[k * nEq + i]);
      for (let j = 0; j < nz; j++) {
        const t = A[(k * nEq + i) * nz + j] * z[k * nz + j];
        v += t;
        scale += Math.abs(t);
      }
      worst = Math.max(worst, Math.abs(v) / (scale * 2 ** -52));
    }
  assert.ok(worst <= 2, `worst equality row off by ${worst} ulps of its scale`);
});

/**
 * The gradients of `loss()` with respect to `leaves`, first with the dual
 * strategy's `refactor` (counting the items it kept from polishing's
 * factorization) and then without it (every item factored again), and the
 * count.
 */
function withAndWithoutRefactor(
  leaves: readonly Tensor[],
  loss: () => Tensor,
): { kept: number; reused: number[][]; refactored: number[][] } {
  const grads = (): number[][] => {
    for (const t of leaves) {
      t.requiresGrad = true;
      t.grad = null;
    }
    loss().backward();
    const out = leaves.map((t) => arr(t.grad!));
    for (const t of leaves) t.requiresGrad = false;
    return out;
  };
  const strategy = dualKkt as {
    -readonly [K in keyof KktStrategy]: KktStrategy[K];
  };
  const refactor = strategy.refactor!;
  let kept = 0;
  strategy.refactor = (pre, s, lam, keep, from) => {
    kept += keep.filter((k) => k).length;
    return refactor(pre, s, lam, keep, from);
  };
  try {
    const reused = grads();
    strategy.refactor = undefined;
    return { kept, reused, refactored: grads() };
  } finally {
    strategy.refactor = refactor;
  }
}

test("the backward keeps the first polish attempt's factorization for the items it polished, factoring only the others: the gradients of factoring every item again, bit for bit", () => {
  // nz 50, seed 50: the first guess misses a few of the 128 items and the
  // second polishes some of them.
  const x = randomQp({
    nBatch: 128,
    nz: 50,
    nIneq: 50,
    nEq: 0,
    dtype: f64,
    seed: 50,
  });
  const c = randn([128, 50], { rng: makeRng(3), dtype: f64 });
  const { kept, reused, refactored } = withAndWithoutRefactor(
    [x.Q, x.p, x.G!, x.h!],
    () => qp(x.Q, x.p, x.G, x.h).mul(c).sum(),
  );
  assert.ok(kept > 0 && kept < 128, `items kept: ${kept}`);
  ['Q', 'p', 'G', 'h'].forEach((name, i) =>
    assert.equal(reused[i], refactored[i], `∂${name}`),
  );
});

test("after a warm start that re-solves some items, the backward still keeps the first polish's factors for the others: the gradients of factoring every item again, bit for bit", async () => {
  const x = randomQp({
    nBatch: 8,
    nz: 8,
    nIneq: 10,
    nEq: 2,
    dtype: f64,
    seed: 11,
  });
  const start = await solveQp(x.Q, x.p, x.G, x.h, x.A, x.b);
  // Items 2 and 5 get a p that moves their active sets: they iterate on
  // their own, the others keep the warm start's polish (warm-start.test.ts).
  const rows = (x.p.arraySync() as number[][]).map((r, i) =>
    [2, 5].includes(i) ? r.map((v) => -3 * v) : r,
  );
  const p = tensor(rows, { dtype: f64 });
  const w = randn([8, 8], { rng: makeRng(12), dtype: f64 });
  const opts = { warmStart: start };
  const { kept, reused, refactored } = withAndWithoutRefactor(
    [x.Q, p, x.G!, x.h!],
    () => qp(x.Q, p, x.G, x.h, x.A, x.b, opts).mul(w).sum(),
  );
  assert.ok(kept > 0 && kept < 8, `items kept: ${kept}`);
  ['Q', 'p', 'G', 'h'].forEach((name, i) =>
    assert.equal(reused[i], refactored[i], `∂${name}`),
  );
});

test('polishing ends the solve: the interior point stops at looseTol, in fewer iterations, and the answers are exact', async () => {
  assert.is(looseTol(1e-8), 1e-7);
  assert.is(looseTol(1e-6), 10 * 1e-6);
  assert.is(looseTol(1e-3), 1e-2);
  assert.is(looseTol(1e-1), Math.sqrt(1e-1));
  assert.is(looseTol(4), 4);
  const x = randomQp({
    nBatch: 24,
    nz: 20,
    nIneq: 20,
    nEq: 5,
    dtype: f64,
    seed: 8,
  });
  const on = await solveQp(x.Q, x.p, x.G, x.h, x.A, x.b);
  const off = await solveQp(x.Q, x.p, x.G, x.h, x.A, x.b, { polish: false });
  const loose = await solveQp(x.Q, x.p, x.G, x.h, x.A, x.b, {
    polish: false,
    tol: looseTol(1e-8),
  });
  assert.equal(on.polished, Array(24).fill(true));
  assert.equal(on.iterations, loose.iterations);
  const sum = (v: readonly number[]) => v.reduce((a, b) => a + b, 0);
  assert.ok(
    sum(on.iterations) < sum(off.iterations),
    `${sum(on.iterations)} iterations, ${sum(off.iterations)} to tol`,
  );
  assert.ok(worstKkt(x, on, 24) < 1e-12, `KKT ${worstKkt(x, on, 24)}`);
});

test('an item polishing cannot finish at looseTol iterates on to tol: the same iterations and point as without polishing', async () => {
  // Duals and slacks of 1e-8: no active set fits (see the next test), so
  // the items not yet within tol at the loose stop go on from it.
  const d = degenerate();
  const seen: number[] = [];
  const on = await solveQp(d.Q, d.p, d.G, d.h, d.A, d.b, {
    onIteration: (i) => seen.push(i.iteration),
  });
  const off = await solveQp(d.Q, d.p, d.G, d.h, d.A, d.b, { polish: false });
  const loose = await solveQp(d.Q, d.p, d.G, d.h, d.A, d.b, {
    polish: false,
    tol: looseTol(1e-8),
  });
  assert.equal(on.iterations, off.iterations);
  assert.ok(
    on.iterations.every((k, i) => k >= loose.iterations[i]) &&
      on.iterations.some((k, i) => k > loose.iterations[i]),
    `${on.iterations} against ${loose.iterations} at looseTol`,
  );
  // onIteration counts on from the first run: 0, 1, ... without repeats.
  assert.equal(
    seen,
    seen.map((_, k) => k),
  );
  assert.is(seen[seen.length - 1], Math.max(...off.iterations));
  // Each item's iterations before the loose stop count against maxIter:
  // polishing on fails no item that the plain solver solves within it.
  for (const maxIter of [9, 10, 11]) {
    const plain = await solveQp(d.Q, d.p, d.G, d.h, d.A, d.b, {
      polish: false,
      maxIter,
      onNotSolved: 'return',
    });
    const polished = await solveQp(d.Q, d.p, d.G, d.h, d.A, d.b, {
      maxIter,
      onNotSolved: 'return',
    });
    assert.equal(polished.status, plain.status, `maxIter ${maxIter}`);
    assert.equal(polished.iterations, plain.iterations, `maxIter ${maxIter}`);
  }
  // One such item among polished ones goes on alone (a subset of the
  // batch): its answer and iterations are those of its own solve.
  const x = randomQp({
    nBatch: 3,
    nz: 8,
    nIneq: 10,
    nEq: 2,
    dtype: f64,
    seed: 5,
  });
  const first = (t: Tensor) =>
    indexSelect(t, 0, tensor([0], { dtype: 'int32' }));
  const both = (a: Tensor | null, b: Tensor | null) =>
    concat([a!, first(b!)], 0);
  const y = {
    Q: both(x.Q, d.Q),
    p: both(x.p, d.p),
    G: both(x.G, d.G),
    h: both(x.h, d.h),
    A: both(x.A, d.A),
    b: both(x.b, d.b),
  };
  const r = await solveQp(y.Q, y.p, y.G, y.h, y.A, y.b);
  assert.equal(r.polished, [true, true, true, false]);
  assert.equal(r.status, Array(4).fill('solved'));
  assert.is(r.iterations[3], off.iterations[0]);
  const z = rows(r.z);
  const zAlone = rows(off.z)[0];
  assert.ok(
    zAlone.every((v, j) => Math.abs(v - z[3][j]) <= 1e-9 * (1 + Math.abs(v))),
    `${z[3]} against ${zAlone}`,
  );
  assert.ok(worstKkt(y, r, 3) < 1e-12, `KKT ${worstKkt(y, r, 3)}`);
});

test('an item stopped early (maxIter 3) is finished by polishing and says so', async () => {
  const x = randomQp({
    nBatch: 4,
    nz: 6,
    nIneq: 8,
    nEq: 2,
    dtype: f64,
    seed: 4,
  });
  let info: QpSolveInfo | null = null;
  const opts = { maxIter: 3, onResult: (i: QpSolveInfo) => void (info = i) };
  const r = await solveQp(x.Q, x.p, x.G, x.h, x.A, x.b, opts);
  const off = await solveQp(x.Q, x.p, x.G, x.h, x.A, x.b, {
    maxIter: 3,
    polish: false,
  });
  assert.equal(off.status, Array(4).fill('max_iterations'));
  // Polishing needs the right active set: after 3 iterations most have it.
  const fixed = r.status.filter((s) => s === 'solved').length;
  assert.ok(fixed >= 2, `${fixed} finished`);
  r.status.forEach((s, i) => {
    assert.is(
      s === 'solved',
      r.polished[i],
      `item ${i}: status follows polish`,
    );
  });
  assert.equal(info!.polished, r.polished);
  for (let i = 0; i < 4; i++) {
    if (!r.polished[i]) continue;
    const k = kktResiduals(x, r, i);
    assert.ok(
      Math.max(k.stationarity, k.primal, k.dualSign, k.complementarity) < 1e-12,
      JSON.stringify(k),
    );
  }
});

test('where no active set fits, polishing changes nothing: the result is the unpolished one, bit for bit', async () => {
  const d = degenerate();
  const on = await solveQp(d.Q, d.p, d.G, d.h, d.A, d.b);
  const off = await solveQp(d.Q, d.p, d.G, d.h, d.A, d.b, { polish: false });
  assert.equal(on.polished, [false, false, false]);
  assert.equal(arr(on.z), arr(off.z));
  assert.equal(arr(on.lam), arr(off.lam));
  assert.equal(on.status, off.status);
  assert.equal(on.primalResidual, off.primalResidual);
});

test('equality-only and unconstrained problems are polished too (one refined Newton step)', async () => {
  const x = randomQp({
    nBatch: 3,
    nz: 6,
    nIneq: 0,
    nEq: 2,
    dtype: f64,
    seed: 5,
  });
  for (const [G, h, A, b] of [
    [null, null, x.A, x.b],
    [null, null, null, null],
  ] as const) {
    const r = await solveQp(x.Q, x.p, G, h, A, b);
    assert.equal(r.polished, [true, true, true]);
    assert.ok(worstKkt({ ...x, G, h, A, b }, r, 3) < 1e-13);
  }
});

for (const kkt of ['dual', 'primal'] as const) {
  test(`gradients of all six inputs match central finite differences at the default tol (${kkt})`, () => {
    // kktQp's default margins: every active dual and inactive slack ≥ 0.1.
    const d = kktQp({
      nBatch: 3,
      nz: 8,
      nIneq: 8,
      nEq: 2,
      dtype: f64,
      seed: 11,
    });
    const args = [d.Q, d.p, d.G!, d.h!, d.A!, d.b!];
    const f = (
      Q: Tensor,
      p: Tensor,
      G: Tensor,
      h: Tensor,
      A: Tensor,
      b: Tensor,
    ) => qp(Q.add(Q.transpose(-2, -1)).mul(0.5), p, G, h, A, b, { kkt });
    const rng = makeRng(3);
    args.forEach((_, i) => {
      const r = checkVjp(f, args, { rng, wrt: [i], eps: 1e-6 });
      assert.ok(
        r.relError < 1e-6,
        `input ${i}: ${r.analytic} vs ${r.numeric} (rel ${r.relError})`,
      );
    });
  });
}

/** min over items of the smallest active dual and inactive slack. */
function margin(r: { s: Tensor | null; lam: Tensor | null }, i: number) {
  const s = (r.s!.arraySync() as number[][])[i];
  const lam = (r.lam!.arraySync() as number[][])[i];
  return Math.min(...s.map((v, j) => Math.max(v, lam[j])));
}

for (const kkt of ['dual', 'primal'] as const) {
  test(`where min(slack, dual) is just 1e-4, gradients still match finite differences to 1e-6 (${kkt})`, async () => {
    // Active duals and inactive slacks of 1e-4..1e-3: an interior point
    // stopped at tol 1e-8 is off there by 1e-4 relative; polished, exact.
    const d = kktQp({
      nBatch: 3,
      nz: 8,
      nIneq: 10,
      nEq: 2,
      dtype: f64,
      seed: 13,
      duals: [1e-4, 1e-3],
      slacks: [1e-4, 1e-3],
    });
    const r = await solveQp(d.Q, d.p, d.G, d.h, d.A, d.b, { kkt });
    assert.equal(r.polished, [true, true, true]);
    for (let i = 0; i < 3; i++) {
      const m = margin(r, i);
      assert.ok(m >= 1e-4 && m < 2e-4, `item ${i}: margin ${m}`);
    }
    const args = [d.Q, d.p, d.G!, d.h!, d.A!, d.b!];
    const f = (...x: Tensor[]) =>
      qp(
        x[0].add(x[0].transpose(-2, -1)).mul(0.5),
        x[1],
        x[2],
        x[3],
        x[4],
        x[5],
        { kkt },
      );
    const rng = makeRng(8);
    for (let rep = 0; rep < 2; rep++) {
      args.forEach((_, i) => {
        const c = checkVjp(f, args, { rng, wrt: [i], eps: 1e-6 });
        assert.ok(
          c.relError < 1e-6,
          `input ${i}: ${c.analytic} vs ${c.numeric} (rel ${c.relError})`,
        );
      });
    }
  });
}

test('random QPs: every item whose min(slack, dual) ≥ 1e-4 gradchecks to 1e-6', async () => {
  const x = randomQp({
    nBatch: 8,
    nz: 10,
    nIneq: 10,
    nEq: 3,
    dtype: f64,
    seed: 17,
  });
  const r = await solveQp(x.Q, x.p, x.G, x.h, x.A, x.b);
  const ok = [0, 1, 2, 3, 4, 5, 6, 7].filter((i) => margin(r, i) >= 1e-4);
  assert.ok(ok.length >= 4, `${ok.length} items with margins ≥ 1e-4`);
  const rng = makeRng(9);
  for (const i of ok) {
    const at = tensor([i], { dtype: 'int32' });
    const one = (t: Tensor | null) => indexSelect(t!, 0, at);
    const args = [x.Q, x.p, x.G, x.h, x.A, x.b].map(one);
    const f = (...a: Tensor[]) =>
      qp(
        a[0].add(a[0].transpose(-2, -1)).mul(0.5),
        a[1],
        a[2],
        a[3],
        a[4],
        a[5],
      );
    args.forEach((_, k) => {
      const c = checkVjp(f, args, { rng, wrt: [k], eps: 1e-6 });
      assert.ok(
        c.relError < 1e-6,
        `item ${i} input ${k}: ${c.analytic} vs ${c.numeric} (rel ${c.relError})`,
      );
    });
  }
});

test('finiteRowNorms2: each row’s Σx² in order, null for a NaN or ±Inf anywhere; huge finite entries give an infinite norm, not null', () => {
  assert.equal(
    Array.from(finiteRowNorms2(new Float64Array([3, 4, 1, 0, 0, 2]), 3, 2)!),
    [25, 1, 4],
  );
  for (const bad of [NaN, Infinity, -Infinity])
    for (let i = 0; i < 6; i++) {
      const d = new Float64Array([3, 4, 1, 0, 0, 2]);
      d[i] = bad;
      assert.is(finiteRowNorms2(d, 3, 2), null, `${bad} at ${i}`);
    }
  assert.equal(Array.from(finiteRowNorms2([1e200, 0], 1, 2)!), [Infinity]);
  assert.equal(Array.from(finiteRowNorms2([], 0, 3)!), []);
  // rows of no columns: norms 0 (G [m, 0] when nz = 0)
  assert.equal(Array.from(finiteRowNorms2([], 2, 0)!), [0, 0]);
});

test('qpPolishSystem and qpPolishUpdate equal their tensor-op forms (shared and per-item G)', () => {
  const rng = makeRng(21);
  const [B, m, n] = [5, 7, 4];
  const pos = () => rand([B, m], { rng, dtype: f64 }).mul(2).add(1e-3);
  // Ratios spread over decades, so every rule has gaps to find.
  const s = pos().mul(rand([B, m], { rng, dtype: f64 }).mul(20).sub(10).exp());
  const lam = pos();
  const z = randn([B, n], { rng, dtype: f64 });
  for (const G of [
    randn([m, n], { rng, dtype: f64 }),
    randn([B, m, n], { rng, dtype: f64 }),
  ]) {
    const sc = G.square().sum(-1).add(0.5);
    for (const guess of ['first', 'second'] as const) {
      const attrs = { qMax: 0.7, pNorm: [1, 2, 3, 4, 5], delta: 1e-9, guess };
      const fused = apply(polishSystemOp, [s, lam, z, G, sc], attrs);
      const ops = polishSystemOp.decompose!([s, lam, z, G, sc], attrs);
      fused.forEach((t, k) => {
        const [a, b] = [arr(t), arr(ops[k])];
        a.forEach((v, j) =>
          assert.ok(
            Math.abs(v - b[j]) <= 1e-12 * Math.max(1, Math.abs(b[j])),
            `${guess} output ${k}[${j}]: ${v} vs ${b[j]}`,
          ),
        );
      });
      // with ‖G_i‖² given (qp's validation makes them, the kernel's loop):
      // the same bits as the kernel summing them itself
      const rows = finiteRowNorms2(G.dataSync(), G.size / n, n)!;
      const g2 = tensor(rows, { dtype: f64, shape: G.shape.slice(0, -1) });
      const given = apply(polishSystemOp, [s, lam, z, G, sc, g2], attrs);
      given.forEach((t, k) =>
        assert.equal(arr(t), arr(fused[k]), `${guess} given g2, output ${k}`),
      );
      const opsGiven = polishSystemOp.decompose!([s, lam, z, G, sc, g2], attrs);
      opsGiven.forEach((t, k) => {
        const [a, b] = [arr(t), arr(ops[k])];
        a.forEach((v, j) =>
          assert.ok(
            Math.abs(v - b[j]) <= 1e-12 * Math.max(1, Math.abs(b[j])),
            `${guess} decompose given g2, output ${k}[${j}]`,
          ),
        );
      });
    }
  }
  const ins = [
    z,
    z.mul(0.1),
    s,
    s.neg(),
    lam,
    lam.mul(-0.5),
    s.greater(1).cast(f64),
  ];
  const nu = randn([B, 2], { rng, dtype: f64 });
  for (const all of [ins, [...ins, nu, nu.mul(3)]]) {
    const fused = apply(polishUpdateOp, all, {});
    const ops = polishUpdateOp.decompose!(all, {});
    fused.forEach((t, k) =>
      assert.equal(arr(t), arr(ops[k]), `update output ${k}`),
    );
  }
});

test.run();
