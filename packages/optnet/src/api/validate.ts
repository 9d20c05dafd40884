/**
 * Boundary checks of qp/solveQp: shapes (naming the argument and the
 * expected batched shape), dtypes, non-finite entries, and Q symmetric
 * positive semidefinite (naming the batch item). Also measures the data
 * scales the solver's tolerances and regularization are relative to.
 *
 * Glossary: Q [nBatch?, nz, nz], p [nBatch?, nz], G [nBatch?, nIneq, nz],
 * h [nBatch?, nIneq], A [nBatch?, nEq, nz], b [nBatch?, nEq].
 */
import {
  allFinite,
  DTypeError,
  ShapeError,
  ValueError,
  type DType,
  type Tensor,
} from '@optnet/tensor';
import { QpError } from './errors.js';
import type { QpStructure, QpWarmStart } from './types.js';

export interface QpInputs {
  readonly Q: Tensor;
  readonly p: Tensor;
  readonly G: Tensor | null;
  readonly h: Tensor | null;
  readonly A: Tensor | null;
  readonly b: Tensor | null;
}

export interface QpShape {
  readonly nBatch: number;
  /** Whether any input carried the batch axis (else z is [nz]). */
  readonly batched: boolean;
  readonly nz: number;
  readonly nIneq: number;
  readonly nEq: number;
}

const fmt = (t: Tensor): string => `[${t.shape.join(', ')}]`;

function shapeError(arg: string, want: string, t: Tensor, hint: string): never {
  throw new ShapeError(
    'SHAPE_MISMATCH',
    `qp: ${arg} must be ${want}; got ${arg}${fmt(t)}. ${hint}`,
  );
}

/** Check ranks, sizes and dtypes; return the problem sizes. */
export function checkShapes(x: QpInputs): QpShape {
  const { Q, p, G, h, A, b } = x;
  if (Q.rank !== 2 && Q.rank !== 3)
    shapeError('Q', '[nz, nz] or [nBatch, nz, nz]', Q, 'Pass a square matrix.');
  const nz = Q.shape[Q.rank - 1];
  if (Q.shape[Q.rank - 2] !== nz)
    shapeError('Q', '[nz, nz] or [nBatch, nz, nz]', Q, 'Q must be square.');
  pairCheck('G', 'h', G, h, 'nIneq');
  pairCheck('A', 'b', A, b, 'nEq');
  const nIneq = G === null ? 0 : G.shape[G.rank - 2];
  const nEq = A === null ? 0 : A.shape[A.rank - 2];
  const batchOf: [string, Tensor | null, number][] = [
    ['Q', Q, 2],
    ['p', p, 1],
    ['G', G, 2],
    ['h', h, 1],
    ['A', A, 2],
    ['b', b, 1],
  ];
  let nBatch = -1;
  let from = '';
  for (const [name, t, base] of batchOf) {
    if (t === null) continue;
    checkRank(name, t, base, nz, nIneq, nEq);
    if (t.rank === base + 1) {
      if (nBatch >= 0 && t.shape[0] !== nBatch) {
        throw new ShapeError(
          'SHAPE_MISMATCH',
          `qp: every batched argument needs the same nBatch; got ${from} with nBatch ${nBatch} and ${name}${fmt(t)}. Give all batched arguments the same leading size.`,
        );
      }
      nBatch = t.shape[0];
      from = `${name}${fmt(t)}`;
    }
  }
  checkDTypes(batchOf.map(([n, t]) => [n, t]));
  return { nBatch: Math.max(nBatch, 1), batched: nBatch >= 0, nz, nIneq, nEq };
}

function pairCheck(
  mName: string,
  vName: string,
  m: Tensor | null,
  v: Tensor | null,
  rows: string,
): void {
  if ((m === null) !== (v === null)) {
    throw new ShapeError(
      'BAD_ARGUMENT',
      `qp: ${mName} and ${vName} come together; got ${mName} ${m === null ? 'null' : fmt(m)} and ${vName} ${v === null ? 'null' : fmt(v)}. Pass both, or null for both (no ${rows === 'nIneq' ? 'inequalities' : 'equalities'}).`,
    );
  }
  if (m !== null && m.rank !== 2 && m.rank !== 3) {
    shapeError(
      mName,
      `[${rows}, nz] or [nBatch, ${rows}, nz]`,
      m,
      `Pass a matrix with one row per constraint.`,
    );
  }
}

