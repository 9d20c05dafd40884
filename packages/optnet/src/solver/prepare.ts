/**
 * From user arguments to a solver problem: validation (reading the data
 * back once), scales, symmetrized Q, vectors expanded over the batch, and
 * the iteration-independent part of the KKT factorization.
 *
 * Glossary: Q p G h A b; nBatch nz nIneq nEq.
 */
import { ValueError, zeros, type Tensor } from '@optnet/tensor';
import { chooseKkt } from './kkt/choose.js';
import { preFactorKkt } from './kkt/kkt.js';
import type { KktPre } from './kkt/types.js';
import { registerQpWasm } from '../kernels/fused-kernels.js';
import { pdipm, type PdipmOutcome, type Problem } from './pdipm.js';
import type { Scales } from './status.js';
import type { QpOptions } from '../api/types.js';
import {
  checkFinite,
  checkPsd,
  checkShapes,
  checkStructure,
  checkSymmetric,
  rowNorms,
  type QpInputs,
  type QpShape,
} from '../api/validate.js';

export interface Prepared {
  readonly shape: QpShape;
  readonly prob: Problem;
  readonly pre: KktPre;
  readonly scales: Scales;
}

type Reader = Generator<Tensor, ArrayLike<number> | null, ArrayLike<number>>;

function* read(name: string, t: Tensor | null): Reader {
  if (t === null) return null;
  const data = yield t;
  checkFinite(name, t, data);
  return data;
}

/** Validate and set up; yields each input once to have it read back. */
export function* prepare(
  x: QpInputs,
  options: QpOptions,
): Generator<Tensor, Prepared, ArrayLike<number>> {
  const shape = checkShapes(x);
  const { nBatch, nz, nIneq, nEq } = shape;
  const q = (yield* read('Q', x.Q))!;
  const p = (yield* read('p', x.p))!;
  const g = yield* read('G', x.G);
  yield* read('h', x.h);
  const a = yield* read('A', x.A);
  yield* read('b', x.b);
  checkStructure(options.structure, q, g, nz);
  const f32 = x.Q.dtype === 'float32';
  const exact = checkSymmetric(q, nz, f32, options.checkQ !== false);
  const qSym = exact ? x.Q : x.Q.add(x.Q.transpose(-2, -1)).mul(0.5);
  // Q's Cholesky proves Q definite (so semidefinite) and, when Q is safely
  // definite, is reused by the constraint-space reduction.
  const lq = tryCholesky(qSym);
  const ratio = lq === null ? 0 : pivotRatio(yield lq, q, nz);
  if (lq === null && options.checkQ !== false) checkPsd(q, nz, f32);
  const scales: Scales = {
    pNorm: rowNorms(p, nBatch, nz, x.p.rank === 2),
  };
  let qMax = 0;
  for (let i = 0; i < q.length; i++) qMax = Math.max(qMax, Math.abs(q[i]));
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
  const pre = preFactorKkt(strategy, {
    data: prob.data,
    scales: { qMax, ataMax: maxColumnNorm2(a, nEq, nz) },
    refine: options.refine ?? strategy.defaultRefine,
    lq,
  });
  return { shape, prob, pre, scales };
}

function tryCholesky(q: Tensor): Tensor | null {
  try {
    return q.cholesky();
  } catch (e) {
    if (e instanceof ValueError && e.code === 'NOT_POSITIVE_DEFINITE')
      return null;
    throw e;
  }
}

/** min over items and j of L_jj² / Q_jj: how safely Q⁻¹ can be used. */
function pivotRatio(
  l: ArrayLike<number>,
  q: ArrayLike<number>,
  nz: number,
): number {
  let worst = Infinity;
  for (let o = 0; o < l.length; o += nz * nz) {
    for (let j = 0; j < nz; j++)
      worst = Math.min(worst, l[o + j * nz + j] ** 2 / q[o + j * nz + j]);
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

/** Validate, then run the interior-point loop. */
export function* solveGen(
  x: QpInputs,
  options: QpOptions,
): Generator<Tensor, [Prepared, PdipmOutcome], ArrayLike<number>> {
  registerQpWasm();
  const prep = yield* prepare(x, options);
  const out = yield* pdipm(prep.prob, prep.pre, prep.scales, {
    tol: options.tol ?? defaultTol(x.Q.dtype),
    maxIter: options.maxIter ?? 50,
    onIteration: options.onIteration,
  });
  return [prep, out];
}
