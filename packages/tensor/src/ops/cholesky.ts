/**
 * cholesky(A): lower-triangular L with A = L·Lᵀ, batched over leading dims.
 * Reads only the lower triangle of A (the upper one is never touched).
 *
 * Kernel: left-looking (Crout) Cholesky on a row-major Float64Array. Every
 * entry is A[i,j] minus a dot product of the contiguous row prefixes
 * L[i,0:j]·L[j,0:j], so the inner loops walk memory in order. Columns are
 * done two at a time and rows four at a time, so each inner step does 8
 * multiply-adds on 8 independent accumulators from 6 loads (instead of two
 * loads per multiply-add and one serial add chain). Summing in several
 * accumulators also makes L·Lᵀ a little closer to A than one running sum.
 * This is the hot loop of the interior-point QP solver (batches of ~100×100
 * factorizations per iteration), hence the care.
 */
import { assertFloat } from '../dtype.js';
import { ShapeError, ValueError } from '../errors.js';
import {
  defineOp,
  runAll,
  type CpuBatch,
  type CpuTensor,
  type KernelFailure,
  type KernelOp,
  type TensorMeta,
} from '../op.js';
import { fmtShape, sizeOf, type Shape } from '../shape.js';
import { assertFinite, nonFiniteFailure } from './finite.js';
import type { NoAttrs } from './unary.js';

/** Throws unless `shape` is [..., n, n]; returns n. */
export function squareSize(op: string, shape: Shape, arg: string): number {
  const r = shape.length;
  if (r < 2 || shape[r - 1] !== shape[r - 2]) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `${op}: ${arg} must be a (batch of) square matrices [..., n, n]; got ${arg}${fmtShape(shape)}. ` +
        `Reshape ${arg} so its last two axes are equal.`,
    );
  }
  return shape[r - 1];
}

/**
 * Whether d[from..to) is all finite, branch-free: x·0 is NaN exactly when x
 * is NaN or ±Inf, so four running sums of x·0 stay 0 iff all are finite.
 * Several times faster than assertFinite's element-by-element test, which
 * only needs to run (to name the bad index) when this says false.
 * For a kernel of your own that must refuse NaN or Inf inputs.
 * @example
 * const data = new Float64Array([1, NaN, 3]);
 * allFinite(data, 0, data.length); // false: then find and name the entry
 */
export function allFinite(
  d: ArrayLike<number>,
  from: number,
  to: number,
): boolean {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = from;
  for (; i + 3 < to; i += 4) {
    s0 += d[i] * 0;
    s1 += d[i + 1] * 0;
    s2 += d[i + 2] * 0;
    s3 += d[i + 3] * 0;
  }
  for (; i < to; i++) s0 += d[i] * 0;
  return s0 + s1 + s2 + s3 === 0;
}

/** assertFinite (same NON_FINITE error), with the fast allFinite pass first. */
export function checkFinite(op: string, arg: string, t: CpuTensor): void {
  if (!allFinite(t.data, 0, t.data.length)) assertFinite(op, arg, t);
}

/**
 * Throws NOT_POSITIVE_DEFINITE unless the pivot `d` is > 0 (NaN fails too);
 * returns √d.
 */
function pivotRoot(d: number, b: number, j: number): number {
  // d = +Inf (overflow) fails too, so a returned factor is finite.
  if (!(d > 0 && d < Infinity)) throw notPositiveDefinite(d, b, j);
  return Math.sqrt(d);
}

/**
 * The NOT_POSITIVE_DEFINITE error for batch item `b`, pivot `j` of value `d`.
 * @example throw notPositiveDefinite(-2, 0, 2);
 */
export function notPositiveDefinite(
  d: number,
  b: number,
  j: number,
): ValueError {
  return new ValueError(
    'NOT_POSITIVE_DEFINITE',
    `cholesky: A must be symmetric positive definite; Cholesky failed for batch item ${b} ` +
      `at pivot ${j} (${d.toPrecision(3)}). ` +
      `Check that A is symmetric PD, or add a small multiple of the identity (A + εI).`,
  );
}

/**
 * Columns j, j+1 of L for rows i, i+1 (both > j+1), in place in `w` (row
 * stride n): the four dot products over k < j share their loads.
 */