function checkRank(
  name: string,
  t: Tensor,
  base: number,
  nz: number,
  nIneq: number,
  nEq: number,
): void {
  const want: Record<string, number[]> = {
    Q: [nz, nz],
    p: [nz],
    G: [nIneq, nz],
    h: [nIneq],
    A: [nEq, nz],
    b: [nEq],
  };
  const tail = want[name];
  const names: Record<string, string[]> = {
    Q: ['nz', 'nz'],
    p: ['nz'],
    G: ['nIneq', 'nz'],
    h: ['nIneq'],
    A: ['nEq', 'nz'],
    b: ['nEq'],
  };
  const ok =
    (t.rank === base || t.rank === base + 1) &&
    tail.every((d, i) => t.shape[t.rank - base + i] === d);
  if (!ok) {
    const spec = names[name].map((s, i) => `${s} = ${tail[i]}`).join(', ');
    const dims = names[name].join(', ');
    shapeError(
      name,
      `[${dims}] or [nBatch, ${dims}] with ${spec}`,
      t,
      'Sizes come from Q (nz), G (nIneq) and A (nEq).',
    );
  }
}

function checkDTypes(args: [string, Tensor | null][]): void {
  const present = args.filter((a): a is [string, Tensor] => a[1] !== null);
  const dtype = present[0][1].dtype;
  for (const [name, t] of present) {
    if (t.dtype !== 'float32' && t.dtype !== 'float64') {
      throw new DTypeError(
        'DTYPE_MISMATCH',
        `qp: arguments must be float32 or float64; got ${name} of dtype ${t.dtype}. Cast it with ${name}.cast('float64').`,
      );
    }
    if (t.dtype !== dtype) {
      throw new DTypeError(
        'DTYPE_MISMATCH',
        `qp: all arguments need one dtype; got Q ${dtype} and ${name} ${t.dtype}. Cast them to one dtype (float64 is the more accurate).`,
      );
    }
  }
}

/**
 * max |x| over `data` when every entry is finite, else NaN: one pass for
 * Q's finite check and its scale (a third faster than the two scans it
 * replaces at [128, 50, 50]). Four running maxima, and a running sum of
 * x·0 that stays 0 only while the entries are finite (a maximum by
 * comparison alone would step over a NaN).
 * @example finiteAbsMax(new Float64Array([1, -3])); // 3
 */
export function finiteAbsMax(data: ArrayLike<number>): number {
  let [m0, m1, m2, m3, zero] = [0, 0, 0, 0, 0];
  const n = data.length;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const a0 = Math.abs(data[i]);
    const a1 = Math.abs(data[i + 1]);
    const a2 = Math.abs(data[i + 2]);
    const a3 = Math.abs(data[i + 3]);
    // each term alone: a sum of four huge finite values overflows
    zero += a0 * 0 + a1 * 0 + a2 * 0 + a3 * 0;
    m0 = a0 > m0 ? a0 : m0;
    m1 = a1 > m1 ? a1 : m1;
    m2 = a2 > m2 ? a2 : m2;
    m3 = a3 > m3 ? a3 : m3;
  }
  for (; i < n; i++) {
    const a = Math.abs(data[i]);
    zero += a * 0;
    m0 = a > m0 ? a : m0;
  }
  return zero === 0 ? Math.max(m0, m1, m2, m3) : NaN;
}

/**
 * The squared norms of the `rows` rows of `cols` entries of `data`, summed
 * in order in float64 (polishing's ‖G_i‖²), when every entry is finite,
 * else null: G's finite check and its row norms in one pass. (The row
 * count is given: with no columns every row's norm is 0.)
 * @example finiteRowNorms2(new Float64Array([3, 4, 1, 0]), 2, 2); // [25, 1]
 */
export function finiteRowNorms2(
  data: ArrayLike<number>,
  rows: number,
  cols: number,
): Float64Array | null {
  const out = new Float64Array(rows);
  let zero = 0;
  for (let i = 0; i < rows; i++) {
    let t = 0;
    for (let j = i * cols; j < (i + 1) * cols; j++) {
      const x = data[j];
      t += x * x;
      zero += x * 0;
    }
    out[i] = t;
  }
  return zero === 0 ? out : null;
}

