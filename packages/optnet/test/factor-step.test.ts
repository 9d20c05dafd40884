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
import {
  factorStep,
  type StepFrom,
} from '../src/kernels/factor-step-kernel.js';
import { move, stepLength } from '../src/kernels/step-kernels.js';
import {
  dualSolveRx,
  predictCorrect,
  predictCorrectOp,
} from '../src/kernels/dual-solve-kernel.js';
import {
  dualSolveEq,
  predictCorrectEq,
} from '../src/kernels/predict-correct-eq-kernel.js';
import {
  shiftedCholesky,
  shiftedCholeskyOp,
} from '../src/kernels/shifted-cholesky-kernel.js';
import { randomQp } from '../src/testing/random-qp.js';
import { qp } from '../src/index.js';
import { countingChunks, withEachKernelSet } from './kernel-sets.js';

const f64 = 'float64' as const;
const BOOSTS = [0, 1e3, 1e6];

interface Sample {
  readonly k: Tensor;
  /** The rows with s/lam above it are inactive ([m] or [nBatch, m]). */
  readonly gDiag: Tensor;
  readonly unit: Tensor;
  /** lq, wG, G, rx, s, lam, rz */
  readonly rest: Tensor[];
  /** L_R, V, W_A, ry (with equalities), or null. */
  readonly eq: [Tensor, Tensor, Tensor, Tensor] | null;
}

/**
 * K = XXᵀ + m·I (shared or per item), L_Q, W_G = L_Q⁻¹Gᵀ and G (shared or
 * per item), s, lam in (0.1, 2.1), gDiag 1 (shared with K) or in
 * (0.5, 1.5) per item; with q equalities an L_R, V, W_A (shared like Q)
 * and ry.
 */
function sample(
  seed: number,
  nBatch: number,
  n: number,
  m: number,
  sharedK: boolean,
  sharedQ: boolean,
  dtype: 'float32' | 'float64' = f64,
  q = 0,
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
  const gDiag = sharedK
    ? full([m], 1, { dtype: f64 })
    : rand([nBatch, m], { rng, dtype: f64 }).add(0.5);
  const unit = full([nBatch, 1], 1e-14 * m, { dtype: f64 });
  const rx = randn([nBatch, n], { rng, dtype: f64 });
  const rz = randn([nBatch, m], { rng, dtype: f64 });
  const cast = (t: Tensor) => t.cast(dtype);
  const eq =
    q === 0
      ? null
      : ([
          cholesky(spd(qLead, q)),
          randn([...qLead, q, m], { rng, dtype: f64 }),
          randn([...qLead, n, q], { rng, dtype: f64 }),
          randn([nBatch, q], { rng, dtype: f64 }),
        ].map(cast) as [Tensor, Tensor, Tensor, Tensor]);
  return {
    k: cast(k),
    gDiag: cast(gDiag),
    unit: cast(unit),
    rest: [lq, wG, G, rx, s, lam, rz].map(cast),
    eq,
  };
}

/** How many calls the fused op's fallback made to the two ops' kernels. */
let fallbackCalls = 0;

/**
 * `f` with the two ops' CPU kernels counted (qpFactorStep's fallback calls
 * them; its fused path does not).
 */
function counting<T>(f: () => T): T {
  const ops = [shiftedCholeskyOp, predictCorrectOp] as { cpu: unknown }[];
  const saved = ops.map((op) => op.cpu);
  ops.forEach((op, i) => {
    const cpu = saved[i] as (...a: unknown[]) => void;
    op.cpu = (...a: unknown[]) => {
      fallbackCalls++;
      cpu(...a);
    };
  });
  try {
    return f();
  } finally {
    ops.forEach((op, i) => (op.cpu = saved[i]));
  }
}

/** The fused op on a sample (given rc: its single-solve mode; given step, its move mode). */
function fused(
  x: Sample,
  active: Tensor | null,
  rc: Tensor | null = null,
  step: StepFrom | null = null,
): Tensor[] {
  const [lq, wG, G, rx, s, lam, rz] = x.rest;
  const eq = x.eq;
  return factorStep(
    x.k,
    x.gDiag,
    x.unit,
    [lq, wG, G],
    eq,
    rx,
    s,
    lam,
    rz,
    BOOSTS,
    active,
    rc,
    step,
  );
}

/**
 * The fused op's outputs and the two ops' (dz, dlam, ds, level; dnu before
 * level with equalities); `fallbackCalls` counts the fused op's fallback.
 */
