// The fused step kernels against their tensor-op forms (what a backend
// without the kernels runs), on random and edge-case data, and the whole
// solver on such a backend.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  apply,
  cholesky,
  CpuBackend,
  eye,
  full,
  regularizedCholesky,
  getBackend,
  makeRng,
  matmul,
  rand,
  randn,
  setBackend,
  setWasmKernels,
  tensor,
  triangularSolve,
  zeros,
  type CpuTensor,
  type KernelOp,
  type Tensor,
} from '@optnet/tensor';
import { wasmKernels } from '@optnet/tensor/wasm';
import {
  centering,
  centeringOp,
  move,
  moveOp,
  slackStep,
  slackStepOp,
  stepLength,
  stepLengthOp,
  shiftPositive,
  shiftPositiveOp,
} from '../src/kernels/step-kernels.js';
import {
  residualStats,
  statsOp,
  type StatsParts,
} from '../src/kernels/stats-kernel.js';
import {
  dualSolve,
  dualSolveOp,
  dualSolveRx,
  predictCorrect,
  predictCorrectOp,
} from '../src/kernels/dual-solve-kernel.js';
import {
  shiftedCholesky,
  shiftedCholeskyOp,
} from '../src/kernels/shifted-cholesky-kernel.js';
import {
  NSTATS,
  statsWasm,
  type StatsBlocks,
} from '../src/kernels/stats-wasm.js';
import {
  dualSolveEq,
  predictCorrectEq,
  predictCorrectEqOp,
} from '../src/kernels/predict-correct-eq-kernel.js';
import { fusedResiduals, residualOp } from '../src/kernels/residual-kernel.js';
import {
  residualStatsOp,
  residualsWithStats,
} from '../src/kernels/residual-stats-kernel.js';
import {
  refinedSolveOp,
  refinedSolveRx,
} from '../src/kernels/refined-solve-kernel.js';
import { outerPair, outerPairOp } from '../src/kernels/outer-pair-kernel.js';
import { randomQp } from '../src/testing/random-qp.js';
import { solveQp } from '../src/index.js';
import { withEachKernelSet } from './kernel-sets.js';

const f64 = 'float64' as const;
const arr = (t: Tensor): number[] => Array.from(t.dataSync() as Float64Array);

function close(
  got: number[],
  want: number[],
  rtol: number,
  what: string,
): void {
  assert.is(got.length, want.length, what);
  got.forEach((g, i) => {
    const w = want[i];
    const ok =
      Object.is(g, w) || Math.abs(g - w) <= rtol * Math.max(1, Math.abs(w));
    assert.ok(ok, `${what}[${i}]: ${g} vs ${w}`);
  });
}

/**
 * s, lam in (0.1, 2.1); ds, dlam ~ N(0, 1): some items block early, some not at
 * all.
 */
function sample(
  seed: number,
  nBatch: number,
  m: number,
  dtype: 'float32' | 'float64' = f64,
): Tensor[] {
  const rng = makeRng(seed);
  const pos = () => rand([nBatch, m], { rng, dtype }).mul(2).add(0.1);
  return [
    pos(),
    pos(),
    randn([nBatch, m], { rng, dtype }),
    randn([nBatch, m], { rng, dtype }),
  ];
}

const decomposed = (
  op: KernelOp<never>,
  ins: Tensor[],
  attrs: unknown,
): Tensor => op.decompose!(ins, attrs as never)[0];

test('stepLength equals its tensor-op form (with and without the gap cap), float64 and float32', () => {
  for (const attrs of [
    { scale: 1, capGap: false },
    { scale: 0.99, capGap: true },
  ]) {
    const ins = sample(1, 64, 7);
    close(
      arr(stepLength(ins[0], ins[1], ins[2], ins[3], attrs)),
      arr(decomposed(stepLengthOp as KernelOp<never>, ins, attrs)),
      1e-14,
      'f64',
    );
    const ins32 = sample(2, 16, 5, 'float32');
    const got = Array.from(
      stepLength(ins32[0], ins32[1], ins32[2], ins32[3], attrs).dataSync(),
    );
    const want = Array.from(
      decomposed(stepLengthOp as KernelOp<never>, ins32, attrs).dataSync(),
    );
    close(got, want, 1e-6, 'f32');
  }
});

test('stepLength by hand: the boundary, a full step, the gap cap, and NaN', () => {
  const t = (rows: number[][]) => tensor(rows, { dtype: f64 });
  const cap = { scale: 1, capGap: true };
  // Item 0: ds hits 0 at α = 0.5; item 1: the direction only grows (α = 1).
  const s = t([
      [1, 2],
      [1, 1],
    ]),
    lam = t([
      [1, 1],
      [1, 1],
    ]);
  close(
    arr(
      stepLength(
        s,
        lam,
        t([
          [-2, 0],
          [1, 1],
        ]),
        t([
          [0, 0],
          [0, 0.5],
        ]),
        { scale: 1, capGap: false },
      ),
    ),
    [0.5, 1],
    0,
    'boundary',
  );
  // s = lam = 1 and ds = dlam = v: c1 = sᵀdlam + lamᵀds = 2Σv, c2 = Σv², and
  // the boundary allows α = 1 whenever min(v) ≥ −1.
  const one = t([[1, 1]]);
  const v = (a: number, b: number) => t([[a, b]]);
  // v = [−0.5, 0.4]: c1 = −0.2, c2 = 0.41; the gap rises at α = 1 (−0.2 + 0.41
  // > 0)
  // and is least at −c1/2c2 = 0.2/0.82: the step is cut there.
  close(
    arr(stepLength(one, one, v(-0.5, 0.4), v(-0.5, 0.4), cap)),
    [0.2 / 0.82],
    1e-15,
    'capped',
  );
  // v = [−0.5, 0.1]: c1 = −0.8, c2 = 0.26, the gap falls at α = 1: no cap.
  close(
    arr(stepLength(one, one, v(-0.5, 0.1), v(-0.5, 0.1), cap)),
    [1],
    0,
    'gap falls',
  );
  // v = [−0.5, 0.9]: c1 = 0.8 > 0, so −c1/2c2 < 0: no cap although the gap
  // rises.
  close(
    arr(stepLength(one, one, v(-0.5, 0.9), v(-0.5, 0.9), cap)),
    [1],
    0,
    'minimizer behind',
  );
  close(
    arr(
      stepLength(one, one, v(-0.5, 0.4), v(-0.5, 0.4), {
        scale: 0.99,
        capGap: false,
      }),
    ),
    [0.99],
    1e-15,
    'scaled',
  );
  const nan = stepLength(t([[1]]), t([[1]]), t([[NaN]]), t([[1]]), {
    scale: 1,
    capGap: false,
  });
  assert.ok(Number.isNaN(arr(nan)[0]), 'a NaN direction gives NaN');
});

test('centering equals its tensor-op form; σ = (μ_aff/μ)³ by hand', () => {
  const ins = sample(3, 64, 9);
  close(
    arr(centering(ins[0], ins[1], ins[2], ins[3])),
    arr(decomposed(centeringOp as KernelOp<never>, ins, {})),
    1e-13,
    'f64',
  );
  // One item, m = 2: s = lam = 1, ds = dlam = [−0.5, −0.5]: α_aff = 1/0.5 → 1,
  // μ = 1, μ_aff = (0.5·0.5·2)/2 = 0.25, σ = 1/64: rc = 1 + 0.25 − 1/64.
  const t = (rows: number[][]) => tensor(rows, { dtype: f64 });
  const h = t([[-0.5, -0.5]]);
  close(
    arr(centering(t([[1, 1]]), t([[1, 1]]), h, h)),
    [1.25 - 1 / 64, 1.25 - 1 / 64],
    1e-15,
    'by hand',
  );
});