/** Throw NON_FINITE naming the argument and the first bad entry. */
export function checkFinite(
  name: string,
  t: Tensor,
  data: ArrayLike<number>,
): void {
  if (allFinite(data, 0, data.length)) return;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw new ValueError(
        'NON_FINITE',
        `qp: ${name} must be finite; got ${data[i]} at flat index ${i} of ${name}${fmt(t)}. Replace infinite bounds by dropping the constraint; check the layer feeding ${name} for NaN.`,
      );
    }
  }
}

/**
 * Q symmetric to a relative 1e-8 (1e-4 in float32), naming the worst item
 * when `enforce`. Returns whether Q is exactly symmetric (then the solver
 * skips symmetrizing it).
 */
export function checkSymmetric(
  q: ArrayLike<number>,
  nz: number,
  float32: boolean,
  enforce: boolean,
): boolean {
  const nn = nz * nz;
  const symTol = float32 ? 1e-4 : 1e-8;
  let exact = true;
  for (let b = 0, o = 0; o < q.length; b++, o += nn) {
    // An exactly symmetric item (the common case) needs no scale: one
    // pass over its pairs. (NaN is not 0: such an item goes on.)
    let same = true;
    for (let i = 1; i < nz && same; i++)
      for (let j = 0; j < i; j++)
        if (q[o + i * nz + j] !== q[o + j * nz + i]) {
          same = false;
          break;
        }
    if (same) continue;
    let qMax = 0;
    for (let i = 0; i < nn; i++) qMax = Math.max(qMax, Math.abs(q[o + i]));
    for (let i = 0; i < nz; i++) {
      for (let j = 0; j < i; j++) {
        const diff = Math.abs(q[o + i * nz + j] - q[o + j * nz + i]);
        if (diff !== 0) exact = false;
        if (enforce && diff > symTol * Math.max(1, qMax)) {
          throw new QpError(
            'Q_NOT_SYMMETRIC',
            `qp: Q must be symmetric; got Q[${b}][${i}][${j}] = ${q[o + i * nz + j]} but Q[${b}][${j}][${i}] = ${q[o + j * nz + i]}. Use (Q + Qᵀ)/2, or parametrize Q = L·Lᵀ + εI.`,
          );
        }
      }
    }
  }
  return exact;
}

/**
 * The declared structure holds on the data read back for validation:
 * `Q: 'diagonal'` has no nonzero off the diagonal; `G: 'bounds'` has at
 * most one nonzero per row. Throws QpError BAD_STRUCTURE naming the entry.
 */
export function checkStructure(
  structure: QpStructure | undefined,
  q: ArrayLike<number>,
  g: ArrayLike<number> | null,
  nz: number,
  nIneq: number,
): void {
  if (structure?.Q === 'diagonal') {
    for (let o = 0, b = 0; o < q.length; o += nz * nz, b++) {
      for (let k = 0; k < nz * nz; k++) {
        const [i, j] = [Math.floor(k / nz), k % nz];
        if (i !== j && q[o + k] !== 0) {
          throw new QpError(
            'BAD_STRUCTURE',
            `qp: structure.Q 'diagonal' declares a diagonal Q; got ${q.length > nz * nz ? `Q[${b}]` : 'Q'}[${i}][${j}] = ${q[o + k]}. Pass a diagonal Q, or drop the declaration. To learn a diagonal Q, learn its diagonal q and pass eye(nz).mul(q): a full matrix learned as a leaf gets a dense gradient, which an optimizer step spreads off the diagonal.`,
          );
        }
      }
    }
  }
  if (structure?.G === 'bounds' && g !== null) {
    for (let r = 0; r * nz < g.length; r++) {
      let first = -1;
      for (let j = 0; j < nz; j++) {
        if (g[r * nz + j] === 0) continue;
        if (first >= 0) {
          throw new QpError(
            'BAD_STRUCTURE',
            `qp: structure.G 'bounds' declares one nonzero per row of G (a bound on one variable); got ${g.length > nIneq * nz ? `G[${Math.floor(r / nIneq)}][${r % nIneq}]` : `G[${r}]`} with nonzeros in columns ${first} and ${j}. Pass such a G, or drop the declaration (a G learned as a full matrix gets a dense gradient: build it from the bounds' signs instead).`,
          );
        }
        first = j;
      }
    }
  }
}

