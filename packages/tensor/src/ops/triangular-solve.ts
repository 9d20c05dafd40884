/**
 * triangularSolve(L, B): X with op(L)·X = B, op(L) = L or Lᵀ, L lower or
 * upper triangular (the other triangle is never read). Batch dims of L and
 * B broadcast.
 *
 * Kernel: each batch item's right-hand sides are copied, two columns at a
 * time, into contiguous Float64Array vectors (X is row-major [n, k], so a
 * column is strided), solved, and copied back. Without transpose a row of
 * op(L) is a contiguous row of L, so the solve is row-oriented (a dot product
 * per unknown); with transpose a column of op(L) is a contiguous row of L,
 * so it is column-oriented (an axpy per unknown). Either way unknowns are
 * done two at a time so each pass over memory does twice the work. The
 * interior-point QP solver calls this with k = 1 or 2 every iteration.
 */
import { assertFloat, assertSameDType } from '../dtype.js';
import { ShapeError } from '../errors.js';
import {
  defineOp,
  runAll,
  type CpuBatch,
  type CpuTensor,
  type KernelOp,
  type TensorMeta,
} from '../op.js';
import {
  broadcastNamed,
  fmtShape,
  sizeOf,
  stridesOf,
  type Shape,
} from '../shape.js';
import { allFinite, checkFinite, squareSize } from './cholesky.js';
import { nonFiniteFailure, unknownFailure } from './finite.js';
import { isKnownFinite, markFinite } from '../cpu/known-finite.js';

/**
 * Attributes of the triangularSolve primitive (`triangularSolve` fills
 * them from its options).
 * @example
 * const attrs: TriangularSolveAttrs = {
 *   lower: true, transpose: false, unitDiagonal: false,
 * };
 * const L = tensor([[2, 0], [1, 1]]);
 * apply1(primitives.triangularSolve, [L, tensor([[2], [3]])], attrs);
 * // [[1], [2]]
 */
export interface TriangularSolveAttrs {
  /** L is lower triangular (else upper). */
  readonly lower: boolean;
  /** Solve Lᵀ·X = B instead of L·X = B. */
  readonly transpose: boolean;
  /** Take the diagonal of L as ones (it is not read). */
  readonly unitDiagonal: boolean;
  /**
   * Throw NON_FINITE for a NaN or Inf in L or B (absent: true). False: no
   * check; a NaN in B spreads through its own batch item's X only (an
   * iterative solver marks that item failed instead of stopping).
   */
  readonly checkFinite?: boolean;
}

/**
 * Shape rule of `op(A: [..., n, n], B: [..., n, k])`: batch dims broadcast;
 * returns the output shape [...batch, n, k].
 */
export function solveShape(op: string, a: Shape, b: Shape): number[] {
  const n = squareSize(op, a, 'A');
  if (b.length < 2 || b[b.length - 2] !== n) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `${op}: B must be [..., n, k] with n = ${n} rows to match A; got A${fmtShape(a)}, B${fmtShape(b)}. ` +
        `For a vector right-hand side use B.unsqueeze(-1).`,
    );
  }
  const batch = broadcastNamed(
    op,
    [a.slice(0, -2), b.slice(0, -2)],
    ['A', 'B'],
  );
  return [...batch, n, b[b.length - 1]];
}

/**
 * Sizes and batch maps of a solve op(A)·X = B, after checking A and B are
 * finite.
 */
export interface SolveLayout {
  readonly n: number;
  readonly k: number;
  /** For each output batch item, the batch item of A and of B it reads. */
  readonly am: Int32Array;
  readonly bm: Int32Array;
}

export function solveLayout(
  op: string,
  names: [string, string],
  a: CpuTensor,
  b: CpuTensor,
  x: CpuTensor,
): SolveLayout {
  checkFinite(op, names[0], a);
  checkFinite(op, names[1], b);
  return layoutOf(a, b, x);
}

/**
 * The NON_FINITE checks of triangularSolve, in their order (L, then B).
 * @example checkInputs(l, b); // throws NON_FINITE naming L or B
 */
