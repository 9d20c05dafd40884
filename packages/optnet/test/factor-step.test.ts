// qpFactorStep (the dual reduction's factorization and Mehrotra direction
// in one op, its factor kept in WebAssembly memory) against the two ops it
// fuses, bit for bit: WebAssembly and JS, shared and per-item matrices,
// float64 and float32, left-out items, boosted items, several chunks; and
// whole solves with and without it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  cholesky,
  CpuBackend,
  eye,
  full,
  getBackend,
  makeRng,
  matmul,
  rand,
  randn,
  setBackend,
  tensor,
  triangularSolve,
  type KernelOp,
  type Tensor,
} from '@optnet/tensor';
import { factorStep } from '../src/kernels/factor-step-kernel.js';
import { predictCorrect } from '../src/kernels/dual-solve-kernel.js';
import { shiftedCholesky } from '../src/kernels/shifted-cholesky-kernel.js';
import { randomQp } from '../src/testing/random-qp.js';
import { qp } from '../src/index.js';
import { withEachKernelSet } from './kernel-sets.js';

const f64 = 'float64' as const;
const BOOSTS = [0, 1e3, 1e6];

interface Sample {
  readonly k: Tensor;
  readonly d: Tensor;
  readonly unit: Tensor;
  /** lq, wG, G, rx, s, lam, inactive, rz */
  readonly rest: Tensor[];
}

/**
 * K = XXᵀ + m·I (shared or per item), L_Q, W_G = L_Q⁻¹Gᵀ and G (shared or
 * per item), s, lam in (0.1, 2.1), d = s/lam, `inactive` where d > 1.
 */
function sample(
  seed: number,
  nBatch: number,
  n: number,
  m: number,
  sharedK: boolean,
  sharedQ: boolean,
  dtype: 'float32' | 'float64' = f64,
): Sample {
  const rng = makeRng(seed);
  const spd = (lead: number[], k: number) => {
    const x = randn([...lead, k, k], { rng, dtype: f64 });
    return matmul(x, x, { transB: true }).add(eye(k, { dtype: f64 }).mul(k));
  };
  const qLead = sharedQ ? [] : [nBatch];
  const lq = cholesky(spd(qLead, n));
  const G = randn([...qLead, m, n], { rng, dtype: f64 });
  const wG = triangularSolve(lq, G.transpose(-2, -1));
  const k = spd(sharedK ? [] : [nBatch], m);
  const pos = () => rand([nBatch, m], { rng, dtype: f64 }).mul(2).add(0.1);
  const [s, lam] = [pos(), pos()];
  const d = s.div(lam);
  const unit = full([nBatch, 1], 1e-14 * m, { dtype: f64 });
  const rx = randn([nBatch, n], { rng, dtype: f64 });
  const rz = randn([nBatch, m], { rng, dtype: f64 });
  const cast = (t: Tensor) => t.cast(dtype);
  return {
    k: cast(k),
    d: cast(d),
    unit: cast(unit),
    rest: [lq, wG, G, rx, s, lam].map(cast).concat([d.greater(1), cast(rz)]),
  };
}

/** The fused op's outputs and the two ops' (dz, dlam, ds, level). */
function both(x: Sample, active: Tensor | null): [Tensor[], Tensor[]] {
  const [lq, wG, G, rx, s, lam, inactive, rz] = x.rest;
  const got = factorStep(
    x.k,
    x.d,
    x.unit,
    lq,
    wG,
    G,
    rx,
    s,
    lam,
    inactive,
    rz,
    BOOSTS,
    active,
  );
  const [l, level] = shiftedCholesky(x.k, x.d, x.unit, BOOSTS, active);
  const want = predictCorrect(
    lq,
    wG,
    G,
    l,
    rx,
    s,
    lam,
    x.d,
    inactive,
    rz,
    active,
  );
  return [got, [...want, level]];
}

function sameBits(got: Tensor[], want: Tensor[], what: string): void {
  ['dz', 'dlam', 'ds', 'level'].forEach((name, i) => {
    const g = Array.from(got[i].dataSync());
    const w = Array.from(want[i].dataSync());
    assert.is(g.length, w.length, `${what} ${name}: length`);
    const bad = g.findIndex((v, j) => !Object.is(v, w[j]));
    assert.is(bad, -1, `${what} ${name}[${bad}]: ${g[bad]} vs ${w[bad]}`);
  });
}