function both(
  x: Sample,
  active: Tensor | null,
  rc: Tensor | null = null,
): [Tensor[], Tensor[]] {
  const [lq, wG, G, rx, s, lam, rz] = x.rest;
  fallbackCalls = 0;
  const got = counting(() => fused(x, active, rc));
  // The reference: d = s/lam and the inactive rows as tensor ops.
  const d = s.div(lam);
  const inactive = d.greater(x.gDiag);
  const [l, level] = shiftedCholesky(x.k, d, x.unit, BOOSTS, active);
  if (rc !== null) {
    // one solve, rc in s's place
    const tail = [lam, d, inactive, rz];
    if (x.eq === null) {
      const want = dualSolveRx(lq, wG, G, l, rx, rc, ...tail);
      return [got, [...want, level]];
    }
    const [lr, v, wA, ry] = x.eq;
    const want = dualSolveEq(lq, wG, G, l, lr, v, wA, rx, ry, rc, ...tail);
    return [got, [...want, level]];
  }
  if (x.eq !== null) {
    const [lr, v, wA, ry] = x.eq;
    const want = predictCorrectEq(
      ...[lq, wG, G, l, lr, v, wA, rx, ry, s, lam, d, inactive, rz],
      active,
    );
    return [got, [...want, level]];
  }
  const want = predictCorrect(
    lq,
    wG,
    G,
    l,
    rx,
    s,
    lam,
    d,
    inactive,
    rz,
    active,
  );
  return [got, [...want, level]];
}

function sameBits(got: Tensor[], want: Tensor[], what: string): void {
  const names =
    got.length === 5
      ? ['dz', 'dlam', 'ds', 'dnu', 'level']
      : ['dz', 'dlam', 'ds', 'level'];
  assert.is(got.length, want.length, `${what}: outputs`);
  names.forEach((name, i) => {
    const g = Array.from(got[i].dataSync());
    const w = Array.from(want[i].dataSync());
    assert.is(g.length, w.length, `${what} ${name}: length`);
    const bad = g.findIndex((v, j) => !Object.is(v, w[j]));
    assert.is(bad, -1, `${what} ${name}[${bad}]: ${g[bad]} vs ${w[bad]}`);
  });
}

