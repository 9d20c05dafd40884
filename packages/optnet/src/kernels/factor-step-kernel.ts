/**
 * A dual-reduction iteration in one fused op: the factorization of
 * S = K + diag(d) (qpShiftedCholesky) and the Mehrotra direction with it
 * (qpPredictCorrect, or qpPredictCorrectEq with equalities), so that L_S never leaves the
 * WebAssembly memory: a window of factors is made in one slot and the
 * directions read them there. Apart, the factorization copied L_S out to
 * a new tensor (a [nBatch, m, m] array, 10 MB at the bench's nz 100,
 * which nothing else reads: an iteration needs no factor after its
 * direction); at nz 100, where the iteration is bound by memory traffic,
 * that was about 5% of the forward. The items go in windows of WINDOW
 * bytes of factors, each window factored and then its directions taken,
 * all in one slot: the factors are read back while in cache and never
 * written out to memory (qpFactorStep at nz 50 −15-25%, at nz 100
 * −5-10%; an earlier try, with a slot per item, had measured slower).
 *
 * The same WebAssembly functions run on the same operands in the same
 * order, so the results are those of the two ops, to the bit. Where the
 * WebAssembly kernels are missing, the data is float32, memory cannot be
 * had, or an item's factorization needs a boost (or meets a NaN), the two
 * ops' CPU kernels run one after the other instead (their fallbacks
 * included), which is also the `decompose`.
 *
 * With `single` (an rc input after rz) it takes one Newton solve for that
 * rc instead of the direction (the direction ops' single mode): the
 * solver's starting point, whose factor nothing keeps either.
 *
 * Items where the optional last input `active` is false may be left out,
 * as by the two ops: in WebAssembly their direction is 0 (the JS loops
 * compute it, with L_S = I) and their level is 0.
 *
 * The op also makes the ratios d = s/lam and the inactive rows
 * (d > gDiag, the diagonal of G Q⁻¹ Gᵀ) that both take, where a solver
 * iteration made them with two tensor ops (the same values): in
 * WebAssembly from the s and lam it copies in (qpSlackRatio,
 * step-move-wat.ts), or in one JS loop for single mode and the fallback.
 * With `move` it takes the step too (qpStepMove): the step length and
 * the next iterate, as qpStepLength and qpMove make them.
 *
 * Glossary: n = nz, m = nIneq, q = nEq; K [·, m, m] (Kgg − VᵀV),
 * gDiag [·, m], unit [nBatch, 1] (see shifted-cholesky-kernel.ts); L_Q,
 * W_G, G, rx, s, lam, rz as in dual-solve-kernel.ts; L_R, V, W_A, ry as in
 * predict-correct-eq-kernel.ts.
 */
import {
  allocArray,
  apply,
  defineOp,
  ShapeError,
  shapesEqual,
  type CpuTensor,
  type KernelOp,
  type Tensor,
  type TensorMeta,
} from '@optnet/tensor';
import {
  inChunks,
  operand,
  registerWasmKernels,
  wasmKernels,
  type WasmKernels,
} from '@optnet/tensor/wasm';
import {
  activeRuns,
  mapsOf,
  scaledCopy,
  splitActive,
  type Data,
} from './fused-common.js';
import { move, moveOp, stepLength, stepLengthOp } from './step-kernels.js';
import { stepMoveWat } from './step-move-wat.js';
import { dualSolveWat, pcWork, predictCorrectOp } from './dual-solve-kernel.js';
import {
  predictCorrectEqOp,
  predictCorrectEqWat,
  workLength,
} from './predict-correct-eq-kernel.js';
import {
  shiftedCholesky,
  shiftedCholeskyOp,
} from './shifted-cholesky-kernel.js';

export interface FactorStepAttrs {
  /** S's regularization per try (shifted-cholesky-kernel.ts). */
  readonly boosts: readonly number[];
  /** With equalities: qpPredictCorrectEq's inputs and outputs. */
  readonly eq: boolean;
  /**
   * One Newton solve for a given rc (an input after rz) instead of a
   * Mehrotra direction: the direction ops' single mode (the solver's
   * starting point, whose factor nothing else needs either).
   */
  readonly single?: boolean;
  /**
   * Take the step too (not with `single`): with the iterate's z, s, lam
   * (and nu with equalities) as inputs after rz, the op also runs
   * qpStepLength (this `move` as its scale, capGap on; from the s, lam it
   * factors) and qpMove (items left out or broken down stay), and returns
   * the next z, s, lam (nu), level instead of the direction.
   */
  readonly move?: number;
}

