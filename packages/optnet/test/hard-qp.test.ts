// Hard problems, solved or honestly reported: families built backwards
// from a KKT point (kktQp), so z*, lam*, nu*, the objective and the six
// gradients (kkt-reference.ts, derived at the known active set) are
// known. Each family runs in both KKT reductions at its tolerance, and
// every number is checked against its stated bound.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { makeRng, randn, tensor, type Tensor } from '@optnet/tensor';
import { grad } from '@optnet/autograd';
import { qp, QpError, solveQp, type QpOptions } from '../src/index.js';
import { kktQp, type KktQp, type KktQpOptions } from '../src/testing.js';
import { kktResiduals } from './kkt-check.js';
import { referenceGrads, relDiff } from './kkt-reference.js';

const base = { nBatch: 4, nz: 8, nIneq: 10, nEq: 2, dtype: 'float64' as const };

interface Family {
  name: string;
  opts: Partial<KktQpOptions>;
  /** The solve's tol (weak slacks need 1e-10 to be told apart). */
  tol: number;
  /** Bounds on z, lam, nu, objective (relative to their largest entry). */
  values: number;
  /** Bound on each gradient against the reference. */
  grads: number;
  /** A lost rank: nu and the gradients of A, b are not unique. */
  rankDeficient?: boolean;
}

const families: Family[] = [
  {
    name: 'well conditioned',
    opts: {},
    tol: 1e-8,
    values: 1e-12,
    grads: 1e-11,
  },
  {
    name: 'cond(Q) = 1e6',
    opts: { condQ: 1e6 },
    tol: 1e-8,
    values: 1e-11,
    grads: 1e-10,
  },
  {
    name: 'cond(Q) = 1e8',
    opts: { condQ: 1e8 },
    tol: 1e-8,
    values: 1e-10,
    grads: 1e-10,
  },
  {
    name: 'active duals 1e-8..1e-6',
    opts: { duals: [1e-8, 1e-6] },
    tol: 1e-8,
    values: 1e-12,
    grads: 1e-11,
  },
  {
    name: 'inactive slacks 1e-8..1e-6',
    opts: { slacks: [1e-8, 1e-6] },
    tol: 1e-10,
    values: 1e-12,
    grads: 1e-11,
  },
  {
    name: 'objective × 1e-4',
    opts: { objScale: 1e-4 },
    tol: 1e-8,
    values: 1e-12,
    grads: 1e-11,
  },
  {
    name: 'objective × 1e4',
    opts: { objScale: 1e4 },
    tol: 1e-8,
    values: 1e-12,
    grads: 1e-11,
  },
  {
    name: 'repeated and dependent rows of A (consistent)',
    opts: { dependentEq: 2 },
    tol: 1e-8,
    values: 1e-12,
    grads: 1e-11,
    rankDeficient: true,
  },
  {
    name: 'LP (Q = 0) at a vertex of a box',
    opts: { condQ: 0, nActive: 6, box: 10 },
    tol: 1e-8,
    values: 1e-12,
    grads: 1e-11,
  },
  {
    name: '30 redundant inequalities',
    opts: { redundant: 30 },
    tol: 1e-8,
    values: 1e-12,
    grads: 1e-11,
  },
];

const rows = (t: Tensor | null) =>
  t === null ? [] : (t.arraySync() as number[][]);
const items = (t: Tensor) => t.arraySync() as number[][][];

/** max over items of relDiff, item by item (each at its own scale). */
function worst(got: number[][], want: number[][]): number {
  return Math.max(...want.map((w, i) => relDiff(got[i], w)));
}

/** The reference gradients of Σ w∘z per item (the base rows of A only). */
function references(d: KktQp, w: number[][]) {
  const nE = base.nEq;
  const [Q, G, A] = [items(d.Q), items(d.G!), items(d.A!)];
  return w.map((g, i) =>
    referenceGrads(
      {
        Q: Q[i],
        G: G[i],
        A: A[i].slice(0, nE),
        z: d.answer.z[i],
        lam: d.answer.lam[i],
        nu: d.answer.nu[i].slice(0, nE),
        active: d.answer.active[i],
      },
      g,
    ),
  );
}

