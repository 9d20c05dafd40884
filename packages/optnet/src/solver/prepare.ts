/**
 * From user arguments to a solver problem: validation (reading the data
 * back once), scales, symmetrized Q, vectors expanded over the batch, and
 * the iteration-independent part of the KKT factorization.
 *
 * Glossary: Q p G h A b; nBatch nz nIneq nEq.
 */
import {
  regularizedCholesky,
  sizeOf,
  tensor,
  zeros,
  type Tensor,
} from '@optnet/tensor';
import { chooseKkt } from './kkt/choose.js';
import { preFactorKkt } from './kkt/kkt.js';
import type { KktPre, KktSetup } from './kkt/types.js';
import { subset, type Subset } from './subset.js';
import { registerQpWasm } from '../kernels/fused-kernels.js';
import { borrow, pdipm, type Problem } from './pdipm.js';
import { warmIterate } from './step.js';
import { solveWarm, WARM_SHIFT } from './warm.js';
import { unpolished, type Solved } from './polish.js';
import { solveLoose } from './loose.js';
import type { Scales } from './status.js';
import type { QpOptions } from '../api/types.js';
import {
  checkFinite,
  checkPsd,
  checkShapes,
  checkStructure,
  checkSymmetric,
  checkWarmStart,
  finiteAbsMax,
  finiteRowNorms2,
  rowNorms,
  type QpInputs,
  type QpShape,
} from '../api/validate.js';

export interface Prepared {
  readonly shape: QpShape;
  readonly prob: Problem;
  readonly pre: KktPre;
  readonly scales: Scales;
  /** What `pre` was made from (a subset of the batch is made alike). */
  readonly setup: KktSetup;
}

type Reader = Generator<Tensor, ArrayLike<number> | null, ArrayLike<number>>;

function* read(name: string, t: Tensor | null): Reader {
  if (t === null) return null;
  const data = yield borrow(t);
  checkFinite(name, t, data);
  return data;
}

/**
 * G's data and, in float64, ‖G_i‖² as a tensor of G's shape without its
 * last axis (polishing's scales), G checked finite in the same pass.
 */
function* readG(
  G: Tensor | null,
  nz: number,
): Generator<
  Tensor,
  [ArrayLike<number> | null, Tensor | null],
  ArrayLike<number>
> {
  if (G === null) return [null, null];
  const g = yield borrow(G);
  const count = sizeOf(G.shape.slice(0, -1));
  const rows = G.dtype === 'float64' ? finiteRowNorms2(g, count, nz) : null;
  if (rows === null) checkFinite('G', G, g); // throws on a non-finite entry
  const norms =
    rows === null
      ? null
      : tensor(rows, { dtype: 'float64', shape: G.shape.slice(0, -1) });
  return [g, norms];
}

/** Q's data and max |Q_ij|, Q checked finite in the same pass. */
function* readQ(
  Q: Tensor,
): Generator<Tensor, [ArrayLike<number>, number], ArrayLike<number>> {
  const q = yield borrow(Q);
  const qMax = finiteAbsMax(q);
  if (Number.isNaN(qMax)) checkFinite('Q', Q, q); // throws, naming the entry
  return [q, qMax];
}

/** Validate and set up; yields each input once to have it read back. */
export function* prepare(
  x: QpInputs,
  options: QpOptions,
): Generator<Tensor, Prepared, ArrayLike<number>> {
  const shape = checkShapes(x);
  const { nBatch, nz, nIneq, nEq } = shape;
  const [q, qMax] = yield* readQ(x.Q);
  const p = (yield* read('p', x.p))!;
  const [g, gRows2] = yield* readG(x.G, nz);
  yield* read('h', x.h);
  const a = yield* read('A', x.A);
  yield* read('b', x.b);
  checkStructure(options.structure, q, g, nz, nIneq);
  const f32 = x.Q.dtype === 'float32';
  const exact = checkSymmetric(q, nz, f32, options.checkQ !== false);
  const qSym = exact ? x.Q : x.Q.add(x.Q.transpose(-2, -1)).mul(0.5);
  // Q's Cholesky proves Q definite (so semidefinite) and, when Q is safely
  // definite, is reused by the constraint-space reduction.
  const [lqAll] = regularizedCholesky(qSym, zeros([1], { dtype: x.Q.dtype }));
  const ratio = pivotRatio(yield borrow(lqAll), q, nz);
  const lq = ratio > 0 ? lqAll : null;
  if (lq === null && options.checkQ !== false) checkPsd(q, nz, f32);
  const scales: Scales = {
    pNorm: rowNorms(p, nBatch, nz, x.p.rank === 2),
    qMax,
  };
  const expand = (v: Tensor | null, n: number): Tensor | null =>
    v === null ? null : v.rank === 1 ? v.unsqueeze(0).expand([nBatch, n]) : v;
  const hB = expand(x.h, nIneq);
  const bB = expand(x.b, nEq);
  const prob: Problem = {
    data: {
      Q: qSym,
      G: x.G,
      A: x.A,
      nBatch,
      nz,
      nIneq,
      nEq,
      dtype: x.Q.dtype,
      qDiag: options.structure?.Q === 'diagonal' ? qSym.diagonal() : null,
      gRows2,
      gBounds: options.structure?.G === 'bounds' && x.G !== null,
    },
    p: expand(x.p, nz)!,
    h: hB,
    b: bB,
    hInv: rowScale(hB),
    bInv: rowScale(bB),
    zero: zeros([nBatch, 1], { dtype: x.Q.dtype }),
  };
  const strategy = chooseKkt(options.kkt ?? 'auto', {
    nz,
    nIneq,
    nEq,
    float32: f32,
    pivotRatio: ratio,
    options,
  });
  const setup: KktSetup = {
    data: prob.data,
    scales: { qMax, ataMax: maxColumnNorm2(a, nEq, nz) },
    refine: options.refine ?? strategy.defaultRefine,
    lq,
  };
  return { shape, prob, pre: preFactorKkt(strategy, setup), scales, setup };
}