/** The op's inputs (without equalities). */
const NAMES = [
  'K',
  'gDiag',
  'unit',
  'lq',
  'wG',
  'G',
  'rx',
  's',
  'lam',
  'rz',
] as const;
const NAMES_EQ = [
  ...NAMES.slice(0, 6),
  'lr',
  'v',
  'wA',
  'rx',
  'ry',
  ...NAMES.slice(7),
] as const;

/**
 * Bytes of factors per window (see the file comment): one item at nz 100
 * (80 KB), five at nz 50, the whole batch of 128 at nz 10. Measured at
 * nz 50 (qpFactorStep's ten calls, ms): one item a window 14.8, four
 * 12.5, thirteen 13.2, 32 14.1, all 128 16.8; later, alternating, five
 * 12.1 and 12.5 against four 11.8 and 12.6.
 */
const WINDOW = 100 << 10;

/** How many inputs the op takes, before `active` (and rc, when single). */
const countOf = (eq: boolean): number => (eq ? 14 : 10);

/** The iterate's inputs with `move`: z, s, lam (and nu). */
const moveCount = (eq: boolean): number => (eq ? 4 : 3);

/** How many inputs a call with these attributes takes, before `active`. */
const inputCount = ({ eq, single, move }: FactorStepAttrs): number =>
  countOf(eq) +
  (single === true ? 1 : 0) +
  (move !== undefined ? moveCount(eq) : 0);

/**
 * The direction's part of the given inputs: with rc (single mode: the
 * input after them) in s's place, where the direction op's single mode
 * takes it.
 */
function withRc<T>(given: readonly T[], attrs: FactorStepAttrs): T[] {
  const base = given.slice(0, countOf(attrs.eq));
  if (attrs.single === true) base[slamAt(attrs.eq)[0]] = given[base.length];
  return base;
}

/** With `move`: the iterate's z, s, lam and nu (null without equalities). */
function iterateOf<T>(given: readonly T[], eq: boolean): [T, T, T, T | null] {
  const [z, s, lam, nu] = given.slice(countOf(eq), countOf(eq) + 4);
  return [z, s, lam, eq ? nu : null];
}

/**
 * The inputs as the kernels take them: d = s/lam in gDiag's place and
 * inactive (d > gDiag) before rz.
 */
function internal<T>(ins: readonly T[], eq: boolean, d: T, inactive: T): T[] {
  const sAt = eq ? 11 : 7;
  return [ins[0], d, ...ins.slice(2, sAt + 2), inactive, ins[sAt + 2]];
}

/** The positions of s and lam among the op's inputs. */
const slamAt = (eq: boolean): [number, number] => (eq ? [11, 12] : [7, 8]);

/**
 * The direction op's inputs from this op's: L_S after G, and d (s/lam) in
 * sOverLam's place, before inactive and rz.
 */
function directionIns<T>(ins: readonly T[], l: T, eq: boolean): T[] {
  const d = ins[1];
  const mats = ins.slice(3, eq ? 9 : 6);
  const vecs = ins.slice(eq ? 9 : 6);
  return [
    ...mats.slice(0, 3),
    l,
    ...mats.slice(3),
    ...vecs.slice(0, -2),
    d,
    ...vecs.slice(-2),
  ];
}