for (const fam of families) {
  for (const kkt of ['auto', 'primal'] as const) {
    test(`${fam.name} (${kkt}): z, lam, nu, objective and all six gradients`, async () => {
      const d = kktQp({ ...base, ...fam.opts, seed: 2 });
      const opts: QpOptions = { tol: fam.tol, kkt };
      const r = await solveQp(d.Q, d.p, d.G, d.h, d.A, d.b, opts);
      assert.equal(r.status, Array(4).fill('solved'));
      assert.equal(r.polished, Array(4).fill(true), 'polished');
      const bound = (what: string, e: number) =>
        assert.ok(
          e <= fam.values,
          `${what}: ${e.toExponential(2)} > ${fam.values}`,
        );
      bound('z', worst(rows(r.z), d.answer.z));
      // Duals relative to the item's largest multiplier (lam* or nu*):
      // a dual of 1e-8 is known to 1e-15 of the others, not of itself.
      const duals = d.answer.lam.map((l, i) => [...l, ...d.answer.nu[i]]);
      const dualErr = (got: number[][], want: number[][]) =>
        Math.max(
          ...want.map((w, i) => {
            const scale = Math.max(...duals[i].map(Math.abs));
            const e = Math.max(...w.map((v, j) => Math.abs(got[i][j] - v)));
            return e / scale;
          }),
        );
      bound('lam', dualErr(rows(r.lam), d.answer.lam));
      if (!fam.rankDeficient) bound('nu', dualErr(rows(r.nu), d.answer.nu));
      const obj = r.objective.map((v, i) => {
        const want = d.answer.objective[i];
        return Math.abs(v - want) / Math.max(1e-300, Math.abs(want));
      });
      bound('objective', Math.max(...obj));
      // Gradients of Σ w∘z for every input, against the reference.
      const w = randn([4, 8], { rng: makeRng(5), dtype: 'float64' });
      const f = (...x: Tensor[]) =>
        qp(x[0], x[1], x[2], x[3], x[4], x[5], opts).mul(w).sum();
      const gs = grad(f)(d.Q, d.p, d.G!, d.h!, d.A!, d.b!) as Tensor[];
      const refs = references(d, w.arraySync() as number[][]);
      const names = ['Q', 'p', 'G', 'h', 'A', 'b'] as const;
      const keys = ['dQ', 'dp', 'dG', 'dh', 'dA', 'db'] as const;
      names.forEach((name, k) => {
        if (fam.rankDeficient && k >= 4) return;
        const got = gs[k].arraySync() as unknown[];
        // A gradient that is exactly 0 (an LP's dQ and dp: z* sits at a
        // vertex) is compared with the item's largest gradient instead.
        const e = Math.max(
          ...refs.map((ref, i) => {
            const want = ref[keys[k]];
            const flatWant = (want as number[] | number[][]).flat();
            if (flatWant.some((v) => v !== 0)) return relDiff(got[i], want);
            const g = (got[i] as number[] | number[][]).flat();
            const scale = Math.max(...ref.dG.flat().map(Math.abs));
            return Math.max(...g.map(Math.abs)) / scale;
          }),
        );
        assert.ok(
          e <= fam.grads,
          `d${name}: ${e.toExponential(2)} > ${fam.grads}`,
        );
      });
    });
  }
}

test('active duals AND inactive slacks of 1e-8: the two clusters overlap; reported solved to tol, not polished', async () => {
  const d = kktQp({
    ...base,
    seed: 2,
    duals: [1e-8, 1e-6],
    slacks: [1e-8, 1e-6],
  });
  for (const kkt of ['auto', 'primal'] as const) {
    const r = await solveQp(d.Q, d.p, d.G, d.h, d.A, d.b, { kkt });
    assert.equal(r.status, Array(4).fill('solved'));
    // No active set fits both clusters: polishing declines, honestly.
    assert.ok(
      r.polished.every((p) => !p),
      `polished ${r.polished}`,
    );
    for (let i = 0; i < 4; i++) {
      const k = kktResiduals(d, r, i);
      assert.ok(
        Math.max(k.stationarity, k.primal, k.dualSign) < 1e-8,
        JSON.stringify(k),
      );
    }
    // The answer is as good as tol makes it on a nearly degenerate problem.
    assert.ok(worst(rows(r.z), d.answer.z) < 1e-3);
  }
});

test('inconsistent repeated rows of A: every item reported infeasible, by solveQp and by qp', async () => {
  const d = kktQp({ ...base, seed: 2, dependentEq: 2, inconsistent: true });
  for (const kkt of ['auto', 'primal'] as const) {
    const r = await solveQp(d.Q, d.p, d.G, d.h, d.A, d.b, { kkt });
    assert.equal(r.status, Array(4).fill('infeasible'));
    assert.equal(r.polished, Array(4).fill(false));
    try {
      qp(d.Q, d.p, d.G, d.h, d.A, d.b, { kkt });
      assert.unreachable('must throw');
    } catch (e) {
      assert.ok(e instanceof QpError && e.code === 'QP_NOT_SOLVED', String(e));
      assert.match((e as Error).message, 'infeasible');
    }
  }
});

test('kktQp: the answer is a KKT point of its data (checked independently), seeded', () => {
  const fams: Partial<KktQpOptions>[] = [
    {},
    { condQ: 1e8 },
    { condQ: 0, nActive: 6, box: 10 },
    { redundant: 5, dependentEq: 2 },
  ];
  for (const o of fams) {
    const d = kktQp({ ...base, seed: 7, ...o });
    const again = kktQp({ ...base, seed: 7, ...o });
    assert.equal(d.Q.arraySync(), again.Q.arraySync(), 'same seed, same data');
    const t = (a: number[][]) => tensor(a, { dtype: 'float64' });
    const asResult = {
      z: t(d.answer.z),
      lam: t(d.answer.lam),
      nu: t(d.answer.nu),
    };
    for (let i = 0; i < 4; i++) {
      const k = kktResiduals(d, asResult as never, i);
      const worstK = Math.max(
        k.stationarity,
        k.primal,
        k.dualSign,
        k.complementarity,
      );
      assert.ok(
        worstK < 1e-12,
        `${JSON.stringify(o)} item ${i}: ${JSON.stringify(k)}`,
      );
    }
  }
});

test.run();