export function checkInputs(a: CpuTensor, b: CpuTensor): void {
  checkFinite('triangularSolve', 'L', a);
  checkFinite('triangularSolve', 'B', b);
}

/**
 * solveLayout without the finite checks.
 * @example const { n, k, am, bm } = layoutOf(l, b, x);
 */
export function layoutOf(
  a: CpuTensor,
  b: CpuTensor,
  x: CpuTensor,
): SolveLayout {
  const r = x.shape.length;
  const outBatch = x.shape.slice(0, -2);
  return {
    n: x.shape[r - 2],
    k: x.shape[r - 1],
    am: batchMap(a.shape.slice(0, -2), outBatch),
    bm: batchMap(b.shape.slice(0, -2), outBatch),
  };
}

const zeroMaps = new Map<number, Int32Array>();
const identityMaps = new Map<number, Int32Array>();

function commonMap(
  cache: Map<number, Int32Array>,
  total: number,
  identity: boolean,
): Int32Array {
  let m = cache.get(total);
  if (m === undefined) {
    m = new Int32Array(total);
    if (identity) for (let i = 0; i < total; i++) m[i] = i;
    if (cache.size > 64) cache.clear();
    cache.set(total, m);
  }
  return m;
}

/**
 * For each output batch item, the flat batch index of an input whose batch
 * dims broadcast to `out`.
 * @example batchMap([1, 3], [2, 3]); // Int32Array [0, 1, 2, 0, 1, 2]
 */
export function batchMap(inBatch: Shape, outBatch: Shape): Int32Array {
  const total = sizeOf(outBatch);
  // The common cases, cached (maps are only read): one shared item, or no
  // broadcasting (the identity).
  if (sizeOf(inBatch) === 1) return commonMap(zeroMaps, total, false);
  if (sizeOf(inBatch) === total) return commonMap(identityMaps, total, true);
  const res = new Int32Array(total);
  const off = outBatch.length - inBatch.length;
  const inStrides = stridesOf(inBatch);
  const outStrides = stridesOf(outBatch);
  for (let i = 0; i < total; i++) {
    let idx = 0;
    for (let ax = 0; ax < inBatch.length; ax++) {
      const c = Math.floor(i / outStrides[ax + off]) % outBatch[ax + off];
      if (inBatch[ax] !== 1) idx += c * inStrides[ax];
    }
    res[i] = idx;
  }
  return res;
}

/**
 * op(L)·x = x in place for op(L) = L (no transpose): row-oriented. `l` holds
 * L at offset `lo` (row stride n). The sum for unknown i runs over the
 * already solved j (j < i forward, j > i backward): a contiguous stretch of
 * row i. Unknowns i0, i1 share the loads of x; i1 adds the i0 term last.
 */
function dotSolve1(
  l: Float64Array,
  lo: number,
  n: number,
  x: Float64Array,
  forward: boolean,
  unit: boolean,
): void {
  let s = 0;
  for (; s + 1 < n; s += 2) {
    const i0 = forward ? s : n - 1 - s; // this step solves i0, then i1
    const i1 = forward ? i0 + 1 : i0 - 1;
    const r0 = lo + i0 * n;
    const r1 = lo + i1 * n;
    const hi = forward ? i0 : n;
    let p0 = 0,
      p1 = 0,
      q0 = 0,
      q1 = 0;
    let j = forward ? 0 : i0 + 1;
    for (; j + 1 < hi; j += 2) {
      const xa = x[j];
      const xb = x[j + 1];
      p0 += l[r0 + j] * xa;
      q0 += l[r1 + j] * xa;
      p1 += l[r0 + j + 1] * xb;
      q1 += l[r1 + j + 1] * xb;
    }
    if (j < hi) {
      p0 += l[r0 + j] * x[j];
      q0 += l[r1 + j] * x[j];
    }
    const y0 = unit ? x[i0] - (p0 + p1) : (x[i0] - (p0 + p1)) / l[r0 + i0];
    x[i0] = y0;
    const v1 = x[i1] - (q0 + q1) - l[r1 + i0] * y0;
    x[i1] = unit ? v1 : v1 / l[r1 + i1];
  }
  if (s < n) dotLast(l, lo, n, x, x, forward, unit);
}