test('residualStats equals its tensor-op form for every block combination, WebAssembly and JS alike, NaN kept', () => {
  const rng = makeRng(7);
  const r = (n: number) => randn([5, n], { rng, dtype: f64 });
  const pos = (n: number) => rand([5, n], { rng, dtype: f64 }).add(0.1);
  for (const [ineq, eq, u] of [
    [true, true, true],
    [true, false, true],
    [false, true, true],
    [false, false, false],
  ]) {
    const parts: StatsParts = {
      rx: r(4),
      qz: r(4),
      z: r(4),
      p: r(4),
      ineq: ineq
        ? { s: pos(6), lam: pos(6), rz: r(6), hInv: pos(6), h: r(6), gz: r(6) }
        : null,
      eq: eq ? { ry: r(2), bInv: pos(2), b: r(2), nu: r(2) } : null,
      u: u ? r(4) : null,
    };
    const ins = [parts.rx, parts.qz, parts.z, parts.p];
    if (parts.ineq)
      ins.push(
        parts.ineq.s,
        parts.ineq.lam,
        parts.ineq.rz,
        parts.ineq.hInv,
        parts.ineq.h,
        parts.ineq.gz,
      );
    if (parts.eq) ins.push(parts.eq.ry, parts.eq.bInv, parts.eq.b, parts.eq.nu);
    if (parts.u) ins.push(parts.u);
    const want = arr(
      decomposed(statsOp as KernelOp<never>, ins, { ineq, eq, u }),
    );
    close(
      arr(residualStats(parts)),
      want,
      1e-14,
      `ineq ${ineq} eq ${eq} u ${u}`,
    );
    // With a level: the same statistics, and the level as the last column.
    const level = tensor([[0], [2], [-1], [0], [1]], { dtype: f64 });
    const got = arr(residualStats({ ...parts, level }));
    const want2 = arr(
      decomposed(statsOp as KernelOp<never>, [...ins, level], {
        ineq,
        eq,
        u,
        level: true,
      }),
    );
    close(got, want2, 1e-14, `level, ineq ${ineq} eq ${eq} u ${u}`);
    assert.equal(
      [0, 1, 2, 3, 4].map((b) => got[b * 11 + 10]),
      [0, 2, -1, 0, 1],
    );
    assert.equal(
      got.filter((_, i) => i % 11 !== 10),
      want.filter((_, i) => i % 11 !== 10),
    );
    // The WebAssembly kernel and the JS loops: the same bits, float32 too.
    for (const dtype of [f64, 'float32'] as const) {
      const cast = (t: Tensor | null): Tensor | null => t && t.cast(dtype);
      const typed: StatsParts = {
        rx: cast(parts.rx)!,
        qz: cast(parts.qz)!,
        z: cast(parts.z)!,
        p: cast(parts.p)!,
        ineq: parts.ineq && {
          s: cast(parts.ineq.s)!,
          lam: cast(parts.ineq.lam)!,
          rz: cast(parts.ineq.rz)!,
          hInv: cast(parts.ineq.hInv)!,
          h: cast(parts.ineq.h)!,
          gz: cast(parts.ineq.gz)!,
        },
        eq: parts.eq && {
          ry: cast(parts.eq.ry)!,
          bInv: cast(parts.eq.bInv)!,
          b: cast(parts.eq.b)!,
          nu: cast(parts.eq.nu)!,
        },
        u: cast(parts.u),
        level: cast(level),
      };
      const each: number[][] = [];
      withEachKernelSet(() => each.push(arr(residualStats(typed))));
      sameBits(each[0], each[1], `${dtype}: WebAssembly = JS`);
    }
  }
  // A NaN residual shows in the statistics (the solver then stops that item).
  const bad = tensor([[NaN, 1]], { dtype: f64 });
  const one = tensor([[1, 1]], { dtype: f64 });
  const nanIn = (x: Tensor) => ({
    s: one,
    lam: one,
    rz: x,
    hInv: one,
    h: one,
    gz: x,
  });
  withEachKernelSet((wasm) => {
    const st = arr(
      residualStats({
        rx: bad,
        qz: one,
        z: one,
        p: one,
        ineq: nanIn(bad),
        eq: null,
        u: null,
      }),
    );
    assert.ok(Number.isNaN(st[1]), `dual residual NaN (wasm ${wasm})`);
    assert.ok(Number.isNaN(st[0]), `primal residual NaN (wasm ${wasm})`);
    assert.ok(Number.isNaN(st[8]), `max(Gz, 0) NaN (wasm ${wasm})`);
    // A NaN after a larger value is kept too (not lost to the max).
    const late = tensor([[5, NaN]], { dtype: f64 });
    const st2 = arr(
      residualStats({
        rx: late,
        qz: one,
        z: one,
        p: one,
        ineq: nanIn(late),
        eq: null,
        u: null,
      }),
    );
    assert.ok(
      Number.isNaN(st2[1]) && Number.isNaN(st2[0]),
      `late NaN (wasm ${wasm})`,
    );
  });
});

/** a and b equal entry by entry under Object.is (−0 ≠ 0, NaN = NaN). */
function sameBits(a: ArrayLike<number>, b: ArrayLike<number>, what: string) {
  assert.is(a.length, b.length, `${what}: lengths`);
  for (let i = 0; i < a.length; i++)
    assert.ok(Object.is(a[i], b[i]), `${what}: entry ${i}: ${a[i]} vs ${b[i]}`);
}

test("qpStats (WebAssembly) runs and gives the JS loops' bits: one item, several chunks, absent blocks", () => {
  const wk = wasmKernels();
  assert.ok(wk !== null, 'WebAssembly kernels here');
  const rng = makeRng(21);
  const cpu = (t: Tensor): CpuTensor => ({
    shape: t.shape,
    dtype: t.dtype,
    data: t.dataSync(),
  });
  // [nBatch, n, m, k]: the last is big enough for 2 chunks of items
  for (const [nBatch, n, m, k] of [
    [1, 3, 4, 2],
    [7, 5, 0, 3],
    [7, 5, 6, 0],
    [2000, 100, 100, 50],
  ]) {
    const v = (c: number) => randn([nBatch, c], { rng, dtype: f64 });
    // a −0 and a NaN among the inputs
    const special = (at: number, value: number) => {
      const a = v(n).dataSync().slice();
      a[at] = value;
      return tensor(a, { shape: [nBatch, n] });
    };
    const blocks: StatsBlocks<Tensor> = {
      rx: special(0, -0),
      qz: v(n),
      z: special(n - 1, NaN),
      p: v(n),
      ineq:
        m === 0
          ? null
          : { s: v(m), lam: v(m), rz: v(m), hInv: v(m), h: v(m), gz: v(m) },
      eq: k === 0 ? null : { ry: v(k), bInv: v(k), b: v(k), nu: v(k) },
      u: v(n),
      level: v(1),
    };
    const out = zeros([nBatch, NSTATS + 1], { dtype: f64 });
    const asCpu = {
      ...blocks,
      rx: cpu(blocks.rx),
      qz: cpu(blocks.qz),
      z: cpu(blocks.z),
      p: cpu(blocks.p),
      ineq:
        blocks.ineq &&
        Object.fromEntries(
          Object.entries(blocks.ineq).map(([key, t]) => [key, cpu(t)]),
        ),
      eq:
        blocks.eq &&
        Object.fromEntries(
          Object.entries(blocks.eq).map(([key, t]) => [key, cpu(t)]),
        ),
      u: cpu(blocks.u!),
      level: cpu(blocks.level!),
    } as StatsBlocks<CpuTensor>;
    const what = `nBatch ${nBatch} n ${n} m ${m} k ${k}`;
    const y = cpu(out);
    assert.ok(statsWasm(wk!, asCpu, y), `${what}: ran in WebAssembly`);
    const was = setWasmKernels(false);
    let js: number[];
    try {
      js = arr(residualStats(blocks));
    } finally {
      setWasmKernels(was);
    }
    sameBits(y.data, js, what);
  }
});

