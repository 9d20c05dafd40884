// qpDualPrefactor (W_G = L_Q⁻¹Gᵀ and K = W_GᵀW_G in one op) against the
// tensor ops it replaces, bit for bit: per-item and shared L_Q and G,
// WebAssembly and JS, several chunks of items, float32; and its shape
// errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  cholesky,
  eye,
  full,
  makeRng,
  matmul,
  randn,
  type Tensor,
} from '@optnet/tensor';
import { dualPrefactor, prefactorOp } from '../src/kernels/prefactor-kernel.js';
import { countingChunks, withEachKernelSet } from './kernel-sets.js';

const f64 = 'float64' as const;

/** L_Q (a Cholesky factor) and G, each [nBatch, ...] or shared. */
function sample(
  seed: number,
  nBatch: number,
  n: number,
  m: number,
  perItemQ: boolean,
  perItemG: boolean,
  dtype: 'float32' | 'float64' = f64,
): [Tensor, Tensor] {
  const rng = makeRng(seed);
  const qLead = perItemQ ? [nBatch] : [];
  const x = randn([...qLead, n, n], { rng, dtype: f64 });
  const lq = cholesky(
    matmul(x, x, { transB: true }).add(eye(n, { dtype: f64 }).mul(n)),
  );
  const G = randn([...(perItemG ? [nBatch] : []), m, n], { rng, dtype: f64 });
  return [lq.cast(dtype), G.cast(dtype)];
}

/** The tensor ops the op replaces (its decompose, written out). */
function reference(lq: Tensor, G: Tensor): Tensor[] {
  const lift =
    lq.rank === 3 && G.rank === 2
      ? G.unsqueeze(0).expand([lq.shape[0], ...G.shape])
      : G;
  const w = lq.triangularSolve(lift.transpose(-2, -1));
  return [w, w.matmul(w, { transA: true })];
}

function sameBits(got: Tensor[], want: Tensor[], what: string): void {
  ['W_G', 'K'].forEach((name, i) => {
    assert.equal(got[i].shape, want[i].shape, `${what} ${name}: shape`);
    const g = got[i].dataSync();
    const w = want[i].dataSync();
    for (let j = 0; j < g.length; j++)
      if (!Object.is(g[j], w[j]))
        assert.unreachable(`${what} ${name}[${j}]: ${g[j]} vs ${w[j]}`);
  });
}

test('qpDualPrefactor gives the bits of the triangular solve and Gram product: per-item and shared L_Q and G, WebAssembly and JS, m above and below n', () => {
  withEachKernelSet((wasm) => {
    let seed = 1;
    for (const [n, m] of [
      [6, 9],
      [9, 6],
      [1, 3],
    ])
      for (const perItemQ of [true, false])
        for (const perItemG of [true, false]) {
          const [lq, G] = sample(seed++, 5, n, m, perItemQ, perItemG);
          const what = `n ${n}, m ${m}, Q per item ${perItemQ}, G per item ${perItemG}, wasm ${wasm}`;
          const got = dualPrefactor(lq, G);
          sameBits(got, reference(lq, G), what);
          const batched = perItemQ || perItemG;
          assert.equal(got[1].shape, batched ? [5, m, m] : [m, m], what);
          // K is exactly symmetric and is G Q⁻¹ Gᵀ (Q = L_Q L_Qᵀ)
          const k = got[1].arraySync() as number[][] | number[][][];
          const item = (batched ? k[2] : k) as number[][];
          for (let i = 0; i < m; i++)
            for (let j = 0; j < i; j++) assert.is(item[i][j], item[j][i]);
          const q = matmul(lq, lq, { transB: true });
          const direct = G.matmul(q.inverse().matmul(G.transpose(-2, -1))).sub(
            got[1],
          );
          assert.ok(direct.abs().max().itemSync() < 1e-10, `${what}: K`);
        }
  });
});

test('qpDualPrefactor over several WebAssembly chunks (m 200, 60 items: 23 MB of outputs) and in float32 (the tensor ops’ kernels) matches the tensor ops', () => {
  const [lq, G] = sample(7, 60, 40, 200, true, true);
  const want = reference(lq, G);
  dualPrefactor(lq, G); // its WebAssembly function registered
  const [got, chunks] = countingChunks(() => dualPrefactor(lq, G));
  sameBits(got, want, 'chunks');
  assert.ok(chunks >= 2, `${chunks} chunks`);
  const [l32, g32] = sample(8, 4, 6, 9, true, false, 'float32');
  sameBits(dualPrefactor(l32, g32), reference(l32, g32), 'float32');
  // the decomposition is the reference too
  const [l2, g2] = sample(9, 3, 4, 5, false, true);
  sameBits(
    prefactorOp.decompose!([l2, g2], {}),
    reference(l2, g2),
    'decompose',
  );
});

test('qpDualPrefactor on recycled memory: every path writes its whole outputs (the Sudoku layer’s shared [64, 64] L_Q and G, called again after its outputs were disposed; per-item too), WebAssembly and JS', () => {
  withEachKernelSet((wasm) => {
    for (const perItem of [false, true]) {
      const [lq, G] = sample(11, 4, 64, 64, perItem, perItem);
      const want = reference(lq, G).map((t) => Array.from(t.dataSync()));
      for (let i = 0; i < 3; i++) {
        const out = dualPrefactor(lq, G);
        const got = out.map((t) => Array.from(t.dataSync()));
        const what = `per item ${perItem}, wasm ${wasm}, call ${i}`;
        assert.equal(got[0], want[0], `${what}: W_G`);
        assert.equal(got[1], want[1], `${what}: K`);
        // as a solver's scope does: the next call may get these arrays
        out.forEach((t) => t.dispose());
      }
    }
  });
});

test('qpDualPrefactor names itself and the shapes it takes', () => {
  const l = full([3, 3], 1, { dtype: f64 });
  assert.throws(
    () => dualPrefactor(l, full([4, 2], 1, { dtype: f64 })),
    /qpDualPrefactor: L_Q must be \[\(nBatch,\) n, n\] and G \[\(nBatch,\) m, n\].*G\[4, 2\]/,
  );
  assert.throws(
    () =>
      dualPrefactor(
        full([2, 3, 3], 1, { dtype: f64 }),
        full([5, 4, 3], 1, { dtype: f64 }),
      ),
    /one nBatch/,
  );
  assert.throws(
    () => dualPrefactor(l, full([4, 3], 1, { dtype: 'float32' })),
    /qpDualPrefactor: L_Q and G must share a float dtype/,
  );
});

test.run();