/**
 * dotSolve1 for two right-hand sides x and z at once (they share the loads of
 * L).
 */
function dotSolve2(
  l: Float64Array,
  lo: number,
  n: number,
  x: Float64Array,
  z: Float64Array,
  forward: boolean,
  unit: boolean,
): void {
  let s = 0;
  for (; s + 1 < n; s += 2) {
    const i0 = forward ? s : n - 1 - s; // this step solves i0, then i1
    const i1 = forward ? i0 + 1 : i0 - 1;
    const r0 = lo + i0 * n;
    const r1 = lo + i1 * n;
    const hi = forward ? i0 : n;
    let p0 = 0,
      p1 = 0,
      q0 = 0,
      q1 = 0;
    for (let j = forward ? 0 : i0 + 1; j < hi; j++) {
      const xa = x[j];
      const za = z[j];
      const a = l[r0 + j];
      const b = l[r1 + j];
      p0 += a * xa;
      p1 += a * za;
      q0 += b * xa;
      q1 += b * za;
    }
    const d0 = unit ? 1 : l[r0 + i0];
    const d1 = unit ? 1 : l[r1 + i1];
    const c = l[r1 + i0];
    const y0 = (x[i0] - p0) / d0;
    const w0 = (z[i0] - p1) / d0;
    x[i0] = y0;
    z[i0] = w0;
    x[i1] = (x[i1] - q0 - c * y0) / d1;
    z[i1] = (z[i1] - q1 - c * w0) / d1;
  }
  if (s < n) {
    dotLast(l, lo, n, x, z, forward, unit);
  }
}

/**
 * The one unknown left when n is odd (the last in solve order), row-oriented,
 * for x and z.
 */
function dotLast(
  l: Float64Array,
  lo: number,
  n: number,
  x: Float64Array,
  z: Float64Array,
  forward: boolean,
  unit: boolean,
): void {
  const i = forward ? n - 1 : 0;
  const r = lo + i * n;
  const hi = forward ? i : n;
  let p = 0;
  let q = 0;
  for (let j = forward ? 0 : 1; j < hi; j++) {
    p += l[r + j] * x[j];
    q += l[r + j] * z[j];
  }
  const d = unit ? 1 : l[r + i];
  x[i] = (x[i] - p) / d;
  if (z !== x) z[i] = (z[i] - q) / d;
}

/**
 * op(L)·x = x in place for op(L) = Lᵀ: column-oriented. Column i of Lᵀ is
 * row i of L, so once unknown i is known, x[j] -= L[i,j]·x[i] for the
 * unsolved j (j > i forward, j < i backward) walks row i contiguously. Four
 * unknowns i0..i3 are solved per pass (each using the ones before it), so
 * each load and store of x[j] serves four multiply-adds; two at a time,
 * then one, finish.
 */