test('move and slackStep equal their tensor-op forms (masked and not)', () => {
  const rng = makeRng(8);
  const alpha = rand([6, 1], { rng, dtype: f64 });
  const z = randn([6, 3], { rng, dtype: f64 }),
    dz = randn([6, 3], { rng, dtype: f64 });
  const s = randn([6, 5], { rng, dtype: f64 }),
    ds = randn([6, 5], { rng, dtype: f64 });
  const active = tensor([[true], [false], [true], [true], [false], [true]]);
  // Item 3's factorization broke down: it does not move either.
  const level = tensor([[0], [0], [2], [-1], [0], [1]], { dtype: f64 });
  for (const mask of [null, active]) {
    for (const lv of [null, level]) {
      const got = move(
        alpha,
        [
          [z, dz],
          [s, ds],
        ],
        mask,
        lv,
      );
      const ins = [alpha, z, dz, s, ds, ...(mask ? [mask] : [])];
      if (lv !== null) ins.push(lv);
      const attrs = { masked: mask !== null, leveled: lv !== null };
      const want = moveOp.decompose!(ins, attrs);
      got.forEach((g, k) => close(arr(g), arr(want[k]), 0, `move ${k}`));
      if (lv !== null)
        close(arr(got[0]).slice(9, 12), arr(z).slice(9, 12), 0, 'item 3');
    }
  }
  // Items 1 and 4 do not move.
  close(
    arr(move(alpha, [[z, dz]], active)[0]).slice(3, 6),
    arr(z).slice(3, 6),
    0,
    'frozen item',
  );
  const [a, b, c, r, g] = [1, 2, 3, 4, 5].map(() =>
    randn([6, 5], { rng, dtype: f64 }),
  );
  const inactive = randn([6, 5], { rng, dtype: f64 }).greater(0);
  const want = slackStepOp.decompose!([a, b, c, r, g, inactive], {});
  close(arr(slackStep(a, b, c, r, g, inactive)), arr(want[0]), 0, 'slackStep');
});

/**
 * Inputs of qpDualSolve for nBatch items: L_Q, W_G = L_Q⁻¹Gᵀ and G shared
 * or per item, L_S a Cholesky factor per item, and the six vectors.
 */
function dualSample(
  seed: number,
  nBatch: number,
  n: number,
  m: number,
  shared: boolean,
  dtype: 'float32' | 'float64' = f64,
): Tensor[] {
  const rng = makeRng(seed);
  const lead = shared ? [] : [nBatch];
  const spd = (b: number[], k: number) => {
    const x = randn([...b, k, k], { rng, dtype: f64 });
    return matmul(x, x, { transB: true }).add(eye(k, { dtype: f64 }).mul(k));
  };
  const lq = cholesky(spd(lead, n));
  const G = randn([...lead, m, n], { rng, dtype: f64 });
  const wG = triangularSolve(lq, G.transpose(-2, -1));
  const ls = cholesky(spd([nBatch], m));
  const vec = (k: number) => randn([nBatch, k], { rng, dtype: f64 });
  const pos = () => rand([nBatch, m], { rng, dtype: f64 }).mul(2).add(0.1);
  const inactive = rand([nBatch, m], { rng, dtype: f64 }).greater(0.5);
  const ins = [
    lq,
    wG,
    G,
    ls,
    vec(n),
    vec(m),
    vec(m),
    pos(),
    pos(),
    inactive,
    vec(m),
  ];
  return ins.map((t) => (t.dtype === 'bool' ? t : t.cast(dtype)));
}

test('qpDualSolve equals its tensor-op form: per-item and shared matrices, float64 and float32, WebAssembly and JS loops', () => {
  withEachKernelSet((wasm) => {
    for (const shared of [false, true]) {
      const ins = dualSample(shared ? 3 : 4, 6, 7, 9, shared);
      const got = dualSolve(...(ins as Parameters<typeof dualSolve>));
      const want = dualSolveOp.decompose!(ins, {} as never);
      ['dz', 'dlam', 'ds'].forEach((name, i) =>
        close(
          arr(got[i]),
          arr(want[i]),
          1e-12,
          `${name} (shared ${shared}, wasm ${wasm})`,
        ),
      );
      const ins32 = dualSample(5, 4, 5, 6, shared, 'float32');
      const got32 = dualSolve(...(ins32 as Parameters<typeof dualSolve>));
      const want32 = dualSolveOp.decompose!(ins32, {} as never);
      got32.forEach((g, i) =>
        close(
          Array.from(g.dataSync()),
          Array.from(want32[i].dataSync()),
          1e-4,
          `f32 output ${i}`,
        ),
      );
    }
  });
});

test('qpPredictCorrect equals its tensor-op form (rxParts, affine solve, qpCentering, corrector solve): per-item and shared, f64 and f32, WebAssembly and JS', () => {
  withEachKernelSet((wasm) => {
    for (const shared of [false, true]) {
      for (const dtype of [f64, 'float32'] as const) {
        // [lq, wG, G, ls, t, zPart, rc, lam, sOverLam, inactive, rz] → rx in
        // t's place, s (positive) in rc's.
        const d = dualSample(shared ? 13 : 14, 6, 7, 9, shared, dtype);
        const s = rand([6, 9], { rng: makeRng(15), dtype })
          .mul(2)
          .add(0.1);
        const ins = [d[0], d[1], d[2], d[3], d[4], s, d[7], d[8], d[9], d[10]];
        const tol = dtype === f64 ? 1e-11 : 1e-3;
        // A whole direction, and (single) one solve with s's place holding rc.
        for (const single of [false, true]) {
          const got = single
            ? dualSolveRx(...ins)
            : predictCorrect(...(ins as Parameters<typeof predictCorrect>));
          const want = predictCorrectOp.decompose!(ins, { single });
          ['dz', 'dlam', 'ds'].forEach((name, i) =>
            close(
              Array.from(got[i].dataSync()),
              Array.from(want[i].dataSync()),
              tol,
              `${name} (single ${single}, shared ${shared}, ${dtype}, wasm ${wasm})`,
            ),
          );
        }
      }
    }
  });
});

