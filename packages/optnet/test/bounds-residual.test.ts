// qpBoundsResiduals (kernels/bounds-residual-kernel.ts): the residuals for
// a declared diagonal Q and bounds G equal the dense kernel's (up to the
// sign of a zero) and their tensor-op form, per-item and shared, float64
// and float32, WebAssembly and JS; a G that is not bounds after all runs
// the dense kernel; a solve that declares the structure gives the bits of
// one that does not (the same reduction forced, so only the residuals
// differ in how they are computed).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  eye,
  makeRng,
  rand,
  randn,
  tensor,
  type Rng,
  type Tensor,
} from '@optnet/tensor';
import {
  boundsResidualOp,
  boundsResiduals,
} from '../src/kernels/bounds-residual-kernel.js';
import { fusedResiduals } from '../src/kernels/residual-kernel.js';
import { solveQp } from '../src/index.js';
import { boundsG, withEachKernelSet } from './kernel-sets.js';

const f64 = 'float64' as const;
const arr = (t: Tensor): number[] => Array.from(t.dataSync());

interface Case {
  qd: Tensor;
  G: Tensor;
  A: Tensor | null;
  vecs: Tensor[]; // z, p, s, lam, h, nu, b (nu, b null-less only with A)
}

function sample(rng: Rng, nBatch: number, shared: boolean, eq: boolean): Case {
  const n = 5;
  const lead = shared ? [] : [nBatch];
  const g = tensor(boundsG(n), { dtype: f64 });
  const m = g.shape[0];
  const G = shared ? g : g.unsqueeze(0).expand([nBatch, m, n]).mul(1);
  const qd = rand([...lead, n], { rng, dtype: f64 });
  const A = eq ? randn([...lead, 2, n], { rng, dtype: f64 }) : null;
  const v = (len: number) => randn([nBatch, len], { rng, dtype: f64 });
  const vecs = [v(n), v(n), v(m), v(m), v(m), ...(eq ? [v(2), v(2)] : [])];
  return { qd, G, A, vecs };
}

function run(c: Case, dtype: 'float64' | 'float32', dense: boolean) {
  const cast = (t: Tensor | null) => (t === null ? null : t.cast(dtype));
  const [z, p, s, lam, h, nu = null, b = null] = c.vecs.map(cast) as Tensor[];
  const qd = cast(c.qd)!;
  const Q = qd.unsqueeze(-1).mul(eye(qd.shape[qd.rank - 1], { dtype }));
  const args = [cast(c.G)!, cast(c.A), z, p, s, lam, h, nu, b] as const;
  return dense ? fusedResiduals(Q, ...args) : boundsResiduals(qd, ...args);
}

test('qpBoundsResiduals equals the dense kernel (zeros’ signs aside) and its tensor-op form: shared and per-item, with and without equalities, f64 and f32, WebAssembly and JS', () => {
  withEachKernelSet((wasm) => {
    for (const shared of [true, false]) {
      for (const eq of [true, false]) {
        const c = sample(makeRng(shared ? 1 : 2), 4, shared, eq);
        for (const dtype of [f64, 'float32'] as const) {
          const what = `shared ${shared}, eq ${eq}, ${dtype}, wasm ${wasm}`;
          const got = run(c, dtype, false);
          const dense = run(c, dtype, true);
          assert.is(got.length, eq ? 6 : 5, what);
          got.forEach((t, i) => {
            const [g, d] = [arr(t), arr(dense[i])];
            assert.ok(
              g.every((x, j) => x === d[j]),
              `output ${i} (${what}): ${g} vs ${d}`,
            );
          });
          const cast = (t: Tensor | null) => t?.cast(dtype) ?? null;
          const ins = [c.qd, c.G, c.A, ...c.vecs]
            .map(cast)
            .filter((t): t is Tensor => t !== null);
          const want = boundsResidualOp.decompose!(ins, { eq });
          got.forEach((t, i) => {
            const [g, w] = [arr(t), arr(want[i])];
            const tol = dtype === f64 ? 1e-14 : 1e-6;
            g.forEach((x, j) =>
              assert.ok(
                Math.abs(x - w[j]) <= tol * (1 + Math.abs(w[j])),
                `ops ${i}[${j}] (${what}): ${x} vs ${w[j]}`,
              ),
            );
          });
        }
      }
    }
  });
});

test('a G with two nonzeros in a row runs the dense kernel: the same answers', () => {
  const c = sample(makeRng(3), 3, true, true);
  const G = c.G.add(tensor([[0, 0.5, 0, 0, 0]], { dtype: f64 }));
  const bad = { ...c, G };
  const got = run(bad, f64, false);
  const dense = run(bad, f64, true);
  got.forEach((t, i) => assert.equal(arr(t), arr(dense[i]), `output ${i}`));
});

test('diag(Q) of the wrong length is a shape error naming the op', () => {
  const c = sample(makeRng(4), 2, true, false);
  const [z, p, s, lam, h] = c.vecs;
  assert.throws(
    () =>
      boundsResiduals(
        c.qd.slice([{ start: 0, stop: 3 }]),
        c.G,
        null,
        z,
        p,
        s,
        lam,
        h,
        null,
        null,
      ),
    /qpBoundsResiduals: diag\(Q\) must be \[n\] or \[nBatch, n\] with n = 5; got \[3\]/,
  );
});

test('declaring the structure leaves a solve’s bits as they were (the dual reduction forced both times)', async () => {
  const rng = makeRng(5);
  const n = 6;
  const nBatch = 4;
  const Q = eye(n, { dtype: f64 }).mul(0.3);
  const G = eye(n, { dtype: f64 }).neg();
  const h = tensor(Array(n).fill(0), { dtype: f64 });
  const A = rand([2, n], { rng, dtype: f64 });
  const b = A.matmul(rand([n, nBatch], { rng, dtype: f64 }).add(0.1))
    .transpose(0, 1)
    .mul(1);
  const p = randn([nBatch, n], { rng, dtype: f64 });
  const plain = await solveQp(Q, p, G, h, A, b, { kkt: 'dual' });
  const declared = await solveQp(Q, p, G, h, A, b, {
    kkt: 'dual',
    structure: { Q: 'diagonal', G: 'bounds' },
  });
  assert.equal(declared.status, Array(nBatch).fill('solved'));
  assert.equal(declared.status, plain.status);
  for (const k of ['z', 'lam', 'nu'] as const)
    assert.equal(arr(declared[k]!), arr(plain[k]!), k);
});

test.run();