function rowPair(
  w: Float64Array,
  o: number,
  n: number,
  j: number,
  i: number,
  l00: number,
  l10: number,
  l11: number,
): void {
  const rj = o + j * n;
  const rj1 = rj + n;
  const ri = o + i * n;
  const ri1 = ri + n;
  let a0 = 0;
  let a1 = 0;
  let b0 = 0;
  let b1 = 0;
  for (let k = 0; k < j; k++) {
    const x = w[ri + k];
    const y = w[ri1 + k];
    const u = w[rj + k];
    const v = w[rj1 + k];
    a0 += x * u;
    a1 += x * v;
    b0 += y * u;
    b1 += y * v;
  }
  const li0 = (w[ri + j] - a0) / l00;
  w[ri + j] = li0;
  w[ri + j + 1] = (w[ri + j + 1] - a1 - li0 * l10) / l11;
  const lk0 = (w[ri1 + j] - b0) / l00;
  w[ri1 + j] = lk0;
  w[ri1 + j + 1] = (w[ri1 + j + 1] - b1 - lk0 * l10) / l11;
}

/**
 * Columns j, j+1 of L for the single row i > j+1 (the odd row left over by
 * rowPair).
 */
function rowSingle(
  w: Float64Array,
  o: number,
  n: number,
  j: number,
  i: number,
  l00: number,
  l10: number,
  l11: number,
): void {
  const rj = o + j * n;
  const rj1 = rj + n;
  const ri = o + i * n;
  let a0 = 0;
  let a1 = 0;
  for (let k = 0; k < j; k++) {
    const x = w[ri + k];
    a0 += x * w[rj + k];
    a1 += x * w[rj1 + k];
  }
  const li0 = (w[ri + j] - a0) / l00;
  w[ri + j] = li0;
  w[ri + j + 1] = (w[ri + j + 1] - a1 - li0 * l10) / l11;
}

/**
 * Columns j, j+1 of L for rows i..i+3 (all > j+1), in place in `w` (row
 * stride n): the eight dot products over k < j share their loads (6 loads
 * for 8 multiply-adds).
 */
function rowQuad(
  w: Float64Array,
  o: number,
  n: number,
  j: number,
  i: number,
  l00: number,
  l10: number,
  l11: number,
): void {
  const rj = o + j * n;
  const rj1 = rj + n;
  const r0 = o + i * n;
  const r1 = r0 + n;
  const r2 = r1 + n;
  const r3 = r2 + n;
  let a0 = 0,
    a1 = 0,
    b0 = 0,
    b1 = 0,
    c0 = 0,
    c1 = 0,
    e0 = 0,
    e1 = 0;
  for (let k = 0; k < j; k++) {
    const u = w[rj + k];
    const v = w[rj1 + k];
    const x = w[r0 + k];
    a0 += x * u;
    a1 += x * v;
    const y = w[r1 + k];
    b0 += y * u;
    b1 += y * v;
    const z = w[r2 + k];
    c0 += z * u;
    c1 += z * v;
    const t = w[r3 + k];
    e0 += t * u;
    e1 += t * v;
  }
  finishRow(w, r0 + j, a0, a1, l00, l10, l11);
  finishRow(w, r1 + j, b0, b1, l00, l10, l11);
  finishRow(w, r2 + j, c0, c1, l00, l10, l11);
  finishRow(w, r3 + j, e0, e1, l00, l10, l11);
}

/**
 * L[i,j], L[i,j+1] at w[p], w[p+1] from their dot products s0, s1 over k < j.
 */
function finishRow(
  w: Float64Array,
  p: number,
  s0: number,
  s1: number,
  l00: number,
  l10: number,
  l11: number,
): void {
  const li0 = (w[p] - s0) / l00;
  w[p] = li0;
  w[p + 1] = (w[p + 1] - s1 - li0 * l10) / l11;
}

/**
 * Columns j and j+1 of L (j+1 < n): the 2×2 diagonal block, then the rows below
 * it.
 */
function columnPair(
  w: Float64Array,
  o: number,
  n: number,
  j: number,
  b: number,
): void {
  const rj = o + j * n;
  const rj1 = rj + n;
  let d0 = 0;
  let s10 = 0;
  let d1 = 0;
  for (let k = 0; k < j; k++) {
    const u = w[rj + k];
    const v = w[rj1 + k];
    d0 += u * u;
    s10 += v * u;
    d1 += v * v;
  }
  const l00 = pivotRoot(w[rj + j] - d0, b, j);
  w[rj + j] = l00;
  const l10 = (w[rj1 + j] - s10) / l00;
  w[rj1 + j] = l10;
  const l11 = pivotRoot(w[rj1 + j + 1] - d1 - l10 * l10, b, j + 1);
  w[rj1 + j + 1] = l11;
  let i = j + 2;
  for (; i + 3 < n; i += 4) rowQuad(w, o, n, j, i, l00, l10, l11);
  for (; i + 1 < n; i += 2) rowPair(w, o, n, j, i, l00, l10, l11);
  if (i < n) rowSingle(w, o, n, j, i, l00, l10, l11);
}

