// The bounds reduction's fused kernels (kernels/bounds-*-kernel.ts) against
// their tensor-op forms (per-item and shared data, float64 and float32,
// WebAssembly and the JS loops), the Newton system they solve, their
// per-item regularization levels, and a backend without them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  CpuBackend,
  eye,
  full,
  getBackend,
  makeRng,
  rand,
  randn,
  setBackend,
  tensor,
  type KernelOp,
  type Rng,
  type Tensor,
} from '@optnet/tensor';
import {
  boundsFactor,
  boundsFactorOp,
  pairsOf,
} from '../src/kernels/bounds-factor-kernel.js';
import { boundsStep, boundsStepOp } from '../src/kernels/bounds-step-kernel.js';
import {
  boundsSolve,
  boundsSolveOp,
} from '../src/kernels/bounds-solve-kernel.js';
import { mtv, mv } from '../src/kernels/batch.js';
import { solveQp } from '../src/index.js';
import { boundsG, withEachKernelSet } from './kernel-sets.js';

const f64 = 'float64' as const;
const ATTRS = { boosts: [1, 1e3, 1e6, 1e9, 1e12], rel: 1e-12, abs: 1e-13 };
const arr = (t: Tensor): number[] => Array.from(t.dataSync());

function close(got: number[], want: number[], rtol: number, what: string) {
  assert.is(got.length, want.length, what);
  got.forEach((g, i) => {
    const w = want[i];
    const ok =
      Object.is(g, w) || Math.abs(g - w) <= rtol * Math.max(1, Math.abs(w));
    assert.ok(ok, `${what}[${i}]: ${g} vs ${w}`);
  });
}

interface Data {
  qd: Tensor;
  G: Tensor;
  A: Tensor;
  At: Tensor;
  s: Tensor;
  lam: Tensor;
}

function sample(rng: Rng, nBatch: number, shared: boolean): Data {
  const [n, q] = [6, 3];
  const lead = shared ? [] : [nBatch];
  const g = tensor(boundsG(n), { dtype: f64 });
  const m = g.shape[0];
  const G = shared ? g : g.unsqueeze(0).expand([nBatch, m, n]).mul(1);
  // One variable with q = 0 (LP-like): only its bounds keep h > 0.
  const qd = rand([...lead, n], { rng, dtype: f64 })
    .mul(tensor([1, 1, 0, 1, 1, 1], { dtype: f64 }))
    .add(1e-10);
  const A = randn([...lead, q, n], { rng, dtype: f64 });
  const pos = () => rand([nBatch, m], { rng, dtype: f64 }).mul(2).add(0.05);
  return { qd, G, A, At: A.transpose(-2, -1).mul(1), s: pos(), lam: pos() };
}

test('qpBoundsFactor equals its tensor-op form: shared and per-item, f64 and f32, WebAssembly and JS', () => {
  withEachKernelSet((wasm) => {
    for (const shared of [true, false]) {
      const d = sample(makeRng(shared ? 1 : 2), 5, shared);
      for (const dtype of [f64, 'float32'] as const) {
        const ins = [d.qd, d.G, d.At, d.s, d.lam].map((t) => t.cast(dtype));
        const got = boundsFactor(ins[0], ins[1], ins[2], ins[3], ins[4], ATTRS);
        const want = boundsFactorOp.decompose!(ins, ATTRS);
        const what = `shared ${shared}, ${dtype}, wasm ${wasm}`;
        const tol = dtype === f64 ? 1e-12 : 1e-4;
        close(arr(got[0]), arr(want[0]), tol, `1/h (${what})`);
        close(arr(got[1]), arr(want[1]), tol, `L_S (${what})`);
        assert.equal(arr(got[2]), arr(want[2]), `levels (${what})`);
      }
    }
  });
});