function axpySolve1(
  l: Float64Array,
  lo: number,
  n: number,
  x: Float64Array,
  forward: boolean,
  unit: boolean,
): void {
  const d = forward ? 1 : -1; // solve order
  let s = 0;
  for (; s + 3 < n; s += 4) {
    const i0 = forward ? s : n - 1 - s;
    const [i1, i2, i3] = [i0 + d, i0 + 2 * d, i0 + 3 * d];
    const [r0, r1, r2, r3] = [
      lo + i0 * n,
      lo + i1 * n,
      lo + i2 * n,
      lo + i3 * n,
    ];
    const y0 = unit ? x[i0] : x[i0] / l[r0 + i0];
    const v1 = x[i1] - l[r0 + i1] * y0;
    const y1 = unit ? v1 : v1 / l[r1 + i1];
    const v2 = x[i2] - l[r0 + i2] * y0 - l[r1 + i2] * y1;
    const y2 = unit ? v2 : v2 / l[r2 + i2];
    const v3 = x[i3] - l[r0 + i3] * y0 - l[r1 + i3] * y1 - l[r2 + i3] * y2;
    const y3 = unit ? v3 : v3 / l[r3 + i3];
    x[i0] = y0;
    x[i1] = y1;
    x[i2] = y2;
    x[i3] = y3;
    const hi = forward ? n : i3;
    for (let j = forward ? i0 + 4 : 0; j < hi; j++) {
      x[j] -= l[r0 + j] * y0 + l[r1 + j] * y1 + l[r2 + j] * y2 + l[r3 + j] * y3;
    }
  }
  for (; s + 1 < n; s += 2) {
    const i0 = forward ? s : n - 1 - s; // this step solves i0, then i1
    const i1 = i0 + d;
    const r0 = lo + i0 * n;
    const r1 = lo + i1 * n;
    const y0 = unit ? x[i0] : x[i0] / l[r0 + i0];
    x[i0] = y0;
    const v1 = x[i1] - l[r0 + i1] * y0;
    const y1 = unit ? v1 : v1 / l[r1 + i1];
    x[i1] = y1;
    const hi = forward ? n : i1;
    for (let j = forward ? i0 + 2 : 0; j < hi; j++)
      x[j] -= l[r0 + j] * y0 + l[r1 + j] * y1;
  }
  if (s < n) {
    const i = forward ? n - 1 : 0;
    if (!unit) x[i] /= l[lo + i * n + i];
  }
}

/**
 * axpySolve1 for two right-hand sides x and z at once (they share the loads of
 * L).
 */
function axpySolve2(
  l: Float64Array,
  lo: number,
  n: number,
  x: Float64Array,
  z: Float64Array,
  forward: boolean,
  unit: boolean,
): void {
  let s = 0;
  for (; s + 1 < n; s += 2) {
    const i0 = forward ? s : n - 1 - s; // this step solves i0, then i1
    const i1 = forward ? i0 + 1 : i0 - 1;
    const r0 = lo + i0 * n;
    const r1 = lo + i1 * n;
    const d0 = unit ? 1 : l[r0 + i0];
    const d1 = unit ? 1 : l[r1 + i1];
    const c = l[r0 + i1];
    const y0 = x[i0] / d0;
    const w0 = z[i0] / d0;
    const y1 = (x[i1] - c * y0) / d1;
    const w1 = (z[i1] - c * w0) / d1;
    x[i0] = y0;
    z[i0] = w0;
    x[i1] = y1;
    z[i1] = w1;
    const hi = forward ? n : i1;
    for (let j = forward ? i0 + 2 : 0; j < hi; j++) {
      const a = l[r0 + j];
      const b = l[r1 + j];
      x[j] -= a * y0 + b * y1;
      z[j] -= a * w0 + b * w1;
    }
  }
  if (s < n) {
    const i = forward ? n - 1 : 0;
    const d = unit ? 1 : l[lo + i * n + i];
    x[i] /= d;
    z[i] /= d;
  }
}

/**
 * Solves all k columns of one batch item: columns c, c+1 are copied from
 * `src` (row-major [n, k] at `so`) into the contiguous vectors x and z,
 * solved, and copied into `dst` at `doff`.
 */
function solveItem(
  l: Float64Array,
  lo: number,
  n: number,
  k: number,
  src: ArrayLike<number>,
  so: number,
  dst: Float64Array | Float32Array,
  doff: number,
  x: Float64Array,
  z: Float64Array,
  attrs: TriangularSolveAttrs,
): void {
  const forward = attrs.lower !== attrs.transpose;
  const unit = attrs.unitDiagonal;
  for (let c = 0; c < k; c += 2) {
    const two = c + 1 < k;
    for (let i = 0; i < n; i++) x[i] = src[so + i * k + c];
    if (two) for (let i = 0; i < n; i++) z[i] = src[so + i * k + c + 1];
    if (attrs.transpose) {
      if (two) axpySolve2(l, lo, n, x, z, forward, unit);
      else axpySolve1(l, lo, n, x, forward, unit);
    } else if (two) dotSolve2(l, lo, n, x, z, forward, unit);
    else dotSolve1(l, lo, n, x, forward, unit);
    for (let i = 0; i < n; i++) dst[doff + i * k + c] = x[i];
    if (two) for (let i = 0; i < n; i++) dst[doff + i * k + c + 1] = z[i];
  }
}