function factorStepShape(
  all: readonly TensorMeta[],
  attrs: FactorStepAttrs,
): TensorMeta[] {
  const { eq } = attrs;
  const count = inputCount(attrs);
  if (all.length !== count && all.length !== count + 1) {
    const names = [
      ...(eq ? NAMES_EQ : NAMES),
      ...(attrs.single === true ? ['rc'] : []),
      ...(attrs.move !== undefined
        ? ['z', 's', 'lam', ...(eq ? ['nu'] : [])]
        : []),
    ];
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `qpFactorStep: takes ${count} inputs (${names.join(', ')}) and active, optional; got ${all.length}. Call it through factorStep(), which orders them.`,
    );
  }
  const [sAt] = slamAt(eq);
  const s = all[sAt];
  const [nBatch, m] = s.shape;
  const gDiag = all[1];
  const shared = shapesEqual(gDiag.shape, [m]);
  if (
    (!shared && !shapesEqual(gDiag.shape, [nBatch, m])) ||
    gDiag.dtype !== s.dtype
  ) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `qpFactorStep: gDiag must be [m] or [nBatch, m] = [${nBatch}, ${m}] of s's dtype ${s.dtype}; got ${gDiag.dtype}[${gDiag.shape.join(', ')}]. Pass the diagonal of G Q⁻¹ Gᵀ.`,
    );
  }
  const [core, active] = splitActive('qpFactorStep', all, count, nBatch);
  const rc = core[countOf(eq)];
  if (attrs.single === true && attrs.move !== undefined) {
    throw new ShapeError(
      'BAD_ARGUMENT',
      `qpFactorStep: single (one solve) and move (a step along the direction) exclude each other; got both. Take the step with the direction only.`,
    );
  }
  if (
    attrs.single === true &&
    (!shapesEqual(rc.shape, s.shape) || rc.dtype !== s.dtype)
  ) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `qpFactorStep: rc must be shaped and typed as s, ${s.dtype}[${s.shape.join(', ')}]; got ${rc.dtype}[${rc.shape.join(', ')}].`,
    );
  }
  const d = { shape: s.shape, dtype: s.dtype };
  const inactive = { shape: s.shape, dtype: 'bool' as const };
  const ins = internal(withRc(core, attrs), eq, d, inactive);
  const tail = active === null ? [] : [active];
  const [l] = shiftedCholeskyOp.shape([...ins.slice(0, 3), ...tail], {
    boosts: [0],
  });
  const dir = [...directionIns(ins, l, eq), ...tail];
  const single = { single: attrs.single };
  const outs = eq
    ? predictCorrectEqOp.shape(dir, single)
    : predictCorrectOp.shape(dir, single);
  if (attrs.move !== undefined) {
    // the iterate, shaped as the direction (z as dz, s and lam as ds, nu
    // as dnu)
    const [z, s0, lam0, nu] = iterateOf(core, eq);
    const like = eq
      ? [outs[0], outs[2], outs[2], outs[3]]
      : [outs[0], outs[2], outs[2]];
    const got = nu === null ? [z, s0, lam0] : [z, s0, lam0, nu];
    got.forEach((t, i) => {
      if (!shapesEqual(t.shape, like[i].shape) || t.dtype !== s.dtype) {
        throw new ShapeError(
          'SHAPE_MISMATCH',
          `qpFactorStep: the iterate (z, s, lam${eq ? ', nu' : ''}) must be ${like.map((o) => `[${o.shape.join(', ')}]`).join(', ')} of ${s.dtype}; got ${got.map((o) => `${o.dtype}[${o.shape.join(', ')}]`).join(', ')}.`,
        );
      }
    });
  }
  return [...outs, { shape: [nBatch, 1], dtype: s.dtype }];
}

/**
 * d = s/lam and inactive = d > gDiag (gDiag per item or shared), as the
 * tensor ops div and greater make them.
 */
function slackRatio(
  s: CpuTensor,
  lam: CpuTensor,
  gDiag: CpuTensor,
): [CpuTensor, CpuTensor] {
  const [nBatch, m] = s.shape;
  const S = s.data;
  const L = lam.data;
  const g = gDiag.data;
  const step = gDiag.shape.length === 2 ? m : 0;
  const d = allocArray(s.dtype, nBatch * m);
  const ina = new Uint8Array(nBatch * m);
  for (let b = 0; b < nBatch; b++)
    for (let i = 0; i < m; i++) {
      const k = b * m + i;
      d[k] = S[k] / L[k];
      ina[k] = d[k] > g[b * step + i] ? 1 : 0;
    }
  return [
    { data: d, shape: s.shape, dtype: s.dtype },
    { data: ina, shape: s.shape, dtype: 'bool' },
  ];
}

/**
 * fusedWasm's d = s/lam and inactive made in WebAssembly (qpSlackRatio):
 * `lazy` the two placeholders standing for them among the inputs (no
 * data), s and lam the inputs they come from (among the direction's
 * vectors), gDiag the rows' threshold.
 */
interface Slack {
  readonly lazy: readonly [CpuTensor, CpuTensor];
  readonly s: CpuTensor;
  readonly lam: CpuTensor;
  readonly gDiag: CpuTensor;
}