test('qpPredictCorrect and its single solve (WebAssembly) take items in pairs: each item of an odd batch gets the bits it gets alone, at n = m (the paired solves) and n ≠ m', () => {
  for (const [n, m] of [
    [10, 10],
    [7, 9],
    [4, 5],
  ]) {
    for (const shared of [false, true]) {
      const nBatch = 7;
      const d = dualSample(n * m + (shared ? 1 : 0), nBatch, n, m, shared);
      const s = rand([nBatch, m], { rng: makeRng(n + m), dtype: f64 })
        .mul(2)
        .add(0.1);
      const ins = [d[0], d[1], d[2], d[3], d[4], s, d[7], d[8], d[9], d[10]];
      // item i alone: every per-item input's row i (shared matrices as they are)
      const alone = (i: number) =>
        ins.map((t, k) =>
          k < 3 && shared ? t : t.slice([{ start: i, stop: i + 1 }]),
        );
      for (const single of [false, true]) {
        const run = (xs: Tensor[]) =>
          single
            ? dualSolveRx(...(xs as Parameters<typeof dualSolveRx>))
            : predictCorrect(...(xs as Parameters<typeof predictCorrect>));
        const all = run(ins).map((t) => t.arraySync() as number[][]);
        for (let i = 0; i < nBatch; i++) {
          const one = run(alone(i)).map((t) => t.arraySync() as number[][]);
          one.forEach((o, k) =>
            sameBits(
              all[k][i],
              o[0],
              `n ${n} m ${m} shared ${shared} single ${single} output ${k} item ${i}`,
            ),
          );
        }
      }
    }
  }
});

test('qpPredictCorrectEq (WebAssembly) takes items in pairs: each item of an odd batch gets the bits it gets alone', () => {
  for (const shared of [false, true]) {
    const [nBatch, n, m, q] = [5, 7, 9, 3];
    const d = dualSample(shared ? 51 : 52, nBatch, n, m, shared);
    const rng = makeRng(53);
    const s = rand([nBatch, m], { rng, dtype: f64 }).mul(2).add(0.1);
    const lead = shared ? [] : [nBatch];
    const x = randn([...lead, q, q], { rng, dtype: f64 });
    const lr = cholesky(
      matmul(x, x, { transB: true }).add(eye(q, { dtype: f64 }).mul(q)),
    );
    const v = randn([...lead, q, m], { rng, dtype: f64 });
    const wA = randn([...lead, n, q], { rng, dtype: f64 });
    const ry = randn([nBatch, q], { rng, dtype: f64 });
    const ins = [
      d[0],
      d[1],
      d[2],
      d[3],
      lr,
      v,
      wA,
      d[4],
      ry,
      s,
      d[7],
      d[8],
      d[9],
      d[10],
    ];
    // the matrices but L_S (index 3) are shared when `shared`
    const perItem = (k: number) => !shared || k === 3 || k > 6;
    const alone = (i: number) =>
      ins.map((t, k) =>
        perItem(k) ? t.slice([{ start: i, stop: i + 1 }]) : t,
      );
    const all = predictCorrectEq(...ins).map(
      (t) => t.arraySync() as number[][],
    );
    for (let i = 0; i < nBatch; i++)
      predictCorrectEq(...alone(i)).forEach((t, k) =>
        sameBits(
          all[k][i],
          (t.arraySync() as number[][])[0],
          `shared ${shared} output ${k} item ${i}`,
        ),
      );
  }
});

test('qpPredictCorrectEq equals its tensor-op form: per-item and shared, f64 and f32, WebAssembly and JS', () => {
  withEachKernelSet((wasm) => {
    for (const shared of [false, true]) {
      for (const dtype of [f64, 'float32'] as const) {
        const rng = makeRng(shared ? 21 : 22);
        const [nBatch, n, m, q] = [5, 7, 9, 3];
        const lead = shared ? [] : [nBatch];
        const d = dualSample(shared ? 23 : 24, nBatch, n, m, shared, dtype);
        const x = randn([...lead, q, q], { rng, dtype: f64 });
        const lr = cholesky(
          matmul(x, x, { transB: true }).add(eye(q, { dtype: f64 }).mul(q)),
        ).cast(dtype);
        const v = randn([...lead, q, m], { rng, dtype });
        const wA = randn([...lead, n, q], { rng, dtype });
        const ry = randn([nBatch, q], { rng, dtype });
        const s = rand([nBatch, m], { rng, dtype }).mul(2).add(0.1);
        // [lq, wG, G, ls, lr, v, wA, rx, ry, s, lam, sOverLam, inactive, rz]
        const ins = [
          d[0],
          d[1],
          d[2],
          d[3],
          lr,
          v,
          wA,
          d[4],
          ry,
          s,
          d[7],
          d[8],
          d[9],
          d[10],
        ];
        const tol = dtype === f64 ? 1e-10 : 1e-3;
        for (const single of [false, true]) {
          const got = single ? dualSolveEq(...ins) : predictCorrectEq(...ins);
          const want = predictCorrectEqOp.decompose!(ins, { single });
          ['dz', 'dlam', 'ds', 'dnu'].forEach((name, i) =>
            close(
              Array.from(got[i].dataSync()),
              Array.from(want[i].dataSync()),
              tol,
              `${name} (single ${single}, shared ${shared}, ${dtype}, wasm ${wasm})`,
            ),
          );
        }
      }
    }
  });
});

test('qpPredictCorrect(Eq) with `active` (WebAssembly): the active items bit for bit as without it (runs of consecutive items), the others 0', () => {
  const pattern = [true, false, false, true, true, false];
  const active = tensor(pattern.map((a) => [a]));
  for (const shared of [false, true]) {
    const d = dualSample(shared ? 41 : 42, 6, 7, 9, shared);
    const rng = makeRng(43);
    const s = rand([6, 9], { rng, dtype: f64 }).mul(2).add(0.1);
    const plain = [d[0], d[1], d[2], d[3], d[4], s, d[7], d[8], d[9], d[10]];
    const lead = shared ? [] : [6];
    const x = randn([...lead, 3, 3], { rng, dtype: f64 });
    const lr = cholesky(
      matmul(x, x, { transB: true }).add(eye(3, { dtype: f64 }).mul(3)),
    );
    const v = randn([...lead, 3, 9], { rng, dtype: f64 });
    const wA = randn([...lead, 7, 3], { rng, dtype: f64 });
    const ry = randn([6, 3], { rng, dtype: f64 });
    const eqIns = [
      ...plain.slice(0, 4),
      lr,
      v,
      wA,
      d[4],
      ry,
      ...plain.slice(5),
    ];
    const cases: [string, () => Tensor[], () => Tensor[]][] = [
      [
        'qpPredictCorrect',
        () => predictCorrect(...(plain as Parameters<typeof predictCorrect>)),
        () =>
          predictCorrect(
            ...([...plain, active] as unknown as Parameters<
              typeof predictCorrect
            >),
          ),
      ],
      [
        'qpPredictCorrectEq',
        () => predictCorrectEq(...eqIns),
        () => predictCorrectEq(...eqIns, active),
      ],
    ];
    for (const [name, all, masked] of cases) {
      const want = all().map((t) => t.arraySync() as number[][]);
      const got = masked().map((t) => t.arraySync() as number[][]);
      want.forEach((w, o) =>
        pattern.forEach((on, i) => {
          const what = `${name} shared ${shared} output ${o} item ${i}`;
          if (on) sameBits(got[o][i], w[i], what);
          else
            assert.ok(
              got[o][i].every((v) => v === 0),
              `${what}: 0`,
            );
        }),
      );
    }
  }
  const bad = dualSample(44, 6, 7, 9, false);
  assert.throws(
    () =>
      predictCorrect(
        ...([
          ...bad.slice(0, 5),
          bad[6].abs(),
          ...bad.slice(7),
          tensor([[true], [false]]),
        ] as unknown as Parameters<typeof predictCorrect>),
      ),
    /active must be bool \[nBatch, 1\] = \[6, 1\]; got bool\[2, 1\]/,
  );
});