/**
 * The kernel on output batch items [start, end); finite checks item by item
 * (see run).
 */
const triangularSolveBatch: CpuBatch<TriangularSolveAttrs> = {
  items: (_inputs, [x]) => sizeOf(x.shape.slice(0, -2)),
  // n² flops per column; one or two columns are memory-bound like a
  // mat-vec (see matmul's cost) and count 0.3 of that.
  cost: (_inputs, [x]) => {
    const narrow = x.shape[x.shape.length - 1] <= 2;
    return (narrow ? 0.6 : 2) * sizeOf(x.shape) * x.shape[x.shape.length - 2];
  },
  run: ([a, b], [x], attrs, start, end) => {
    const { n, k, am, bm } = layoutOf(a, b, x);
    const check = attrs.checkFinite !== false;
    if (check && am.length === 0) checkInputs(a, b);
    const nn = n * n;
    // Work vectors for two columns, made once per call (not per item).
    const wx = new Float64Array(n);
    const wz = new Float64Array(n);
    const X = x.data as Float64Array | Float32Array;
    // f32: solve against an f64 copy of L (refreshed only when the batch item
    // of L changes), so the kernels stay monomorphic and accumulate in f64.
    const l64 = a.data instanceof Float64Array ? a.data : new Float64Array(nn);
    let seen = -1;
    // A factor already known finite (a Cholesky output, or an L this
    // thread scanned whole before) is not scanned again: the scan cost as
    // much as the solve.
    const lKnown = isKnownFinite(a.data);
    for (let t = start; t < end; t++) {
      const lo = am[t] * nn;
      const bo = bm[t] * n * k;
      // Finite checks item by item, while the item is in cache (a separate
      // pass over a large batch reads L from memory twice: ~30% of a k = 1
      // solve); on a failure the full checks throw, naming the first bad
      // entry of all of L (then B), whichever item or thread saw it.
      const fresh = am[t] !== seen;
      if (
        check &&
        ((fresh && !lKnown && !allFinite(a.data, lo, lo + nn)) ||
          !allFinite(b.data, bo, bo + n * k))
      )
        checkInputs(a, b);
      if (l64 !== a.data && fresh) l64.set(a.data.subarray(lo, lo + nn));
      seen = am[t];
      solveItem(
        l64,
        l64 === a.data ? lo : 0,
        n,
        k,
        b.data,
        bo,
        X,
        t * n * k,
        wx,
        wz,
        attrs,
      );
    }
    // Every item of L was scanned (broadcasting reaches them all): remember.
    if (check && !lKnown && start === 0 && end === am.length && end > 0)
      markFinite(a.data);
  },
};

export const triangularSolve: KernelOp<TriangularSolveAttrs> =
  defineOp<TriangularSolveAttrs>({
    name: 'triangularSolve',
    shape: ([a, b]: readonly TensorMeta[]) => {
      assertFloat('triangularSolve', a.dtype, 'L');
      const dtype = assertSameDType(
        'triangularSolve',
        [a.dtype, b.dtype],
        ['L', 'B'],
      );
      return [
        { shape: solveShape('triangularSolve', a.shape, b.shape), dtype },
      ];
    },
    cpuBatch: triangularSolveBatch,
    cpu: runAll(triangularSolveBatch),
    // Every column of every item is written (JS and WebAssembly paths).
    fillsOutputs: true,
    failure: (f, inputs) =>
      nonFiniteFailure('triangularSolve', ['L', 'B'], f, inputs) ??
      unknownFailure('triangularSolve', f),
  });