/** With `move`: the iterate the step starts from, and the step's scale. */
interface StepIns {
  readonly z: CpuTensor;
  readonly s: CpuTensor;
  readonly lam: CpuTensor;
  readonly nu: CpuTensor | null;
  readonly scale: number;
}

/** The iterate in the outputs' order (z, s, lam, nu). */
function stepGiven(step: StepIns, eq: boolean): CpuTensor[] {
  return eq ? [step.z, step.s, step.lam, step.nu!] : [step.z, step.s, step.lam];
}

/** Addresses of a chunk's vectors in WebAssembly memory (fusedWasm). */
interface ChunkArgs {
  /** The direction's inputs (rx, [ry,] s, lam, d, inactive, rz). */
  readonly vecArgs: readonly number[];
  /** The direction (dz, dlam, ds[, dnu]). */
  readonly outArgs: readonly number[];
  /** The iterate (z, s, lam[, nu]). */
  readonly stepArgs: readonly number[];
  /** The next iterate (z, s, lam[, nu]). */
  readonly nextArgs: readonly number[];
}

/**
 * qpStepMove (step-move-wat.ts) on `count` items from the chunk's item
 * `o`, whose directions were just made.
 */
function stepWindow(
  wk: WasmKernels,
  step: StepIns,
  eq: boolean,
  [n, m, q]: readonly number[],
  o: number,
  count: number,
  a: ChunkArgs,
): void {
  const sAt = eq ? 2 : 1;
  const [nb, mb, qb] = [n * 8 * o, m * 8 * o, q * 8 * o];
  const [dz, dlam, ds] = a.outArgs;
  const [z, s0, lam0] = a.stepArgs;
  const [zo, so, lamo] = a.nextArgs;
  const nu = eq
    ? [a.stepArgs[3] + qb, a.outArgs[3] + qb, a.nextArgs[3] + qb]
    : [0, 0, 0];
  wk.fn.qpStepMove(
    a.vecArgs[sAt] + mb,
    a.vecArgs[sAt + 1] + mb,
    ds + mb,
    dlam + mb,
    z + nb,
    dz + nb,
    s0 + mb,
    lam0 + mb,
    nu[0],
    nu[1],
    zo + nb,
    so + mb,
    lamo + mb,
    nu[2],
    n,
    m,
    eq ? q : 0,
    count,
    step.scale,
  );
}

/**
 * Both in WebAssembly, chunk by chunk of items (one chunk at the paper's
 * sizes); false (outputs not final) where an active item's factorization
 * fails at boost 0 or memory cannot be had.
 */