test('qpFactorStep gives the bits of qpShiftedCholesky then qpPredictCorrect: shared and per-item K and Q, f64 and f32, WebAssembly and JS, with and without `active`', () => {
  // Item 1 alone, items 3-4 and 6 active: runs of one and of two.
  const mask = tensor([[0], [1], [0], [1], [1], [0], [1]], { dtype: 'bool' });
  withEachKernelSet((wasm) => {
    let seed = 40;
    for (const dtype of [f64, 'float32'] as const)
      for (const sharedK of [false, true])
        for (const sharedQ of [false, true])
          for (const active of [null, mask]) {
            const x = sample(seed++, 7, 6, 9, sharedK, sharedQ, dtype);
            const [got, want] = both(x, active);
            const what = `${dtype} K shared ${sharedK}, Q shared ${sharedQ}, active ${active !== null}, wasm ${wasm}`;
            sameBits(got, want, what);
            // A real direction, not zeros everywhere (the left-out items'
            // are, in WebAssembly; the JS loops compute every item).
            const dz = got[0].arraySync() as number[][];
            dz.forEach((row, i) => {
              const left = wasm && active !== null && [0, 2, 5].includes(i);
              assert.is(
                row.every((v) => v === 0),
                left,
                `${what}: item ${i}'s dz is ${left ? '' : 'not '}zero`,
              );
            });
          }
  });
});

test('qpFactorStep where an item needs a boost or breaks down: the fallback gives the two ops’ bits and levels, the others unchanged', () => {
  withEachKernelSet((wasm) => {
    const x = sample(50, 5, 4, 6, false, false);
    // Item 2's S is indefinite (needs the 1e3 boost: unit 1e3·m·1e-14 is
    // not enough, so raise the unit); item 4 holds a NaN (level −1).
    const dRows = x.d.arraySync() as number[][];
    dRows[2] = dRows[2].map((v) => v - 30);
    dRows[4][1] = NaN;
    const d = tensor(dRows, { dtype: f64 });
    const unit = full([5, 1], 0.1, { dtype: f64 });
    const y = { ...x, d, unit };
    const [got, want] = both(y, null);
    sameBits(got, want, `wasm ${wasm}`);
    assert.equal(
      Array.from(got[3].dataSync()),
      [0, 0, 1, 0, -1],
      `levels (wasm ${wasm})`,
    );
    // Items 0, 1 and 3 take the path of a batch that needs no boost.
    const clean = both(x, null)[0];
    for (const i of [0, 1, 3])
      assert.equal(
        (got[0].arraySync() as number[][])[i],
        (clean[0].arraySync() as number[][])[i],
        `item ${i} (wasm ${wasm})`,
      );
  });
});

test('qpFactorStep over several WebAssembly chunks (m 128, 120 items: more than one allocation holds) gives the two ops’ bits', () => {
  const x = sample(60, 120, 16, 128, false, true);
  const mask = tensor(
    Array.from({ length: 120 }, (_, i) => [i % 7 !== 3]),
    { dtype: 'bool' },
  );
  for (const active of [null, mask]) {
    const [got, want] = both(x, active);
    sameBits(got, want, `active ${active !== null}`);
  }
});

test('a solve with qpFactorStep and one without it (a backend lacking the kernel runs its decomposition: the two ops) give the same bits', () => {
  class Unfused extends CpuBackend {
    hasKernel(op: KernelOp<unknown>): boolean {
      return op.name !== 'qpFactorStep';
    }
  }
  const d = randomQp({
    nBatch: 6,
    nz: 12,
    nIneq: 15,
    nEq: 0,
    dtype: f64,
    seed: 7,
  });
  const ins = [d.Q, d.p, d.G, d.h] as const;
  const fused = Array.from(qp(...ins).dataSync());
  const prev = getBackend();
  setBackend(new Unfused());
  try {
    const moved = ins.map((t) =>
      tensor(Array.from(t!.dataSync()), { dtype: f64 }).reshape(t!.shape),
    );
    const apart = Array.from(qp(moved[0], moved[1], moved[2], moved[3]).dataSync());
    assert.equal(fused, apart);
  } finally {
    setBackend(prev);
  }
});

test.run();