test('a G with two nonzeros in a row (no bounds) runs the JS loops, same answers', () => {
  const rng = makeRng(11);
  const d = sample(rng, 3, true);
  const G = d.G.add(tensor([[0, 0.5, 0, 0, 0, 0]], { dtype: f64 }));
  const ins = [d.qd, G, d.At, d.s, d.lam];
  const got = boundsFactor(ins[0], ins[1], ins[2], ins[3], ins[4], ATTRS);
  const want = boundsFactorOp.decompose!(ins, ATTRS);
  got.forEach((t, i) => close(arr(t), arr(want[i]), 1e-12, `output ${i}`));
  const sIns = stepInputs({ ...d, G }, rng).slice(0, 9);
  const step = boundsStep(...sIns);
  const wantStep = boundsStepOp.decompose!(sIns, {});
  step.forEach((t, i) => close(arr(t), arr(wantStep[i]), 1e-10, `step ${i}`));
});

test('qpBoundsFactor with a shared Aᵀ: the pairs matrix made for one Aᵀ is never used for another, even in recycled memory', () => {
  const d = sample(makeRng(15), 6, true);
  const first = d.At.mul(1);
  const want = (At: Tensor) =>
    boundsFactorOp.decompose!([d.qd, d.G, At, d.s, d.lam], ATTRS);
  const check = (At: Tensor, what: string) => {
    const got = boundsFactor(d.qd, d.G, At, d.s, d.lam, ATTRS);
    close(arr(got[1]), arr(want(At)[1]), 1e-12, `L_S (${what})`);
  };
  check(first, 'first');
  first.dispose();
  // Same shape, new values: the pool may hand back first's memory.
  const second = d.At.mul(1.5);
  check(second, 'second');
  const third = d.At.mul(1.5).add(tensor([[0, 0, 1e-3]], { dtype: f64 }));
  check(third, 'one column changed');
  check(second, 'the second again');
});

test('the pairs matrix is made once for the values of one Aᵀ: the same object for equal values (a copy included), a new one when a value or the shape changes', () => {
  const at = Float64Array.from({ length: 12 }, (_, i) => i / 7 - 0.5);
  const first = pairsOf(at, 4, 3);
  assert.ok(pairsOf(at, 4, 3) === first, 'the same Aᵀ');
  assert.ok(pairsOf(Float64Array.from(at), 4, 3) === first, 'a copy');
  assert.ok(pairsOf(at, 3, 4) !== first, 'another shape');
  const moved = Float64Array.from(at);
  moved[5] += 1e-12;
  const other = pairsOf(moved, 4, 3);
  assert.ok(other !== first, 'one value moved');
  // P[l, (k, j)] = Aᵀ[l, j]·Aᵀ[l, k] for j ≤ k, the lower triangle row by
  // row ((0,0), (1,0), (1,1), (2,0), ...), packed in panels of 32 columns.
  const P = other.data;
  assert.is(P[1 * 32 + 3], moved[3] * moved[5], 'row 1, pair (2, 0)');
  assert.is(P[2 * 32 + 4], moved[7] * moved[8], 'row 2, pair (2, 1)');
  assert.is(P[2 * 32 + 1], moved[6] * moved[7], 'row 2, pair (1, 0)');
});

test('qpBoundsFactor with a shared Aᵀ retries a failed pivot with the next boost: a zero row of A makes S singular, and every item factors at the level regularizedCholesky finds (1, or 2 after two failed tries)', () => {
  const d = sample(makeRng(16), 20, true); // over one block of 16 items
  const At = d.At.mul(tensor([1, 0, 1], { dtype: f64 })); // A's row 1 = 0
  // [0, 1, 1e3] factors at the second try, [0, 0, 1] at the third (two
  // retries of the same item).
  for (const [boosts, level] of [
    [[0, 1, 1e3], 1],
    [[0, 0, 1], 2],
  ] as const) {
    const attrs = { ...ATTRS, boosts: [...boosts] };
    withEachKernelSet((wasm) => {
      const what = `boosts ${boosts.join(', ')}, wasm ${wasm}`;
      const ins = [d.qd, d.G, At, d.s, d.lam];
      const got = boundsFactor(d.qd, d.G, At, d.s, d.lam, attrs);
      const want = boundsFactorOp.decompose!(ins, attrs);
      close(arr(got[1]), arr(want[1]), 1e-12, `L_S (${what})`);
      assert.equal(arr(got[2]), Array(20).fill(level), `levels (${what})`);
      assert.equal(arr(want[2]), Array(20).fill(level), `levels (ops)`);
    });
  }
});