test('qpResiduals equals its tensor-op form (same bits for per-item float64): with and without equalities, shared and per-item, f32, WebAssembly and JS', () => {
  withEachKernelSet((wasm) => {
    for (const shared of [false, true]) {
      for (const eq of [false, true]) {
        for (const dtype of [f64, 'float32'] as const) {
          const rng = makeRng(31);
          const [B, n, m, q] = [5, 7, 9, 3];
          const lead = shared ? [] : [B];
          const r = (shape: number[]) => randn(shape, { rng, dtype });
          const [Q, G, A] = [
            r([...lead, n, n]),
            r([...lead, m, n]),
            eq ? r([...lead, q, n]) : null,
          ];
          const [z, p, s, lam, h] = [
            r([B, n]),
            r([B, n]),
            r([B, m]),
            r([B, m]),
            r([B, m]),
          ];
          const [nu, b] = eq ? [r([B, q]), r([B, q])] : [null, null];
          const got = fusedResiduals(Q, G, A, z, p, s, lam, h, nu, b);
          const ins = eq
            ? [Q, G, A!, z, p, s, lam, h, nu!, b!]
            : [Q, G, z, p, s, lam, h];
          const want = residualOp.decompose!(ins, { eq } as never);
          assert.is(got.length, eq ? 6 : 5);
          const tol = dtype === f64 ? (wasm && !shared ? 0 : 1e-13) : 1e-5;
          got.forEach((g, i) =>
            close(
              Array.from(g.dataSync()),
              Array.from(want[i].dataSync()),
              tol,
              `output ${i} (shared ${shared}, eq ${eq}, ${dtype}, wasm ${wasm})`,
            ),
          );
        }
      }
    }
  });
});

test('qpResidualStats2 (residuals and statistics in one op) gives the bits of qpResiduals then qpResidualStats: with and without equalities and level, shared and per-item, f32, WebAssembly and JS; its tensor-op form agrees', () => {
  withEachKernelSet((wasm) => {
    for (const shared of [false, true])
      for (const eq of [false, true])
        for (const withLevel of [false, true])
          for (const dtype of [f64, 'float32'] as const) {
            const rng = makeRng(eq ? 61 : 62);
            // 7 items over several chunks' worth of rows: odd, and a NaN
            // in one item's z (its statistics keep it)
            const [B, n, m, q] = [7, 6, 8, 3];
            const lead = shared ? [] : [B];
            const r = (shape: number[]) => randn(shape, { rng, dtype });
            const [Q, G] = [r([...lead, n, n]), r([...lead, m, n])];
            const A = eq ? r([...lead, q, n]) : null;
            const zData = Array.from(r([B, n]).dataSync());
            zData[2 * n + 1] = NaN;
            const z = tensor(zData, { shape: [B, n], dtype });
            const [p, s, lam, h] = [r([B, n]), r([B, m]), r([B, m]), r([B, m])];
            const [nu, b] = eq ? [r([B, q]), r([B, q])] : [null, null];
            const hInv = h.abs().add(1).reciprocal();
            const bInv = b === null ? null : b.abs().add(1).reciprocal();
            const level = withLevel ? r([B, 1]).abs() : null;
            const got = residualsWithStats(
              Q,
              G,
              A,
              z,
              p,
              s,
              lam,
              h,
              nu,
              b,
              hInv,
              bInv,
              level,
            );
            const [rx, rz, u, qz, gz, ry] = fusedResiduals(
              Q,
              G,
              A,
              z,
              p,
              s,
              lam,
              h,
              nu,
              b,
            );
            const stats = residualStats({
              rx,
              qz,
              z,
              p,
              ineq: { s, lam, rz, hInv, h, gz },
              eq: eq ? { ry, bInv: bInv!, b: b!, nu: nu! } : null,
              u,
              level,
            });
            const want = [rx, rz, ...(eq ? [ry] : []), stats];
            const what = `shared ${shared} eq ${eq} level ${withLevel} ${dtype} wasm ${wasm}`;
            assert.is(got.length, want.length, what);
            got.forEach((g, i) =>
              sameBits(g.dataSync(), want[i].dataSync(), `${what} output ${i}`),
            );
            // the tensor-op form
            const ins = eq
              ? [Q, G, A!, z, p, s, lam, h, nu!, b!, hInv, bInv!]
              : [Q, G, z, p, s, lam, h, hInv];
            if (level) ins.push(level);
            const ops = residualStatsOp.decompose!(ins, {
              eq,
              level: withLevel,
            });
            const tol = dtype === f64 ? 1e-12 : 1e-4;
            ops.forEach((o, i) =>
              close(
                Array.from(o.dataSync()),
                Array.from(got[i].dataSync()),
                tol,
                `${what} decompose ${i}`,
              ),
            );
          }
  });
  // its inputs are checked
  const [Q, G] = [randn([4, 4], { dtype: f64 }), randn([5, 4], { dtype: f64 })];
  const [z, p, s, lam, h] = [
    randn([2, 4], { dtype: f64 }),
    randn([2, 4], { dtype: f64 }),
    randn([2, 5], { dtype: f64 }),
    randn([2, 5], { dtype: f64 }),
    randn([2, 5], { dtype: f64 }),
  ];
  assert.throws(
    () =>
      residualsWithStats(
        Q,
        G,
        null,
        z,
        p,
        s,
        lam,
        h,
        null,
        null,
        randn([2, 4], { dtype: f64 }),
        null,
        null,
      ),
    /qpResidualStats2: hInv must be shaped and typed as h; got float64\[2, 4\]/,
  );
  assert.throws(
    () =>
      residualsWithStats(
        Q,
        G,
        null,
        z,
        p,
        s,
        lam,
        h,
        null,
        null,
        h,
        null,
        randn([3, 1], { dtype: f64 }),
      ),
    /level \[2, 1\] of float64/,
  );
});

test('qpShiftPositive gives its tensor-op form bit for bit: rows shifted and not, a NaN row, −0, float32 and float64', () => {
  for (const dtype of [f64, 'float32'] as const) {
    const rows = [
      [0.5, -2, 3.25], // shifted by 3
      [1, 2, 0.1], // not: min > 0 (a < 0), + 0
      [-0, 4, 5], // a = 0: shifted by 1
      [-0, 0.3, 7], // −0 + 1
      [NaN, 1, 2], // NaN kept
      [1e-9, -1e-9, 1e20], // rounding of a + 1 and of the sums
    ];
    const x = tensor(rows, { dtype });
    const got = shiftPositive(x).dataSync();
    const want = shiftPositiveOp.decompose!([x], {})[0].dataSync();
    sameBits(got, want, `qpShiftPositive ${dtype}`);
    // rows shifted reach 1 at their minimum; a positive row stays
    assert.is(got[1], 1, `${dtype}: −2 + 3`);
    assert.is(got[9], 1, `${dtype}: −0 + 1`);
    assert.is(got[5], dtype === f64 ? 0.1 : Math.fround(0.1), `${dtype}: kept`);
  }
  assert.throws(
    () => shiftPositive(tensor([1, 2], { dtype: f64 })),
    /qpShiftPositive: x must be float \[nBatch, m\]/,
  );
});