/**
 * Q positive semidefinite up to the rounding of its data: Cholesky of
 * Q + τI must succeed, τ = 1e-4·max|Q_ij| (1e-3 in float32). Data printed
 * to a few digits dips below zero by that much: Maros–Meszaros VALUES, a
 * convex problem, has eigenvalues near −1.3e−5 with max|Q_ij| = 1. Only
 * run when Q's plain Cholesky failed (a definite Q needs no check).
 */
export function checkPsd(
  q: ArrayLike<number>,
  nz: number,
  float32: boolean,
): void {
  const nn = nz * nz;
  for (let b = 0, o = 0; o < q.length; b++, o += nn) {
    let qMax = 0;
    for (let i = 0; i < nn; i++) qMax = Math.max(qMax, Math.abs(q[o + i]));
    if (qMax === 0) continue; // Q = 0: a linear program
    const pivot = choleskyFails(q, o, nz, (float32 ? 1e-3 : 1e-4) * qMax);
    if (pivot !== null) {
      throw new QpError(
        'Q_NOT_PSD',
        `qp: Q must be positive semidefinite; Cholesky of Q + ${pivot[1].toExponential(1)}·I failed for batch item ${b} at pivot ${pivot[0]}. Parametrize Q = L·Lᵀ + εI, or check the sign of the objective (a QP layer minimizes).`,
      );
    }
  }
}

/** [pivot, τ] where Cholesky of Q + τI breaks down, or null. */
function choleskyFails(
  q: ArrayLike<number>,
  o: number,
  n: number,
  tau: number,
): [number, number] | null {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = q[o + j * n + j] + tau;
    for (let k = 0; k < j; k++) d -= l[j * n + k] * l[j * n + k];
    if (!(d > 0)) return [j, tau];
    const ljj = Math.sqrt(d);
    l[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = (q[o + i * n + j] + q[o + j * n + i]) / 2;
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      l[i * n + j] = s / ljj;
    }
  }
  return null;
}

/** Per-item ∞-norms of a vector argument (zeros when absent). */
export function rowNorms(
  data: ArrayLike<number> | null,
  nBatch: number,
  len: number,
  batched: boolean,
): Float64Array {
  const out = new Float64Array(nBatch);
  if (data === null) return out;
  for (let i = 0; i < nBatch; i++) {
    const o = batched ? i * len : 0;
    let m = 0;
    for (let j = 0; j < len; j++) m = Math.max(m, Math.abs(data[o + j]));
    out[i] = m;
  }
  return out;
}

/**
 * The warm start's tensors checked against the problem's sizes and dtype
 * and expanded to [nBatch, n]; an absent field, or one of a block the
 * problem does not have (a QpResult's [nBatch, 0] lam), is null.
 */
export function checkWarmStart(
  w: QpWarmStart,
  shape: QpShape,
  dtype: DType,
): { z: Tensor; s: Tensor | null; lam: Tensor | null; nu: Tensor | null } {
  const { nBatch, nz, nIneq, nEq } = shape;
  const one = (name: string, t: Tensor | null | undefined, n: number) => {
    if (t === undefined || t === null || n === 0) return null;
    const ok =
      (t.rank === 1 && t.shape[0] === n) ||
      (t.rank === 2 && t.shape[0] === nBatch && t.shape[1] === n);
    if (!ok)
      shapeError(
        `warmStart.${name}`,
        `[${nBatch}, ${n}] or [${n}]`,
        t,
        'Pass the field of an earlier solve of the same sizes.',
      );
    if (t.dtype !== dtype)
      throw new DTypeError(
        'DTYPE_MISMATCH',
        `qp: warmStart.${name} must be ${dtype}, the dtype of Q; got ${t.dtype}. Cast it: .cast('${dtype}').`,
      );
    return t.rank === 1 ? t.unsqueeze(0).expand([nBatch, n]) : t;
  };
  return {
    z: one('z', w.z, nz)!,
    s: one('s', w.s, nIneq),
    lam: one('lam', w.lam, nIneq),
    nu: one('nu', w.nu, nEq),
  };
}