test('qpBoundsFactor: L_S·L_Sᵀ = A diag(1/h) Aᵀ + unit·I with h = q + (G∘G)ᵀ(lam/s)', () => {
  const d = sample(makeRng(3), 4, true);
  const [hInv, ls, level] = boundsFactor(d.qd, d.G, d.At, d.s, d.lam, ATTRS);
  const h = d.qd.add(mtv(d.G.square(), d.lam.div(d.s)));
  close(arr(hInv), arr(h.reciprocal()), 1e-14, '1/h');
  const S = d.A.mul(hInv.unsqueeze(1)).matmul(d.A, { transB: true });
  const unit = S.diagonal().max(-1, true).mul(ATTRS.rel).add(ATTRS.abs);
  const want = S.add(eye(3, { dtype: f64 }).mul(unit.unsqueeze(-1)));
  close(arr(ls.matmul(ls, { transB: true })), arr(want), 1e-12, 'L·Lᵀ');
  assert.equal(arr(level), [0, 0, 0, 0]);
});

test('qpBoundsFactor writes every element of its unzeroed outputs (fillsOutputs): recycled NaN memory never shows', () => {
  const d = sample(makeRng(5), 70, false); // outputs big enough to be recycled
  withEachKernelSet((wasm) => {
    const clean = boundsFactor(d.qd, d.G, d.At, d.s, d.lam, ATTRS).map(arr);
    const shapes = boundsFactor(d.qd, d.G, d.At, d.s, d.lam, ATTRS).map(
      (t) => t.shape,
    );
    for (const shape of shapes)
      full(shape, NaN, { dtype: f64 }).mul(1).dispose();
    const again = boundsFactor(d.qd, d.G, d.At, d.s, d.lam, ATTRS).map(arr);
    assert.equal(again, clean, `wasm ${wasm}`);
    assert.ok(again.flat().every(Number.isFinite), `wasm ${wasm}: finite`);
  });
});

test('qpBoundsFactor and qpBoundsStep with `active`: the active items bit for bit as without it; in WebAssembly the others get 1/h = 1, L_S = I, level 0 and a zero step', () => {
  const pattern = [true, false, false, true, true, false, true];
  const active = tensor(pattern.map((a) => [a]));
  for (const shared of [true, false]) {
    const rng = makeRng(shared ? 12 : 13);
    const d = sample(rng, pattern.length, shared);
    withEachKernelSet((wasm) => {
      const what = `shared ${shared}, wasm ${wasm}`;
      const fa = [d.qd, d.G, d.At, d.s, d.lam] as const;
      const all = boundsFactor(...fa, ATTRS).map((t) => t.arraySync());
      const some = boundsFactor(...fa, ATTRS, active).map((t) => t.arraySync());
      const ins = stepInputs(d, rng).slice(0, 9);
      const stepAll = boundsStep(...ins).map((t) => t.arraySync());
      const stepSome = boundsStep(...ins, active).map((t) => t.arraySync());
      const n = d.qd.shape[d.qd.shape.length - 1];
      // Exact: every double round-trips through JSON, −0 marked.
      const bits = (x: unknown) =>
        JSON.stringify(x, (_, v: unknown) => (Object.is(v, -0) ? '-0' : v));
      pattern.forEach((on, i) => {
        const item = (x: unknown[]) => bits(x[i]);
        const left = [Array(n).fill(1), eye(3).arraySync(), [0]];
        all.forEach((o, k) => {
          const want = on || !wasm ? (o as unknown[])[i] : left[k];
          assert.equal(
            item(some[k] as unknown[]),
            bits(want),
            `factor ${k} item ${i} (${what})`,
          );
        });
        stepAll.forEach((o, k) => {
          const got = (stepSome[k] as number[][])[i];
          if (on || !wasm)
            assert.equal(
              bits(got),
              item(o as unknown[]),
              `step ${k} item ${i} (${what})`,
            );
          else
            assert.ok(
              got.every((v) => v === 0),
              `step ${k} item ${i}: 0 (${what})`,
            );
        });
      });
    });
  }
  const d = sample(makeRng(14), 3, true);
  assert.throws(
    () => boundsFactor(d.qd, d.G, d.At, d.s, d.lam, ATTRS, tensor([[true]])),
    /qpBoundsFactor: active must be bool \[nBatch, 1\] = \[3, 1\]; got bool\[1, 1\]/,
  );
});