test("the solver's ops declared fillsOutputs write every element: a solve whose ops get NaN-filled output memory gives the bits of a solve with zeroed memory (with and without equalities, WebAssembly and JS)", async () => {
  // The CPU backend hands an op that declares fillsOutputs recycled memory
  // as it is: here NaN in every element, whatever the pool holds.
  const proto = CpuBackend.prototype as unknown as {
    allocate: (dtype: string, size: number, zero?: boolean) => Float64Array;
  };
  const allocate = proto.allocate;
  for (const nEq of [0, 4])
    for (const wasm of [true, false]) {
      const was = setWasmKernels(wasm);
      try {
        const d = randomQp({
          nBatch: 16,
          nz: 8,
          nIneq: 8,
          nEq,
          dtype: f64,
          seed: 70 + nEq,
        });
        const run = async () => {
          const r = await solveQp(d.Q, d.p, d.G, d.h, d.A, d.b);
          return [r.z, r.lam, r.s, r.nu].map((t) => Array.from(t.dataSync()));
        };
        const want = await run();
        let poisoned = 0;
        proto.allocate = function (dtype, size, zero = true) {
          const a = allocate.call(this, dtype, size, zero);
          if (!zero && a instanceof Float64Array) {
            a.fill(NaN);
            poisoned++;
          }
          return a;
        };
        let got: number[][];
        try {
          got = await run();
        } finally {
          proto.allocate = allocate;
        }
        assert.ok(
          poisoned > 50,
          `nEq ${nEq} wasm ${wasm}: ${poisoned} outputs poisoned`,
        );
        got.forEach((g, i) =>
          sameBits(g, want[i], `nEq ${nEq} wasm ${wasm} output ${i}`),
        );
      } finally {
        setWasmKernels(was);
      }
    }
});

test("qpRefinedSolveRx (a solve, its Newton residual against (s_t, lam_t), the correction) gives its ops' bits: per-item and shared matrices, odd and even batches, WebAssembly and JS; float64 only", () => {
  withEachKernelSet((wasm) => {
    for (const shared of [false, true])
      for (const nBatch of [5, 6]) {
        const [n, m] = [7, 9];
        const d = dualSample(shared ? 81 : 82, nBatch, n, m, shared);
        const rng = makeRng(83);
        const lead = shared ? [] : [nBatch];
        const x = randn([...lead, n, n], { rng, dtype: f64 });
        const Q = matmul(x, x, { transB: true }).add(eye(n, { dtype: f64 }));
        const pos = () => rand([nBatch, m], { rng, dtype: f64 }).add(0.1);
        // [lq, wG, G, ls, t→rx, zPart→rc, rc→(unused), lam, sOverLam, inactive, rz]
        const ins = [
          d[0],
          d[1],
          d[2],
          d[3],
          Q,
          d[4],
          d[5],
          d[7],
          d[8],
          d[9],
          d[10],
          pos(),
          pos(),
        ];
        const got = refinedSolveRx(...ins).map(arr);
        const want = refinedSolveOp.decompose!(ins, {}).map(arr);
        got.forEach((g, i) =>
          sameBits(
            g,
            want[i],
            `shared ${shared} nBatch ${nBatch} wasm ${wasm} output ${i}`,
          ),
        );
      }
  });
  const d = dualSample(84, 3, 4, 5, false);
  const Q = eye(4, { dtype: f64 });
  const ins = [
    d[0],
    d[1],
    d[2],
    d[3],
    Q,
    d[4],
    d[5],
    d[7],
    d[8],
    d[9],
    d[10],
    d[7],
    d[7],
  ];
  assert.throws(
    () =>
      refinedSolveRx(
        ...ins.map((t, i) => (i === 11 ? t.slice([{ start: 0, stop: 2 }]) : t)),
      ),
    /qpRefinedSolveRx: takes lq, wG, G, ls, Q, rx, rc, lam, sOverLam, inactive, rz, sT, lamT/,
  );
});

test('qpDualSolve solves the reduced Newton system: S·dlam = r1, L_Qᵀ(−dz) = t + W_G·dlam, and ds by row', () => {
  const [lq, wG, G, ls, t, zPart, rc, lam, sOverLam, inactive, rz] = dualSample(
    8,
    3,
    4,
    5,
    false,
  );
  const [dz, dlam, ds] = dualSolve(
    lq,
    wG,
    G,
    ls,
    t,
    zPart,
    rc,
    lam,
    sOverLam,
    inactive,
    rz,
  );
  const S = matmul(ls, ls, { transB: true });
  const r1 = zPart.sub(rc.div(lam));
  close(
    arr(matmul(S, dlam.unsqueeze(-1)).squeeze(-1)),
    arr(r1),
    1e-12,
    'S·dlam = r1',
  );
  const lhs = matmul(lq, dz.neg().unsqueeze(-1), { transA: true }).squeeze(-1);
  close(
    arr(lhs),
    arr(t.add(matmul(wG, dlam.unsqueeze(-1)).squeeze(-1))),
    1e-12,
    'L_Qᵀ(−dz) = t + W_G dlam',
  );
  const gdz = matmul(G, dz.unsqueeze(-1)).squeeze(-1);
  const ina = Array.from(inactive.dataSync());
  const row = arr(rz.add(gdz).neg());
  const comp = arr(rc.div(lam).add(sOverLam.mul(dlam)).neg());
  close(
    arr(ds),
    ina.map((v, i) => (v ? row[i] : comp[i])),
    1e-12,
    'ds by row',
  );
});

test('qpShiftedCholesky equals regularizedCholesky(addDiagonal(K, d), unit): shared and per-item K, float64 and float32, WebAssembly and JS', () => {
  const rng = makeRng(12);
  const boosts = [0, 1e3, 1e6];
  withEachKernelSet((wasm) => {
    for (const lead of [[], [5]]) {
      const x = randn([...lead, 8, 8], { rng, dtype: f64 });
      const k = matmul(x, x, { transB: true });
      // Item 2's shift makes S indefinite (needs the 1e3 boost).
      const d = rand([5, 8], { rng, dtype: f64 })
        .add(0.01)
        .mul(tensor([[1], [1], [-1e3], [1], [1]], { dtype: f64 }));
      const unit = full([5, 1], 10, { dtype: f64 });
      for (const dtype of [f64, 'float32' as const]) {
        const [kc, dc, uc] = [k, d, unit].map((t) => t.cast(dtype));
        const [l, level] = shiftedCholesky(kc, dc, uc, boosts);
        const [wl, wlevel] = regularizedCholesky(
          kc.addDiagonal(dc),
          uc,
          boosts,
        );
        const what = `${dtype} K${JSON.stringify(lead)} wasm ${wasm}`;
        close(arr(l), arr(wl), dtype === f64 ? 1e-14 : 1e-5, what);
        assert.equal(arr(level), arr(wlevel), `${what}: levels`);
        assert.equal(arr(level)[2], 1, `${what}: item 2 boosted once`);
      }
    }
  });
});

test('qpShiftedCholesky never throws: an item that breaks down gets level −1 and L = I, a NaN too, alone', () => {
  const k = eye(4, { dtype: f64 });
  const d = tensor(
    [
      [1, 1, 1, 1],
      [1, 1, -3, 1],
      [1, NaN, 1, 1],
    ],
    { dtype: f64 },
  );
  const unit = full([3, 1], 1, { dtype: f64 });
  withEachKernelSet((wasm) => {
    const [l, level] = shiftedCholesky(k, d, unit, [0, 1]);
    assert.equal(arr(level), [0, -1, -1], `levels (wasm ${wasm})`);
    const ls = l.arraySync() as number[][][];
    assert.equal(ls[1], eye(4).arraySync(), 'item 1: the identity');
    assert.equal(ls[2], eye(4).arraySync(), 'item 2: the identity');
    close(
      ls[0].flat(),
      Array(16)
        .fill(0)
        .map((_, i) => (i % 5 === 0 ? Math.SQRT2 : 0)),
      1e-15,
      'item 0',
    );
  });
});