function fusedWasm(
  wk: WasmKernels,
  ins: readonly CpuTensor[],
  outs: readonly CpuTensor[],
  unit0: Float64Array,
  active: ArrayLike<number> | null,
  eq: boolean,
  single: boolean,
  step: StepIns | null,
  slack: Slack | null,
): boolean {
  const [k, d] = ins;
  const [nBatch, m] = d.shape;
  const rx = ins[eq ? 9 : 6];
  const n = rx.shape[1];
  const q = eq ? ins[10].shape[1] : 0;
  const mm = m * m;
  const [per, shared] = mapsOf(nBatch);
  const mapOf = (t: CpuTensor) => (t.shape.length === 3 ? per : shared);
  // The direction's matrices (L_S's place, after G, is the factor's slot)
  // and vectors, with their sizes per item; its outputs' lengths.
  const matSizes = eq
    ? [n * n, n * m, m * n, q * q, q * m, n * q]
    : [n * n, n * m, m * n];
  const mats = ins.slice(3, 3 + matSizes.length);
  const vecs = directionIns(ins, ins[0], eq).slice(1 + matSizes.length);
  const vecLens = vecs.map((t) => t.shape[1]);
  const outLens = eq ? [n, m, m, q] : [n, m, m];
  const work = eq ? workLength(n, m, q) : pcWork(n, m);
  const dims = eq ? [n, m, q] : [n, m];
  const fn = single
    ? eq
      ? 'qpDualSolveEq'
      : 'qpDualSolveRx'
    : eq
      ? 'qpPredictCorrectEq'
      : 'qpPredictCorrect';
  const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
  // Per item: d (with `slack`, gDiag in its place) and shift, the
  // vectors, the outputs, and the work (counted per item so that any
  // chunk has room for it); with `step`, the iterate copied in and the
  // next one's room. The window's factors have a slot of their own.
  const stepVecs = step === null ? [] : stepGiven(step, eq);
  const stepLens = stepVecs.map((t) => t.shape[1]);
  const nextLens = step === null ? [] : outLens;
  const itemDoubles =
    m + 1 + sum(vecLens) + sum(outLens) + work + sum(stepLens) + sum(nextLens);
  const window = Math.max(1, Math.floor(WINDOW / (mm * 8)));
  const perMat = mats.map((t, i) => (t.shape.length === 3 ? matSizes[i] : 1));
  const maxMat = Math.max(mm, ...perMat);
  const body = (s0: number, e0: number, at: number): boolean => {
    const c = e0 - s0;
    const kArg = operand(wk, k.data as Data, mapOf(k), s0, e0, mm);
    if (kArg[0] < 0) return false;
    const matArgs: number[] = [];
    for (let i = 0; i < mats.length; i++) {
      const t = mats[i];
      const arg = operand(wk, t.data as Data, mapOf(t), s0, e0, matSizes[i]);
      if (arg[0] < 0) return false;
      matArgs.push(...arg);
    }
    const lAt = wk.alloc(Math.min(window, c) * mm * 8);
    if (lAt < 0) return false;
    const mem = wk.f64();
    let p = at >> 3;
    const take = (len: number): number => ((p += len), (p - len) * 8);
    // d's place (with `slack`, d is made among the vectors instead)
    let dAt = slack === null ? take(c * m) : -1;
    const shAt = take(c);
    mem.set(unit0.subarray(s0, e0), shAt >> 3);
    const vecArgs = vecs.map((t, i) => {
      const len = vecLens[i];
      const a = take(c * len);
      if (slack === null || !slack.lazy.includes(t))
        mem.set(
          (t.data as Data | Uint8Array).subarray(s0 * len, e0 * len),
          a >> 3,
        );
      return a;
    });
    if (slack === null) {
      mem.set((d.data as Data).subarray(s0 * m, e0 * m), dAt >> 3);
    } else {
      // d and inactive made here from the s and lam just copied in; the
      // factorization reads this d too
      const at = (t: CpuTensor) => vecArgs[vecs.indexOf(t)];
      const g = slack.gDiag.data as Data;
      const shared = slack.gDiag.shape.length === 1;
      const gAt = take(shared ? m : c * m);
      mem.set(shared ? g : g.subarray(s0 * m, e0 * m), gAt >> 3);
      dAt = at(slack.lazy[0]);
      wk.fn.qpSlackRatio(
        at(slack.s),
        at(slack.lam),
        gAt,
        shared ? 0 : m * 8,
        dAt,
        at(slack.lazy[1]),
        m,
        c,
      );
    }
    const outArgs = outLens.map((len) => take(c * len));
    const workAt = take(work);
    const stepArgs = stepVecs.map((t, i) => {
      const len = stepLens[i];
      const a = take(c * len);
      mem.set((t.data as Data).subarray(s0 * len, e0 * len), a >> 3);
      return a;
    });
    const nextArgs = nextLens.map((len) => take(c * len));
    const lens = [...vecLens, ...outLens];
    const windows: [number, number][] = [];
    for (const [a0, b0] of activeRuns(active, s0, e0))
      for (let a = a0; a < b0; a += window)
        windows.push([a, Math.min(b0, a + window)]);
    for (const [a, b] of windows) {
      const o = a - s0;
      const kItem = kArg[0] + o * kArg[1];
      const dItem = dAt + o * m * 8;
      const fail = wk.fn.cholShiftedBatch(
        lAt,
        kItem,
        kArg[1],
        m,
        dItem,
        shAt + o * 8,
        b - a,
      );
      if (fail >= 0) return false;
      const mArgs = matArgs.map((x, i) =>
        i % 2 === 0 ? x + o * matArgs[i + 1] : x,
      );
      const vo = [...vecArgs, ...outArgs].map((x, i) => x + o * lens[i] * 8);
      const ls = [lAt, mm * 8];
      wk.fn[fn](
        ...mArgs.slice(0, 6),
        ...ls,
        ...mArgs.slice(6),
        ...vo,
        workAt,
        ...dims,
        b - a,
      );
      if (step !== null)
        stepWindow(wk, step, eq, [n, m, q], o, b - a, {
          vecArgs,
          outArgs,
          stepArgs,
          nextArgs,
        });
    }
    // The direction, or with `step` the next iterate; a left-out item's
    // direction is 0, its next iterate its own: with items left out, those
    // for the whole chunk first, then each run of computed items over them
    // (a copy a run, not one a left-out item).
    const from = step === null ? outArgs : nextArgs;
    const given = step === null ? null : stepGiven(step, eq);
    const runs = active === null ? null : activeRuns(active, s0, e0);
    outLens.forEach((len, i) => {
      const out = outs[i].data as Data;
      const o = from[i] >> 3;
      if (runs === null) {
        out.set(mem.subarray(o, o + c * len), s0 * len);
        return;
      }
      if (given === null) out.fill(0, s0 * len, e0 * len);
      else
        out.set((given[i].data as Data).subarray(s0 * len, e0 * len), s0 * len);
      for (const [a, b] of runs)
        out.set(mem.subarray(o + (a - s0) * len, o + (b - s0) * len), a * len);
    });
    return true;
  };
  return inChunks(wk, itemDoubles * 8, 0, nBatch, body, maxMat * 8);
}