/**
 * min over items and j of L_jj² / Q_jj for Q's factor L (q symmetrized
 * or not: only its diagonal is read): how safely Q⁻¹ can be used; 0 where
 * Q is not definite. A factor that broke down is the identity
 * (regularizedCholesky), which is Q's own factor only when Q = I, so an
 * identity factor of any other Q counts as a breakdown.
 */
function pivotRatio(
  l: ArrayLike<number>,
  q: ArrayLike<number>,
  nz: number,
): number {
  const nn = nz * nz;
  let worst = Infinity;
  for (let o = 0; o < l.length; o += nn) {
    const qo = q.length === nn ? 0 : o;
    let identity = true;
    for (let k = 0; k < nn && identity; k++)
      identity = l[o + k] === (k % (nz + 1) === 0 ? 1 : 0);
    let qIsI = identity;
    for (let i = 0; i < nz && qIsI; i++)
      for (let j = 0; j <= i && qIsI; j++)
        qIsI = q[qo + i * nz + j] === (i === j ? 1 : 0);
    if (identity && !qIsI) return 0;
    for (let j = 0; j < nz; j++)
      worst = Math.min(worst, l[o + j * nz + j] ** 2 / q[qo + j * nz + j]);
  }
  return worst;
}

/** 1 / (1 + |v|), the scale of a row-relative residual. */
function rowScale(v: Tensor | null): Tensor | null {
  return v === null ? null : v.abs().add(1).reciprocal();
}

/** Largest diagonal entry of AᵀA over the batch: max_j Σᵢ A_ij². */
function maxColumnNorm2(
  a: ArrayLike<number> | null,
  nEq: number,
  nz: number,
): number {
  if (a === null) return 0;
  const items = a.length / (nEq * nz);
  let best = 0;
  for (let t = 0; t < items; t++) {
    for (let j = 0; j < nz; j++) {
      let s = 0;
      for (let i = 0; i < nEq; i++) s += a[t * nEq * nz + i * nz + j] ** 2;
      best = Math.max(best, s);
    }
  }
  return best;
}

/** Default tolerance per dtype. */
export function defaultTol(dtype: string): number {
  return dtype === 'float64' ? 1e-8 : 1e-6;
}

/** Makes a subset of the prepared batch (polishing's second guess). */
function subsetFor(prep: Prepared) {
  return (idx: readonly number[]): Subset =>
    subset(prep.prob, prep.pre, prep.setup, prep.scales, idx);
}

/**
 * Validate, run the interior-point loop, then polish (unless off): from
 * scratch, solveLoose (loose.ts); with a warm start, solveWarm (warm.ts).
 * With polishing off, iterate (from the warm start, if any) to tol.
 */
export function* solveGen(
  x: QpInputs,
  options: QpOptions,
): Generator<Tensor, [Prepared, Solved], ArrayLike<number>> {
  registerQpWasm();
  const prep = yield* prepare(x, options);
  const tol = options.tol ?? defaultTol(x.Q.dtype);
  const w =
    options.warmStart === undefined
      ? null
      : checkWarmStart(options.warmStart, prep.shape, x.Q.dtype);
  const opts = {
    tol,
    maxIter: options.maxIter ?? 50,
    onIteration: options.onIteration,
  };
  if (w !== null && options.polish !== false)
    return [prep, yield* solveWarm(prep, w, opts, subsetFor(prep))];
  if (options.polish !== false)
    return [prep, yield* solveLoose(prep, opts, subsetFor(prep))];
  const start = w === null ? null : warmIterate(prep.prob, w, WARM_SHIFT);
  const out = yield* pdipm(prep.prob, prep.pre, prep.scales, opts, start);
  return [prep, unpolished(out)];
}