test('qpShiftedCholesky with `active`: the active items bit for bit as without it, the others L = I and level 0; WebAssembly, JS and the decomposition', () => {
  const rng = makeRng(13);
  const boosts = [0, 1e3];
  // Item 3 holds a NaN: left out, it must not send the others to the JS path.
  const d = rand([6, 7], { rng, dtype: f64 }).add(0.01);
  const dd = d.dataSync().slice();
  dd[3 * 7 + 2] = NaN;
  const dn = tensor(dd, { shape: [6, 7] });
  const unit = full([6, 1], 1e-3, { dtype: f64 });
  for (const pattern of [
    [true, false, true, false, true, false],
    [false, false, false, false, false, false],
    [true, true, true, false, true, true],
  ]) {
    const active = tensor(pattern.map((a) => [a]));
    for (const lead of [[], [6]]) {
      const x = randn([...lead, 7, 7], { rng, dtype: f64 });
      const k = matmul(x, x, { transB: true });
      const what = `K${JSON.stringify(lead)} active ${pattern.map(Number).join('')}`;
      const runs: number[][] = [];
      withEachKernelSet((wasm) => {
        const [l, level] = shiftedCholesky(k, dn, unit, boosts, active);
        const [lAll, levelAll] = shiftedCholesky(k, dn, unit, boosts);
        const ls = l.arraySync() as number[][][];
        const all = lAll.arraySync() as number[][][];
        const lv = arr(level);
        pattern.forEach((on, t) => {
          if (on) {
            assert.equal(ls[t], all[t], `${what} wasm ${wasm}: item ${t}`);
            assert.is(lv[t], arr(levelAll)[t]);
          } else {
            assert.equal(ls[t], eye(7).arraySync(), `${what}: item ${t} = I`);
            assert.is(lv[t], 0, `${what}: item ${t} level 0`);
          }
        });
        runs.push([...arr(l), ...lv]);
        // The tensor-op form (other backends) agrees.
        const [dl, dlevel] = shiftedCholeskyOp.decompose!(
          [k, dn, unit, active],
          { boosts },
        );
        close(arr(dl), arr(l), 1e-14, `${what}: decomposition`);
        assert.equal(arr(dlevel), lv, `${what}: decomposition's levels`);
      });
      close(runs[0], runs[1], 1e-13, `${what}: WebAssembly ≈ JS`);
    }
  }
});

test('qpShiftedCholesky with `active`, on its fallback path: what later kernels read of L (its mirror) is L', () => {
  const rng = makeRng(15);
  const x = randn([6, 5, 5], { rng, dtype: f64 });
  const k = matmul(x, x, { transB: true });
  const dd = rand([6, 5], { rng, dtype: f64 }).add(0.01).dataSync().slice();
  dd[0] = -1e4; // item 0, active, needs a boost: the fallback runs
  const d = tensor(dd, { shape: [6, 5] });
  const unit = full([6, 1], 1, { dtype: f64 });
  const active = tensor([[true], [false], [true], [false], [true], [true]]);
  const [l] = shiftedCholesky(k, d, unit, [0, 1e5], active);
  const b = randn([6, 5, 1], { rng, dtype: f64 });
  const direct = triangularSolve(l, b); // reads l's mirror, if it has one
  const copied = triangularSolve(l.mul(1), b); // reads a fresh copy
  sameBits(arr(direct), arr(copied), 'through the mirror and a copy');
  const ls = l.arraySync() as number[][][];
  assert.equal(ls[1], eye(5).arraySync(), 'item 1: I');
});

test('qpShiftedCholesky with `active` and a kept factor: the active items bit for bit as without it, the others the kept L and level; WebAssembly, JS (its fallback too, mirror included) and the decomposition', () => {
  const rng = makeRng(16);
  const x = randn([6, 5, 5], { rng, dtype: f64 });
  const k = matmul(x, x, { transB: true });
  const keepL = cholesky(
    matmul(x, x, { transA: true }).add(eye(5, { dtype: f64 })),
  );
  const keepLevel = tensor([[2], [1], [0], [3], [0], [1]], { dtype: f64 });
  const active = tensor([[true], [false], [true], [false], [true], [true]]);
  const pattern = arr(active.reshape([6])).map((v) => v !== 0);
  const unit = full([6, 1], 1, { dtype: f64 });
  const base = rand([6, 5], { rng, dtype: f64 }).add(0.01).dataSync();
  // As is (WebAssembly runs), and with active item 0 needing a boost (the
  // JS fallback runs, whose factorization may keep a mirror of L).
  for (const boosted of [false, true]) {
    const dd = base.slice();
    if (boosted) dd[0] = -1e4;
    const d = tensor(dd, { shape: [6, 5] });
    const what = `boosted ${boosted}`;
    withEachKernelSet((wasm) => {
      const keep = [keepL, keepLevel] as const;
      const [l, level] = shiftedCholesky(k, d, unit, [0, 1e5], active, keep);
      const [lAll, levelAll] = shiftedCholesky(k, d, unit, [0, 1e5]);
      const [ls, all, kl] = [l, lAll, keepL].map(
        (t) => t.arraySync() as number[][][],
      );
      const [lv, lvAll, klv] = [level, levelAll, keepLevel].map(arr);
      pattern.forEach((on, t) => {
        const w = `${what}, wasm ${wasm}: item ${t}`;
        assert.equal(ls[t], on ? all[t] : kl[t], w);
        assert.is(lv[t], on ? lvAll[t] : klv[t], `${w} level`);
      });
      if (boosted) assert.is(lv[0], 1, `${what}: item 0 boosted`);
      const b = randn([6, 5, 1], { rng, dtype: f64 });
      sameBits(
        arr(triangularSolve(l, b)),
        arr(triangularSolve(l.mul(1), b)),
        `${what}, wasm ${wasm}: through the mirror and a copy`,
      );
      const [dl, dlevel] = shiftedCholeskyOp.decompose!(
        [k, d, unit, active, keepL, keepLevel],
        { boosts: [0, 1e5] },
      );
      close(arr(dl), arr(l), 1e-14, `${what}: decomposition`);
      assert.equal(arr(dlevel), lv, `${what}: decomposition's levels`);
    });
  }
  assert.throws(
    () =>
      shiftedCholesky(k, full([6, 5], 1, { dtype: f64 }), unit, [0], active, [
        keepL.reshape([6, 25]),
        keepLevel,
      ]),
    /qpShiftedCholesky: the kept factor must be \[nBatch, m, m\]/,
  );
  // A kept factor without `active`, or without its levels, is an error.
  assert.throws(
    () =>
      shiftedCholesky(k, full([6, 5], 1, { dtype: f64 }), unit, [0], null, [
        keepL,
        keepLevel,
      ]),
    /qpShiftedCholesky: a kept factor is for the items `active` leaves out/,
  );
  assert.throws(
    () =>
      apply(
        shiftedCholeskyOp,
        [k, full([6, 5], 1, { dtype: f64 }), unit, active, keepL],
        { boosts: [0] },
      ),
    /qpShiftedCholesky: takes K, d and unit.*\(3, 4 or 6 inputs\); got 5/,
  );
});