export const factorStepOp: KernelOp<FactorStepAttrs> =
  defineOp<FactorStepAttrs>({
    name: 'qpFactorStep',
    shape: factorStepShape,
    cpu: (all, outs, attrs) => {
      const { eq } = attrs;
      const single = attrs.single === true;
      registerWasmKernels(eq ? predictCorrectEqWat : dualSolveWat);
      registerWasmKernels(stepMoveWat);
      const count = inputCount(attrs);
      const [sAt, lamAt] = slamAt(eq);
      const [given, active] = splitActive(
        'qpFactorStep',
        all,
        count,
        all[sAt].shape[0],
      );
      const [s, lam] = [given[sAt], given[lamAt]];
      const wk = wasmKernels();
      const b0 = attrs.boosts[0];
      const unit0 = scaledCopy(given[2].data, b0);
      const on = active === null ? null : (active.data as Uint8Array);
      const level = outs[outs.length - 1];
      let step: StepIns | null = null;
      if (attrs.move !== undefined) {
        const [z, s0, lam0, nu] = iterateOf(given, eq);
        step = { z, s: s0, lam: lam0, nu, scale: attrs.move };
      }
      if (wk !== null && s.dtype === 'float64') {
        // d and inactive made in WebAssembly from the s, lam copied in
        // (in single mode s is not among them: made here)
        const lazy: [CpuTensor, CpuTensor] = [
          { data: new Float64Array(0), shape: s.shape, dtype: s.dtype },
          { data: new Uint8Array(0), shape: s.shape, dtype: 'bool' },
        ];
        const slack = single ? null : { lazy, s, lam, gDiag: given[1] };
        const made = single ? slackRatio(s, lam, given[1]) : lazy;
        const fast = internal(withRc(given, attrs), eq, made[0], made[1]);
        if (fusedWasm(wk, fast, outs, unit0, on, eq, single, step, slack)) {
          level.data.fill(0);
          return;
        }
      }
      const [d, inactive] = slackRatio(s, lam, given[1]);
      const ins = internal(withRc(given, attrs), eq, d, inactive);
      const [k, , unit] = ins;
      // The ops, as apart: the factor into a scratch array (and with
      // `move` the direction too).
      const [nBatch, m] = d.shape;
      const l: CpuTensor = {
        data: allocArray(d.dtype, nBatch * m * m),
        shape: [nBatch, m, m],
        dtype: d.dtype,
      };
      const tail = active === null ? [] : [active];
      shiftedCholeskyOp.cpu([k, d, unit, ...tail], [l, level], attrs);
      const dir = [...directionIns(ins, l, eq), ...tail];
      const dirOuts =
        step === null
          ? outs.slice(0, -1)
          : outs.slice(0, -1).map((o) => ({
              ...o,
              data: allocArray(o.dtype, o.data.length),
            }));
      if (eq) predictCorrectEqOp.cpu(dir, dirOuts, { single });
      else predictCorrectOp.cpu(dir, dirOuts, { single });
      if (step === null) return;
      const [dz, dlam, ds] = dirOuts;
      const alpha: CpuTensor = {
        data: allocArray(d.dtype, nBatch),
        shape: [nBatch, 1],
        dtype: d.dtype,
      };
      stepLengthOp.cpu([given[sAt], given[lamAt], ds, dlam], [alpha], {
        scale: step.scale,
        capGap: true,
      });
      const pairs = [step.z, dz, step.s, ds, step.lam, dlam];
      if (step.nu !== null) pairs.push(step.nu, dirOuts[3]);
      moveOp.cpu([alpha, ...pairs, ...tail, level], outs.slice(0, -1), {
        masked: active !== null,
        leveled: true,
      });
    },
    // Every element of every output is written, on every path.
    fillsOutputs: true,
    decompose: (all, attrs) => {
      const { boosts, eq } = attrs;
      const count = inputCount(attrs);
      const given = all.slice(0, count);
      const active = all[count] ?? null;
      const [sAt, lamAt] = slamAt(eq);
      const d = given[sAt].div(given[lamAt]);
      const ins = internal(withRc(given, attrs), eq, d, d.greater(given[1]));
      const [k, , unit] = ins;
      const [l, level] = shiftedCholesky(k, d, unit, boosts, active);
      const dir = directionIns(ins, l, eq);
      const dirGiven = active === null ? dir : [...dir, active];
      const outs = apply(eq ? predictCorrectEqOp : predictCorrectOp, dirGiven, {
        single: attrs.single,
      });
      if (attrs.move === undefined) return [...outs, level];
      const [dz, dlam, ds] = outs;
      const alpha = stepLength(given[sAt], given[lamAt], ds, dlam, {
        scale: attrs.move,
        capGap: true,
      });
      const [z, s0, lam0, nu] = iterateOf(given, eq);
      const pairs: [Tensor, Tensor][] = [
        [z, dz],
        [s0, ds],
        [lam0, dlam],
      ];
      if (nu !== null) pairs.push([nu, outs[3]]);
      return [...move(alpha, pairs, active, level), level];
    },
  });

