/**
 * From user arguments to a solver problem: validation (reading the data
 * back once), scales, symmetrized Q, vectors expanded over the batch, and
 * the iteration-independent part of the KKT factorization.
 *
 * Glossary: Q p G h A b; nBatch nz nIneq nEq.
 */
import type { Tensor } from '@optnet/tensor';
import { preFactorKkt, type KktForm, type KktPre } from './kkt.js';
import { QpError } from './errors.js';
import { pdipm, type PdipmOutcome, type Problem } from './pdipm.js';
import type { QpOptions } from './types.js';
import { checkFinite, checkQ, checkShapes, definiteness, rowNorms, type QpInputs, type QpShape, type Scales } from './validate.js';

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
export function* prepare(x: QpInputs, options: QpOptions): Generator<Tensor, Prepared, ArrayLike<number>> {
  const shape = checkShapes(x);
  const { nBatch, nz, nIneq, nEq } = shape;
  const q = (yield* read('Q', x.Q))!;
  const p = (yield* read('p', x.p))!;
  yield* read('G', x.G);
  const h = yield* read('h', x.h);
  const a = yield* read('A', x.A);
  const b = yield* read('b', x.b);
  if (options.checkQ !== false) checkQ(q, nz, x.Q.dtype === 'float32');
  const scales: Scales = {
    pNorm: rowNorms(p, nBatch, nz, x.p.rank === 2),
  };
  let qMax = 0;
  for (let i = 0; i < q.length; i++) qMax = Math.max(qMax, Math.abs(q[i]));
  const expand = (v: Tensor | null, n: number): Tensor | null =>
    v === null ? null : v.rank === 1 ? v.unsqueeze(0).expand([nBatch, n]) : v;
  const prob: Problem = {
    data: {
      Q: x.Q.add(x.Q.transpose(-2, -1)).mul(0.5),
      G: x.G,
      A: x.A,
      nBatch, nz, nIneq, nEq,
      dtype: x.Q.dtype,
    },
    p: expand(x.p, nz)!,
    h: expand(x.h, nIneq),
    b: expand(x.b, nEq),
  };
  const form = chooseForm(options.kkt ?? 'auto', q, shape, x.Q.dtype === 'float32');
  const refine = options.refine ?? (form === 'primal' ? 1 : 0) + (x.Q.dtype === 'float32' ? 1 : 0);
  const pre = preFactorKkt(prob.data, { qMax, ataMax: maxColumnNorm2(a, nEq, nz) }, form, refine);
  return { shape, prob, pre, scales };
}

/**
 * The constraint-space ('dual') reduction when Q is safely definite and
 * there are constraints; the variable-space ('primal') one otherwise.
 */
function chooseForm(want: QpOptions['kkt'], q: ArrayLike<number>, shape: QpShape, f32: boolean): KktForm {
  if (want === 'primal' || shape.nIneq + shape.nEq === 0) return 'primal';
  const ok = definiteness(q, shape.nz) >= (f32 ? 1e-4 : 1e-10);
  if (want === 'dual' && !ok) {
    throw new QpError('Q_NOT_PSD', `qp: kkt 'dual' needs a positive definite Q; got a Q whose Cholesky pivots fall below ${f32 ? 1e-4 : 1e-10} of its diagonal. Use kkt: 'auto' or 'primal'.`);
  }
  return ok ? 'dual' : 'primal';
}

/** Largest diagonal entry of AᵀA over the batch: max_j Σᵢ A_ij². */
function maxColumnNorm2(a: ArrayLike<number> | null, nEq: number, nz: number): number {
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
  return dtype === 'float64' ? 1e-8 : 1e-5;
}

/** Validate, then run the interior-point loop. */
export function* solveGen(x: QpInputs, options: QpOptions): Generator<Tensor, [Prepared, PdipmOutcome], ArrayLike<number>> {
  const prep = yield* prepare(x, options);
  const out = yield* pdipm(prep.prob, prep.pre, prep.scales, {
    tol: options.tol ?? defaultTol(x.Q.dtype),
    maxIter: options.maxIter ?? 50,
    onIteration: options.onIteration,
  });
  return [prep, out];
}