test('qpBoundsFactor never throws: an item with a NaN or a negative h gets level −1 and L_S = I, alone', () => {
  const d = sample(makeRng(4), 3, true);
  const s = d.s.mul(tensor([[1], [NaN], [1]], { dtype: f64 }));
  // Item 2: q = −1e3 on every variable makes h < 0 and S negative definite.
  const qd = d.qd.add(tensor([[0], [0], [-1e3]], { dtype: f64 }));
  withEachKernelSet((wasm) => {
    const [, ls, level] = boundsFactor(qd, d.G, d.At, s, d.lam, ATTRS);
    assert.equal(arr(level), [0, -1, -1], `levels (wasm ${wasm})`);
    const l = ls.arraySync() as number[][][];
    assert.equal(l[1], eye(3).arraySync(), 'item 1: the identity');
    assert.equal(l[2], eye(3).arraySync(), 'item 2: the identity');
  });
});

/** [hInv, ls, A, G, rx, ry, s, lam, rz, rc] for `d`. */
function stepInputs(d: Data, rng: Rng): Tensor[] {
  const [hInv, ls] = boundsFactor(d.qd, d.G, d.At, d.s, d.lam, ATTRS);
  const [nBatch, m] = d.s.shape;
  const [n, q] = d.At.shape.slice(-2);
  const v = (len: number) => randn([nBatch, len], { rng, dtype: f64 });
  return [hInv, ls, d.A, d.G, v(n), v(q), d.s, d.lam, v(m), v(m)];
}

/** qpBoundsSolve's inputs: stepInputs, a target (s, lam) near d's, q. */
function solveInputs(d: Data, rng: Rng): Tensor[] {
  const ins = stepInputs(d, rng);
  const near = (t: Tensor) =>
    t.mul(rand(t.shape, { rng, dtype: f64 }).mul(0.1).add(0.95));
  return [...ins, near(d.s), near(d.lam), d.qd.sub(1e-10)];
}

test('qpBoundsStep and qpBoundsSolve (refined 0 and 2 times) equal their tensor-op forms: shared and per-item, f64 and f32, WebAssembly and JS', () => {
  withEachKernelSet((wasm) => {
    for (const shared of [true, false]) {
      const rng = makeRng(shared ? 5 : 6);
      const ins64 = solveInputs(sample(rng, 5, shared), rng);
      for (const dtype of [f64, 'float32'] as const) {
        const ins = ins64.map((t) => t.cast(dtype));
        const tol = dtype === f64 ? 1e-10 : 2e-3;
        const cases: [string, Tensor[], Tensor[]][] = [
          [
            'step',
            boundsStep(...ins.slice(0, 9)),
            boundsStepOp.decompose!(ins.slice(0, 9), {}),
          ],
          ...[0, 2].map((refine): [string, Tensor[], Tensor[]] => [
            `solve, refine ${refine}`,
            boundsSolve(ins, refine),
            boundsSolveOp.decompose!(ins, { refine }),
          ]),
        ];
        for (const [kind, got, want] of cases) {
          const what = `${kind}, shared ${shared}, ${dtype}, wasm ${wasm}`;
          ['dz', 'ds', 'dlam', 'dnu'].forEach((name, i) =>
            close(arr(got[i]), arr(want[i]), tol, `${name} (${what})`),
          );
        }
      }
    }
  });
});