test('qpShiftedCholesky writes every element of its unzeroed outputs (fillsOutputs): recycled NaN memory never shows', () => {
  const rng = makeRng(14);
  const B = 70; // the level output too is big enough to be recycled
  const x = randn([B, 5, 5], { rng, dtype: f64 });
  const k = matmul(x, x, { transB: true });
  const dd = rand([B, 5], { rng, dtype: f64 }).add(0.01).dataSync().slice();
  dd[2 * 5] = -1e4; // item 2 needs a boost (the JS path)
  const dn = tensor(dd, { shape: [B, 5] });
  const unit = full([B, 1], 1, { dtype: f64 });
  const active = tensor(Array.from({ length: B }, (_, i) => [i % 3 !== 1]));
  const easy = dn.abs(); // no boost anywhere: the WebAssembly path
  withEachKernelSet((wasm) => {
    for (const dx of [dn, easy]) {
      for (const act of [null, active]) {
        const clean = shiftedCholesky(k, dx, unit, [0, 1e5], act).map(arr);
        // NaN arrays of both outputs' sizes into the pool of recycled ones
        full([B, 5, 5], NaN, { dtype: f64 }).mul(1).dispose();
        full([B, 1], NaN, { dtype: f64 }).mul(1).dispose();
        const again = shiftedCholesky(k, dx, unit, [0, 1e5], act).map(arr);
        const what = `wasm ${wasm} boost ${dx === dn} active ${act !== null}`;
        assert.equal(again, clean, what);
        assert.ok(again.flat().every(Number.isFinite), `${what}: finite`);
      }
    }
  });
});

test('qpOuterPair equals its matmul form, k·(x1 ⊗ y1 + x2 ⊗ y2) per item, float64 (same bits, WebAssembly and JS, small and large) and float32, and names itself in shape errors', () => {
  const rng = makeRng(17);
  // r = 2 only the one-row tail, 7 a block of four rows and a tail of
  // three; c odd and even (the two-lane loop's last column)
  withEachKernelSet((wasm) => {
    for (const r of [2, 7])
      for (const c of [5, 6])
        for (const dtype of [f64, 'float32'] as const) {
          const [x1, x2] = [0, 1].map(() => randn([3, r], { rng, dtype }));
          const [y1, y2] = [0, 1].map(() => randn([3, c], { rng, dtype }));
          const got = outerPair(x1, y1, x2, y2, -0.5);
          assert.equal(got.shape, [3, r, c]);
          const want = outerPairOp.decompose!([x1, y1, x2, y2], {
            k: -0.5,
          })[0];
          const what = `${dtype} r ${r} c ${c} wasm ${wasm}`;
          if (dtype === f64) sameBits(arr(got), arr(want), what);
          else close(arr(got), arr(want), 1e-6, what);
        }
  });
  // [3, 150, 150] float64 (540 KB): the JS loop whatever the kernels
  const [x1, x2] = [0, 1].map(() => randn([3, 150], { rng, dtype: f64 }));
  const [y1, y2] = [0, 1].map(() => randn([3, 150], { rng, dtype: f64 }));
  sameBits(
    arr(outerPair(x1, y1, x2, y2, 2)),
    arr(outerPairOp.decompose!([x1, y1, x2, y2], { k: 2 })[0]),
    'large',
  );
  for (const dtype of [f64, 'float32'] as const) {
    const [x1, x2] = [0, 1].map(() => randn([3, 4], { rng, dtype }));
    const [y1, y2] = [0, 1].map(() => randn([3, 5], { rng, dtype }));
    const got = outerPair(x1, y1, x2, y2, -0.5);
    // By hand: item 1, entry (2, 3).
    const [a, b, c, d] = [x1, y1, x2, y2].map(
      (t) => t.arraySync() as number[][],
    );
    const e = (got.arraySync() as number[][][])[1][2][3];
    const byHand = -0.5 * (a[1][2] * b[1][3] + c[1][2] * d[1][3]);
    assert.ok(
      Math.abs(e - byHand) <= 1e-6 * Math.abs(byHand),
      `${dtype}: by hand`,
    );
  }
  const v = (r: number, c: number) => zeros([r, c], { dtype: f64 });
  assert.throws(
    () => outerPair(v(3, 4), v(3, 5), v(3, 2), v(3, 5), 1),
    /qpOuterPair: x1, x2 must be \[nBatch, r\]/,
  );
});

test('shape and dtype errors name the op', () => {
  const a = tensor([[1, 2]], { dtype: f64 });
  const b = tensor([[1, 2, 3]], { dtype: f64 });
  assert.throws(
    () => stepLength(a, a, a, b, { scale: 1, capGap: false }),
    /qpStepLength: s, lam, ds, dlam must share/,
  );
  assert.throws(
    () => centering(a, a, a, a.cast('float32')),
    /qpCentering: inputs must share a float dtype/,
  );
  const ins = dualSample(9, 2, 3, 4, false);
  const bad = [...ins];
  bad[3] = ins[3].slice([{ start: 0, stop: 1 }]); // L_S for one item of two
  assert.throws(
    () => dualSolve(...(bad as Parameters<typeof dualSolve>)),
    /qpDualSolve: inputs must be lq .* got .*ls\[1, 4, 4\]/,
  );
  assert.throws(
    () =>
      predictCorrect(
        ...((ins.slice(0, 10) as Parameters<typeof predictCorrect>).map(
          (t, i) => (i === 4 ? t!.slice([{ start: 0, stop: 1 }]) : t),
        ) as Parameters<typeof predictCorrect>),
      ),
    /qpPredictCorrect: inputs must be/,
  );
  const bad32 = [...ins];
  bad32[0] = ins[0].cast('float32');
  assert.throws(
    () => dualSolve(...(bad32 as Parameters<typeof dualSolve>)),
    /qpDualSolve: inputs must share one float dtype/,
  );
});

test('a backend without the fused kernels solves the same QPs (the tensor-op forms run)', async () => {
  class Plain extends CpuBackend {
    hasKernel(op: KernelOp<unknown>): boolean {
      return ![
        'qpStepLength',
        'qpCentering',
        'qpResidualStats',
        'qpMove',
        'qpSlackStep',
        'qpDualSolve',
        'qpShiftedCholesky',
        'qpPredictCorrect',
        'qpFactorStep',
        'qpOuterPair',
        'qpPredictCorrectEq',
        'qpResiduals',
        'qpPolishSystem',
        'qpPolishUpdate',
      ].includes(op.name);
    }
  }
  // With equalities (the step kernels) and without (qpDualSolve too).
  for (const nEq of [2, 0]) {
    const d = randomQp({
      nBatch: 4,
      nz: 6,
      nIneq: 8,
      nEq,
      dtype: f64,
      seed: 5,
    });
    const fused = await solveQp(d.Q, d.p, d.G, d.h, d.A, d.b);
    const prev = getBackend();
    const plain = new Plain();
    setBackend(plain);
    try {
      const move = (t: Tensor | null) =>
        t === null
          ? null
          : tensor(Array.from(t.dataSync() as Float64Array), {
              dtype: f64,
            }).reshape(t.shape);
      const r = await solveQp(
        move(d.Q)!,
        move(d.p)!,
        move(d.G),
        move(d.h),
        move(d.A),
        move(d.b),
      );
      assert.equal(r.status, fused.status);
      assert.equal(r.polished, fused.polished);
      close(arr(r.z), arr(fused.z), 1e-9, `z (nEq ${nEq})`);
    } finally {
      setBackend(prev);
    }
  }
});

test('solveQp on inputs that require grad records no graph (its z is not differentiable)', async () => {
  const d = randomQp({
    nBatch: 2,
    nz: 4,
    nIneq: 5,
    nEq: 0,
    dtype: f64,
    seed: 6,
  });
  d.Q.requiresGrad = true;
  d.p.requiresGrad = true;
  const r = await solveQp(d.Q, d.p, d.G, d.h);
  assert.is(r.z.node, null);
  assert.is(r.status.join(), 'solved,solved');
});

test.run();