test('qpFactorStep gives the bits of qpShiftedCholesky then qpPredictCorrect(Eq): with and without equalities, shared and per-item K and Q, f64 and f32, WebAssembly and JS, with and without `active`', () => {
  // Item 1 alone, items 3-4 and 6 active: runs of one and of two.
  const mask = tensor([[0], [1], [0], [1], [1], [0], [1]], { dtype: 'bool' });
  withEachKernelSet((wasm) => {
    let seed = 40;
    for (const q of [0, 3])
      for (const dtype of [f64, 'float32'] as const)
        for (const sharedK of [false, true])
          for (const sharedQ of [false, true])
            for (const active of [null, mask]) {
              const x = sample(seed++, 7, 6, 9, sharedK, sharedQ, dtype, q);
              const [got, want] = both(x, active);
              const what = `nEq ${q}, ${dtype} K shared ${sharedK}, Q shared ${sharedQ}, active ${active !== null}, wasm ${wasm}`;
              sameBits(got, want, what);
              // float64 with WebAssembly runs fused; else the two ops run.
              const fused = wasm && dtype === f64;
              assert.is(fallbackCalls === 0, fused, `${what}: fused path`);
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

test('qpFactorStep with rc (single mode) gives the bits of qpShiftedCholesky then one solve (qpDualSolveRx, qpDualSolveEq): with and without equalities, shared and per-item K and Q, f64 and f32, WebAssembly and JS', () => {
  withEachKernelSet((wasm) => {
    let seed = 90;
    for (const q of [0, 3])
      for (const dtype of [f64, 'float32'] as const)
        for (const shared of [false, true]) {
          const x = sample(seed++, 7, 6, 9, shared, !shared, dtype, q);
          const rc = randn([7, 9], { rng: makeRng(seed), dtype });
          const [got, want] = both(x, null, rc);
          const what = `single, nEq ${q}, ${dtype}, K shared ${shared}, wasm ${wasm}`;
          sameBits(got, want, what);
          assert.is(fallbackCalls === 0, wasm && dtype === f64, what);
          // not the direction: rc changes the answer
          const [dir] = fused(x, null);
          assert.not.equal(
            Array.from(got[0].dataSync()),
            Array.from(dir.dataSync()),
            `${what}: differs from the direction`,
          );
        }
  });
  // rc must be shaped as s
  const x = sample(1, 7, 6, 9, true, true);
  assert.throws(
    () => fused(x, null, randn([7, 8], { rng: makeRng(2), dtype: f64 })),
    /qpFactorStep: rc must be shaped and typed as s/,
  );
});

test('qpFactorStep with a step (move mode) gives the bits of the two ops, qpStepLength (capGap) and qpMove: with and without equalities, shared and per-item K and Q, f64 and f32, WebAssembly and JS, with and without `active`', () => {
  const mask = tensor([[0], [1], [0], [1], [1], [0], [1]], { dtype: 'bool' });
  withEachKernelSet((wasm) => {
    let seed = 140;
    for (const q of [0, 3])
      for (const dtype of [f64, 'float32'] as const)
        for (const shared of [false, true])
          for (const active of [null, mask]) {
            const x = sample(seed++, 7, 6, 9, shared, !shared, dtype, q);
            const rng = makeRng(seed);
            // the iterate the step starts from: its own s and lam (the
            // factored ones are x's)
            const pos = () => rand([7, 9], { rng, dtype }).add(0.5);
            const step: StepFrom = {
              z: randn([7, 6], { rng, dtype }),
              s: pos(),
              lam: pos(),
              nu: q === 0 ? null : randn([7, q], { rng, dtype }),
              scale: 0.99,
            };
            const [, want0] = both(x, active);
            fallbackCalls = 0;
            const got = counting(() => fused(x, active, null, step));
            const what = `move, nEq ${q}, ${dtype}, shared ${shared}, active ${active !== null}, wasm ${wasm}`;
            assert.is(fallbackCalls === 0, wasm && dtype === f64, what);
            // the reference: the direction, then the two step ops
            const [sF, lamF] = [x.rest[4], x.rest[5]]; // the factored s, lam
            const [dz, dlam, ds] = want0;
            const alpha = stepLength(sF, lamF, ds, dlam, {
              scale: 0.99,
              capGap: true,
            });
            const level = want0[want0.length - 1];
            const pairs: [Tensor, Tensor][] = [
              [step.z, dz],
              [step.s, ds],
              [step.lam, dlam],
            ];
            if (step.nu !== null) pairs.push([step.nu, want0[3]]);
            const want = [...move(alpha, pairs, active, level), level];
            const names = ['z', 's', 'lam', ...(q > 0 ? ['nu'] : []), 'level'];
            names.forEach((name, i) => {
              const g = Array.from(got[i].dataSync());
              const w = Array.from(want[i].dataSync());
              const bad = g.findIndex((v, j) => !Object.is(v, w[j]));
              assert.is(
                bad,
                -1,
                `${what} ${name}[${bad}]: ${g[bad]} vs ${w[bad]}`,
              );
            });
            // it moved: the direction is not zero on a moving item
            assert.not.equal(
              Array.from(got[0].dataSync()).slice(6, 12),
              Array.from(step.z.dataSync()).slice(6, 12),
              `${what}: item 1 moved`,
            );
          }
  });
  const x = sample(1, 7, 6, 9, true, true);
  const z = randn([7, 6], { rng: makeRng(3), dtype: f64 });
  const s9 = rand([7, 9], { rng: makeRng(4), dtype: f64 });
  assert.throws(
    () => fused(x, null, s9, { z, s: s9, lam: s9, nu: null, scale: 0.99 }),
    /qpFactorStep: single \(one solve\) and move/,
  );
  assert.throws(
    () =>
      fused(x, null, null, { z: s9, s: s9, lam: s9, nu: null, scale: 0.99 }),
    /qpFactorStep: the iterate \(z, s, lam\) must be \[7, 6\], \[7, 9\], \[7, 9\]/,
  );
});

test('qpFactorStep in windows of items (m = 64: three items of factors a window, one slot): the two ops’ bits, with runs of `active` that cross windows', () => {
  // Items 1, 3-6 and 8 active: the run 3-6 spans two windows.
  const mask = tensor([[0], [1], [0], [1], [1], [1], [1], [0], [1]], {
    dtype: 'bool',
  });
  let seed = 70;
  for (const q of [0, 4])
    for (const shared of [false, true])
      for (const active of [null, mask]) {
        const x = sample(seed++, 9, 12, 64, shared, shared, f64, q);
        const [got, want] = both(x, active);
        const what = `nEq ${q}, K and Q shared ${shared}, active ${active !== null}`;
        sameBits(got, want, what);
        assert.is(fallbackCalls, 0, `${what}: fused path`);
      }
  // Item 7 (the third window) needs a boost: the fallback, the same bits.
  for (const q of [0, 4]) {
    const x = sample(80 + q, 9, 12, 64, false, false, f64, q);
    const [lq, wG, G, rx, s, lam, rz] = x.rest;
    const sRows = s.arraySync() as number[][];
    const lamRows = lam.arraySync() as number[][];
    sRows[7] = sRows[7].map((v, i) => v / lamRows[7][i] - 200);
    lamRows[7] = lamRows[7].map(() => 1);
    const [s2, lam2] = [sRows, lamRows].map((r) => tensor(r, { dtype: f64 }));
    const unit = full([9, 1], 0.1, { dtype: f64 });
    const y = { ...x, unit, rest: [lq, wG, G, rx, s2, lam2, rz] };
    const [got, want] = both(y, null);
    sameBits(got, want, `nEq ${q}, item 7 boosted`);
    assert.ok(fallbackCalls > 0, `nEq ${q}: the fallback ran`);
    const levels = (got[got.length - 1].arraySync() as number[][]).flat();
    assert.equal(
      levels.map((v) => v > 0),
      levels.map((_, i) => i === 7),
      `nEq ${q}: only item 7 boosted (${levels})`,
    );
  }
});

test('qpFactorStep where an item needs a boost or breaks down: the fallback gives the two ops’ bits and levels, the others unchanged', () => {
  withEachKernelSet((wasm) => {
    for (const q of [0, 2]) {
      const x = sample(50, 5, 4, 6, false, false, f64, q);
      // Item 2's S is indefinite (s/lam lowered by 30: needs the 1e3
      // boost, with the unit raised to 0.1); item 4 holds a NaN (level −1).
      const [lq, wG, G, rx, s, lam, rz] = x.rest;
      const sRows = s.arraySync() as number[][];
      const lamRows = lam.arraySync() as number[][];
      sRows[2] = sRows[2].map((v, i) => v / lamRows[2][i] - 30);
      lamRows[2] = lamRows[2].map(() => 1);
      sRows[4][1] = NaN;
      const [s2, lam2] = [sRows, lamRows].map((r) => tensor(r, { dtype: f64 }));
      const unit = full([5, 1], 0.1, { dtype: f64 });
      const y = { ...x, unit, rest: [lq, wG, G, rx, s2, lam2, rz] };
      const [got, want] = both(y, null);
      const what = `nEq ${q}, wasm ${wasm}`;
      sameBits(got, want, what);
      assert.ok(fallbackCalls > 0, `${what}: the fallback ran`);
      assert.equal(
        Array.from(got[got.length - 1].dataSync()),
        [0, 0, 1, 0, -1],
        `levels (${what})`,
      );
      // Items 0, 1 and 3 take the path of a batch that needs no boost.
      const clean = both(x, null)[0];
      for (const i of [0, 1, 3])
        assert.equal(
          (got[0].arraySync() as number[][])[i],
          (clean[0].arraySync() as number[][])[i],
          `item ${i} (${what})`,
        );
    }
  });
});

test('qpFactorStep over several WebAssembly chunks (m 200, 120 items: three chunks, windows of one item) gives the two ops’ bits', () => {
  const mask = tensor(
    Array.from({ length: 120 }, (_, i) => [i % 7 !== 3]),
    { dtype: 'bool' },
  );
  for (const q of [0, 5]) {
    const x = sample(60 + q, 120, 16, 200, false, true, f64, q);
    for (const active of [null, mask]) {
      const [got, want] = both(x, active);
      sameBits(got, want, `nEq ${q}, active ${active !== null}`);
      assert.is(fallbackCalls, 0, `nEq ${q}: fused path`);
      // The fused op alone, its chunks counted (after `both`, so that its
      // kernels are registered and wasmKernels() is the module it runs).
      const [, chunks] = countingChunks(() => fused(x, active));
      assert.is(chunks, 3, `nEq ${q}, active ${active !== null}: chunks`);
    }
  }
});

test('a solve with qpFactorStep and one without it (a backend lacking the kernel runs its decomposition: the two ops) give the same bits', () => {
  class Unfused extends CpuBackend {
    hasKernel(op: KernelOp<unknown>): boolean {
      return op.name !== 'qpFactorStep';
    }
  }
  for (const nEq of [0, 4]) {
    const d = randomQp({
      nBatch: 6,
      nz: 12,
      nIneq: 15,
      nEq,
      dtype: f64,
      seed: 7,
    });
    const ins = [d.Q, d.p, d.G, d.h, d.A, d.b];
    const fused = Array.from(qp(d.Q, d.p, d.G, d.h, d.A, d.b).dataSync());
    const prev = getBackend();
    setBackend(new Unfused());
    try {
      const moved = ins.map((t) =>
        t === null
          ? null
          : tensor(Array.from(t.dataSync()), { dtype: f64 }).reshape(t.shape),
      );
      const [Q, p, G, h, A, b] = moved;
      const apart = Array.from(qp(Q!, p!, G, h, A, b).dataSync());
      assert.equal(fused, apart, `nEq ${nEq}`);
    } finally {
      setBackend(prev);
    }
  }
});

test.run();