test('qpBoundsSolve solves the Newton system (types.ts) for rc; refined, to round-off, at its target', () => {
  const rng = makeRng(7);
  const d = sample(rng, 4, false);
  const ins = solveInputs(d, rng);
  const [, , A, G, rx, ry, s, lam, rz, rc, sT, lamT, q] = ins;
  const residual = (refine: number, at: Tensor[]): number => {
    const [dz, ds, dlam, dnu] = boundsSolve(
      [...ins.slice(0, 10), ...at, q],
      refine,
    );
    const res = [
      q.mul(dz).add(mtv(G, dlam)).add(mtv(A, dnu)).add(rx),
      at[1].mul(ds).add(at[0].mul(dlam)).add(rc),
      mv(G, dz).add(ds).add(rz),
      mv(A, dz).add(ry),
    ];
    return Math.max(...res.map((r) => r.abs().max().itemSync()));
  };
  // Unrefined, the δ = 1e-10 on h and the unit on S perturb it by ~1e-9.
  const plain = residual(0, [s, lam]);
  assert.ok(plain < 1e-7, `unrefined: ${plain}`);
  assert.ok(residual(2, [s, lam]) < 1e-12, 'refined at the factored point');
  // At a target 5% away, each refinement step gains about a factor 10.
  const far = [residual(0, [sT, lamT]), residual(3, [sT, lamT])];
  assert.ok(far[1] < far[0] * 1e-2, `refined at the target: ${far}`);
});

test('shape and dtype errors name the op', () => {
  const d = sample(makeRng(8), 2, true);
  assert.throws(
    () => boundsFactor(d.qd, d.G, d.A, d.s, d.lam, ATTRS),
    /qpBoundsFactor: inputs must be qDiag/,
  );
  const ins = stepInputs(d, makeRng(9)).slice(0, 9);
  const bad = ins.map((t, i) => (i === 4 ? t.cast('float32') : t));
  assert.throws(() => boundsStep(...bad), /qpBoundsStep: inputs must share/);
  assert.throws(
    () => boundsStep(...ins.slice(0, 8)),
    /qpBoundsStep: inputs must be hInv/,
  );
  const all = solveInputs(d, makeRng(9));
  assert.throws(() => boundsSolve(all, -1), /qpBoundsSolve: q must be/);
});

test('a backend without the bounds kernels solves the same QPs (the tensor-op forms run)', async () => {
  class Plain extends CpuBackend {
    hasKernel(op: KernelOp<unknown>): boolean {
      return ![
        'qpBoundsFactor',
        'qpBoundsStep',
        'qpBoundsSolve',
        'qpBoundsResiduals',
      ].includes(op.name);
    }
  }
  const rng = makeRng(10);
  const d = sample(rng, 3, true);
  const Q = d.qd.unsqueeze(-1).mul(eye(6, { dtype: f64 }));
  const z0 = rand([6], { rng, dtype: f64 });
  const h = mv(d.G, z0.unsqueeze(0)).squeeze(0).add(0.5);
  const b = mv(d.A, z0.unsqueeze(0).expand([3, 6]));
  const p = randn([3, 6], { rng, dtype: f64 });
  const opts = { structure: { Q: 'diagonal', G: 'bounds' } } as const;
  const fused = await solveQp(Q, p, d.G, h, d.A, b, opts);
  assert.equal(fused.status, ['solved', 'solved', 'solved']);
  const prev = getBackend();
  setBackend(new Plain());
  try {
    const move = (t: Tensor) =>
      tensor(Array.from(t.dataSync()), { dtype: f64 }).reshape(t.shape);
    const r = await solveQp(
      move(Q),
      move(p),
      move(d.G),
      move(h),
      move(d.A),
      move(b),
      opts,
    );
    assert.equal(r.status, fused.status);
    close(arr(r.z), arr(fused.z), 1e-9, 'z');
  } finally {
    setBackend(prev);
  }
});

test.run();