/** Last column j = n-1 when n is odd: only the pivot is left. */
function lastColumn(
  w: Float64Array,
  o: number,
  n: number,
  j: number,
  b: number,
): void {
  const rj = o + j * n;
  let d = 0;
  for (let k = 0; k < j; k++) d += w[rj + k] * w[rj + k];
  w[rj + j] = pivotRoot(w[rj + j] - d, b, j);
}

/**
 * Factor in place: on entry the lower triangle of the n×n matrix at offset
 * `o` of `w` holds A's, on exit L's; the upper triangle is neither read nor
 * written. `b` is the batch item, for the error message.
 */
function factor(w: Float64Array, o: number, n: number, b: number): void {
  let j = 0;
  for (; j + 1 < n; j += 2) columnPair(w, o, n, j, b);
  if (j < n) lastColumn(w, o, n, j, b);
}

/**
 * Copies the lower triangle (diagonal included) of the n×n matrix at `from` in
 * `src` to `to` in `dst`.
 */
function copyLower(
  src: ArrayLike<number>,
  from: number,
  dst: Float64Array | Float32Array,
  to: number,
  n: number,
): void {
  for (let i = 0; i < n; i++) {
    const s = from + i * n;
    const d = to + i * n;
    for (let k = 0; k <= i; k++) dst[d + k] = src[s + k];
  }
}

/** Number of n×n matrices in a [..., n, n] shape. */
function matrixCount(shape: Shape): number {
  const n = shape[shape.length - 1];
  return n === 0 ? 0 : sizeOf(shape) / (n * n);
}

/**
 * The kernel on batch items [start, end): their finite check first (a
 * failure rechecks all of A, so the error names A's first bad entry
 * wherever the split fell), then their factorizations.
 */
const choleskyBatch: CpuBatch<NoAttrs> = {
  items: ([a]) => matrixCount(a.shape),
  cost: ([a]) => (matrixCount(a.shape) * a.shape[a.shape.length - 1] ** 3) / 3,
  run: ([a], [l], _attrs, start, end) => {
    const n = a.shape[a.shape.length - 1];
    const nn = n * n;
    const L = l.data as Float64Array | Float32Array;
    if (!allFinite(a.data, start * nn, end * nn))
      assertFinite('cholesky', 'A', a);
    // f64: factor in place in the (zero-filled) output. f32: factor an f64
    // copy, so the kernel stays monomorphic and accumulates in f64 throughout.
    const w = L instanceof Float64Array ? null : new Float64Array(nn);
    for (let b = start; b < end; b++) {
      if (w === null) {
        copyLower(a.data, b * nn, L, b * nn, n);
        factor(L as Float64Array, b * nn, n, b);
        continue;
      }
      copyLower(a.data, b * nn, w, 0, n);
      factor(w, 0, n, b);
      copyLower(w, 0, L, b * nn, n);
    }
  },
};

/**
 * The error of a recorded cholesky failure: NON_FINITE (A) or
 * NOT_POSITIVE_DEFINITE (batch item `index`, `pivot`, `value`).
 */
function choleskyFailure(
  f: KernelFailure,
  inputs: readonly TensorMeta[],
): ValueError {
  return (
    nonFiniteFailure('cholesky', ['A'], f, inputs) ??
    notPositiveDefinite(f.value, f.index, f.pivot)
  );
}

export const cholesky: KernelOp<NoAttrs> = defineOp<NoAttrs>({
  name: 'cholesky',
  shape: ([a]: readonly TensorMeta[]) => {
    assertFloat('cholesky', a.dtype, 'A');
    squareSize('cholesky', a.shape, 'A');
    return [{ shape: a.shape, dtype: a.dtype }];
  },
  cpuBatch: choleskyBatch,
  cpu: runAll(choleskyBatch),
  failure: choleskyFailure,
  // Every entry of row i enters pivot i (l_ii² = a_ii − Σ l_ij²), so a
  // NaN/Inf anywhere fails a pivot check: a factor that returns is finite.
  finiteOutputs: true,
});