/**
 * The iterate a step starts from and its scale (factorStep's `step`): nu
 * with equalities, else null.
 */
export interface StepFrom {
  readonly z: Tensor;
  readonly s: Tensor;
  readonly lam: Tensor;
  readonly nu: Tensor | null;
  readonly scale: number;
}

/**
 * qpShiftedCholesky(K, s/lam, unit, boosts, active) and then
 * qpPredictCorrect (or, given L_R, V, W_A and ry, qpPredictCorrectEq) with
 * its factor and the rows where s/lam > gDiag taken as inactive, in one
 * op that keeps the factor in WebAssembly memory (the file comment):
 * [dz, dlam, ds, level], or [dz, dlam, ds, dnu, level] with equalities.
 * `eqBlock` is [L_R, V, W_A, ry], or null without equalities. Given `rc`,
 * one Newton solve for it instead of the direction (qpDualSolveRx, or
 * qpDualSolveEq with equalities). Given `step`, the step along the
 * direction too (qpStepLength with capGap at its scale, then qpMove):
 * [z, s, lam, level], or [z, s, lam, nu, level].
 * @example
 * const [dz, dlam, ds, level] = factorStep(kg, gDiag, unit, [lq, wG, G], null, rx, s, lam, rz, [0, 1e3]);
 */
export function factorStep(
  k: Tensor,
  gDiag: Tensor,
  unit: Tensor,
  [lq, wG, G]: readonly [Tensor, Tensor, Tensor],
  eqBlock: readonly [Tensor, Tensor, Tensor, Tensor] | null,
  rx: Tensor,
  s: Tensor,
  lam: Tensor,
  rz: Tensor,
  boosts: readonly number[],
  active: Tensor | null = null,
  rc: Tensor | null = null,
  step: StepFrom | null = null,
): Tensor[] {
  const ins =
    eqBlock === null
      ? [k, gDiag, unit, lq, wG, G, rx, s, lam, rz]
      : [
          k,
          gDiag,
          unit,
          lq,
          wG,
          G,
          ...eqBlock.slice(0, 3),
          rx,
          eqBlock[3],
          s,
          lam,
          rz,
        ];
  if (rc !== null) ins.push(rc);
  if (step !== null) {
    ins.push(step.z, step.s, step.lam);
    if (eqBlock !== null) ins.push(step.nu!);
  }
  if (active !== null) ins.push(active);
  return apply(factorStepOp, ins, {
    boosts: [...boosts],
    eq: eqBlock !== null,
    ...(rc === null ? {} : { single: true }),
    ...(step === null ? {} : { move: step.scale }),
  });
}
