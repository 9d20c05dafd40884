/**
 * matmul(a, b): op(a)·op(b) over the last two axes, batched; the batch dims
 * of a and b broadcast (NumPy). op(x) = xᵀ (last two axes) when the
 * transA/transB flag is set, so VJPs need no transposed copies.
 */
import { assertFloat, assertSameDType, type TypedArray } from '../dtype.js';
import { ShapeError } from '../errors.js';
import {
  defineOp,
  runAll,
  type CpuBatch,
  type CpuTensor,
  type KernelOp,
  type TensorMeta,
} from '../op.js';
import { broadcastNamed, fmtShape, sizeOf, type Shape } from '../shape.js';
import { batchMap } from './triangular-solve.js';

/**
 * Attributes of the matmul primitive.
 * @example
 * const attrs: MatmulAttrs = { transA: false, transB: true };
 * apply1(primitives.matmul, [ones([2, 3]), ones([4, 3])], attrs); // [2, 4]
 */
export interface MatmulAttrs {
  /** Use aᵀ (swap a's last two axes). */
  readonly transA: boolean;
  /** Use bᵀ (swap b's last two axes). */
  readonly transB: boolean;
}

/** Output shape of op(a)·op(b); throws naming both shapes. */
export function matmulShape(
  aShape: Shape,
  bShape: Shape,
  transA: boolean,
  transB: boolean,
): number[] {
  if (aShape.length < 2 || bShape.length < 2) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `matmul: both operands must have at least 2 dims; got a${fmtShape(aShape)} and b${fmtShape(bShape)}. ` +
        `Unsqueeze vectors to [1, k] or [k, 1].`,
    );
  }
  const ra = aShape.length;
  const rb = bShape.length;
  const m = transA ? aShape[ra - 1] : aShape[ra - 2];
  const ka = transA ? aShape[ra - 2] : aShape[ra - 1];
  const kb = transB ? bShape[rb - 1] : bShape[rb - 2];
  const n = transB ? bShape[rb - 2] : bShape[rb - 1];
  if (ka !== kb) {
    const ta = transA ? 'ᵀ' : '';
    const tb = transB ? 'ᵀ' : '';
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `matmul: inner dimensions must agree; got a${ta}${fmtShape(aShape)} and b${tb}${fmtShape(bShape)} ` +
        `(${ka} vs ${kb}). a's last axis must equal b's second-to-last; transpose an operand if needed.`,
    );
  }
  const batch = broadcastNamed(
    'matmul',
    [aShape.slice(0, -2), bShape.slice(0, -2)],
    ['a batch', 'b batch'],
  );
  return [...batch, m, n];
}

/**
 * C[cOff..] += op(A)·B for one [m,k]×[k,n] product; B row-major [k,n]
 * (contiguous rows). A is [m,k], or [k,m] when transA. i-k-j order with the
 * inner loop over contiguous rows of B and C, two rows of C × four k per
 * pass (≈4 GFLOP/s at 256³ in V8). Float64Array only, so V8 keeps it
 * monomorphic; float32 tensors are widened by the caller.
 */
export function gemmAcc(
  A: Float64Array,
  aOff: number,
  transA: boolean,
  B: Float64Array,
  bOff: number,
  C: Float64Array,
  cOff: number,
  m: number,
  k: number,
  n: number,
  lda: number = transA ? m : k,
): void {
  // lda: the row stride of the stored A (differs from m when computing a
  // block of rows of a transposed A).
  const sAi = transA ? 1 : lda; // stride of i in A
  const sAp = transA ? lda : 1; // stride of p in A
  const k4 = k - (k % 4);
  let i = 0;
  for (; i + 1 < m; i += 2) {
    const c0 = cOff + i * n;
    const c1 = c0 + n;
    const ai = aOff + i * sAi;
    const aj = ai + sAi;
    let p = 0;
    for (; p < k4; p += 4) {
      const q = p * sAp;
      const a0 = A[ai + q],
        a1 = A[ai + q + sAp],
        a2 = A[ai + q + 2 * sAp],
        a3 = A[ai + q + 3 * sAp];
      const d0 = A[aj + q],
        d1 = A[aj + q + sAp],
        d2 = A[aj + q + 2 * sAp],
        d3 = A[aj + q + 3 * sAp];
      const b0 = bOff + p * n;
      const b1 = b0 + n;
      const b2 = b1 + n;
      const b3 = b2 + n;
      for (let j = 0; j < n; j++) {
        const x0 = B[b0 + j],
          x1 = B[b1 + j],
          x2 = B[b2 + j],
          x3 = B[b3 + j];
        C[c0 + j] += a0 * x0 + a1 * x1 + a2 * x2 + a3 * x3;
        C[c1 + j] += d0 * x0 + d1 * x1 + d2 * x2 + d3 * x3;
      }
    }
    for (; p < k; p++) {
      const a0 = A[ai + p * sAp];
      const d0 = A[aj + p * sAp];
      const b0 = bOff + p * n;
      for (let j = 0; j < n; j++) {
        const x0 = B[b0 + j];
        C[c0 + j] += a0 * x0;
        C[c1 + j] += d0 * x0;
      }
    }
  }
  for (; i < m; i++) {
    const c0 = cOff + i * n;
    const ai = aOff + i * sAi;
    for (let p = 0; p < k; p++) {
      const a0 = A[ai + p * sAp];
      const b0 = bOff + p * n;
      for (let j = 0; j < n; j++) C[c0 + j] += a0 * B[b0 + j];
    }
  }
}

/**
 * C[cOff..cOff+m] += op(A)·x for one [m,k]×[k,1] product (the n = 1 case
 * of gemmAcc, whose inner loop would have length 1). Both forms walk A
 * contiguously and take four rows of the stored A per pass, so each load
 * of x (or of C) serves four multiply-adds: without transA four dot
 * products at once, with transA C += four scaled rows at once. Measured on
 * [128, 50, 50]: 360 → 230 µs, and 560 → 250 µs with transA (one row per
 * pass before); the QP solver's iterations are mostly these.
 */
export function gemvAcc(
  A: Float64Array,
  aOff: number,
  transA: boolean,
  x: Float64Array,
  xOff: number,
  C: Float64Array,
  cOff: number,
  m: number,
  k: number,
): void {
  if (transA) gemvTransAcc(A, aOff, x, xOff, C, cOff, m, k);
  else gemvDot4Acc(A, aOff, x, xOff, C, cOff, m, k);
}

/** C += Aᵀx for a stored [k, m] A: C += x[p]·(row p of A), four rows a pass. */
function gemvTransAcc(
  A: Float64Array,
  aOff: number,
  x: Float64Array,
  xOff: number,
  C: Float64Array,
  cOff: number,
  m: number,
  k: number,
): void {
  let p = 0;
  for (; p + 3 < k; p += 4) {
    const x0 = x[xOff + p],
      x1 = x[xOff + p + 1],
      x2 = x[xOff + p + 2],
      x3 = x[xOff + p + 3];
    const r0 = aOff + p * m,
      r1 = r0 + m,
      r2 = r1 + m,
      r3 = r2 + m;
    for (let i = 0; i < m; i++)
      C[cOff + i] +=
        A[r0 + i] * x0 + A[r1 + i] * x1 + A[r2 + i] * x2 + A[r3 + i] * x3;
  }
  for (; p < k; p++) {
    const xp = x[xOff + p];
    const row = aOff + p * m;
    for (let i = 0; i < m; i++) C[cOff + i] += A[row + i] * xp;
  }
}

/** C += A·x for short rows: one row a pass, four partial sums. */
function gemvDotAcc(
  A: Float64Array,
  aOff: number,
  x: Float64Array,
  xOff: number,
  C: Float64Array,
  cOff: number,
  m: number,
  k: number,
): void {
  const k4 = k - (k % 4);
  for (let i = 0; i < m; i++) {
    const row = aOff + i * k;
    let s0 = 0,
      s1 = 0,
      s2 = 0,
      s3 = 0;
    let p = 0;
    for (; p < k4; p += 4) {
      s0 += A[row + p] * x[xOff + p];
      s1 += A[row + p + 1] * x[xOff + p + 1];
      s2 += A[row + p + 2] * x[xOff + p + 2];
      s3 += A[row + p + 3] * x[xOff + p + 3];
    }
    for (; p < k; p++) s0 += A[row + p] * x[xOff + p];
    C[cOff + i] += s0 + s1 + s2 + s3;
  }
}

/** C += A·x: four rows a pass sharing each load of x. */
function gemvDot4Acc(
  A: Float64Array,
  aOff: number,
  x: Float64Array,
  xOff: number,
  C: Float64Array,
  cOff: number,
  m: number,
  k: number,
): void {
  let i = 0;
  for (; i + 3 < m; i += 4) {
    const r0 = aOff + i * k,
      r1 = r0 + k,
      r2 = r1 + k,
      r3 = r2 + k;
    let s0 = 0,
      s1 = 0,
      s2 = 0,
      s3 = 0;
    for (let p = 0; p < k; p++) {
      const xp = x[xOff + p];
      s0 += A[r0 + p] * xp;
      s1 += A[r1 + p] * xp;
      s2 += A[r2 + p] * xp;
      s3 += A[r3 + p] * xp;
    }
    C[cOff + i] += s0;
    C[cOff + i + 1] += s1;
    C[cOff + i + 2] += s2;
    C[cOff + i + 3] += s3;
  }
  if (i < m) gemvDotAcc(A, aOff + i * k, x, xOff, C, cOff + i, m - i, k);
}

/**
 * C[cOff..] = AᵀA for one stored [k, m] block A (a Gram matrix, BLAS's
 * syrk): only the upper triangle is accumulated, as a sum of outer
 * products of A's contiguous rows four at a time, then mirrored. Half the
 * flops of gemmAcc for the same product.
 */
export function syrkAcc(
  A: Float64Array,
  aOff: number,
  C: Float64Array,
  cOff: number,
  m: number,
  k: number,
): void {
  const k4 = k - (k % 4);
  let p = 0;
  for (; p < k4; p += 4) syrkRows4(A, aOff + p * m, C, cOff, m);
  for (; p < k; p++) {
    const r0 = aOff + p * m;
    for (let i = 0; i < m; i++) {
      const a0 = A[r0 + i];
      const c = cOff + i * m;
      for (let j = i; j < m; j++) C[c + j] += a0 * A[r0 + j];
    }
  }
  for (let i = 1; i < m; i++)
    for (let j = 0; j < i; j++) C[cOff + i * m + j] = C[cOff + j * m + i];
}

/**
 * Upper triangle of C += (four rows of A from r0)ᵀ(the same rows), two rows
 * of C at a time so each load of A serves eight multiply-adds.
 */
function syrkRows4(
  A: Float64Array,
  r0: number,
  C: Float64Array,
  cOff: number,
  m: number,
): void {
  const r1 = r0 + m,
    r2 = r1 + m,
    r3 = r2 + m;
  let i = 0;
  for (; i + 1 < m; i += 2) {
    const a0 = A[r0 + i],
      a1 = A[r1 + i],
      a2 = A[r2 + i],
      a3 = A[r3 + i];
    const b0 = A[r0 + i + 1],
      b1 = A[r1 + i + 1],
      b2 = A[r2 + i + 1],
      b3 = A[r3 + i + 1];
    const c = cOff + i * m;
    const d = c + m;
    C[c + i] += a0 * a0 + a1 * a1 + a2 * a2 + a3 * a3;
    for (let j = i + 1; j < m; j++) {
      const x0 = A[r0 + j],
        x1 = A[r1 + j],
        x2 = A[r2 + j],
        x3 = A[r3 + j];
      C[c + j] += a0 * x0 + a1 * x1 + a2 * x2 + a3 * x3;
      C[d + j] += b0 * x0 + b1 * x1 + b2 * x2 + b3 * x3;
    }
  }
  if (i < m) {
    const a0 = A[r0 + i],
      a1 = A[r1 + i],
      a2 = A[r2 + i],
      a3 = A[r3 + i];
    C[cOff + i * m + i] += a0 * a0 + a1 * a1 + a2 * a2 + a3 * a3;
  }
}

/** The data as a Float64Array (itself when it already is one). */
export function asF64(d: TypedArray): Float64Array {
  return d instanceof Float64Array ? d : Float64Array.from(d);
}

/** [r, c] block at `off` → its transpose [c, r] in `out`. */
function transposeInto(
  src: Float64Array,
  off: number,
  r: number,
  c: number,
  out: Float64Array,
): void {
  for (let i = 0; i < r; i++) {
    const o = off + i * c;
    for (let j = 0; j < c; j++) out[j * r + i] = src[o + j];
  }
}

/**
 * Sizes of op(a)·op(b) and, per output batch item, the batch items of a and b
 * it reads.
 */
export interface MatmulLayout {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly am: Int32Array;
  readonly bm: Int32Array;
}

/**
 * The MatmulLayout of a call.
 * @example const { m, n, k } = layout(a, b, y, false);
 */
export function layout(
  a: TensorMeta,
  b: TensorMeta,
  y: TensorMeta,
  transA: boolean,
): MatmulLayout {
  const r = y.shape.length;
  const outBatch = y.shape.slice(0, -2);
  return {
    m: y.shape[r - 2],
    n: y.shape[r - 1],
    k: transA ? a.shape[a.shape.length - 2] : a.shape[a.shape.length - 1],
    am: batchMap(a.shape.slice(0, -2), outBatch),
    bm: batchMap(b.shape.slice(0, -2), outBatch),
  };
}

/**
 * op(a)·op(b) for output items [start, end) into C (item t at (t - start)·m·n
 * when C is scratch).
 */
function gemmRange(
  A: Float64Array,
  Bd: Float64Array,
  C: Float64Array,
  base: number,
  l: MatmulLayout,
  transA: boolean,
  transB: boolean,
  start: number,
  end: number,
): void {
  const { m, n, k, am, bm } = l;
  const bt = transB ? new Float64Array(k * n) : null;
  let lastB = -1;
  for (let t = start; t < end; t++) {
    let B = Bd;
    let bOff = bm[t] * k * n;
    if (bt !== null) {
      if (bm[t] !== lastB) transposeInto(Bd, bOff, n, k, bt);
      lastB = bm[t];
      B = bt;
      bOff = 0;
    }
    gemmAcc(A, am[t] * m * k, transA, B, bOff, C, (t - base) * m * n, m, k, n);
  }
}

/**
 * A single (unbatched) product with n > 1 and at least this many rows is
 * split into blocks of ROW_BLOCK rows instead of batch items, so threads can
 * share it (the MLP's 2-D matmuls). Decided from shapes only, so the
 * arithmetic is the same with threads on or off; such products never take
 * the Gram path (its mirror step crosses row blocks).
 */
const ROW_BLOCK = 16;
const ROW_SPLIT_MIN = 64;

/**
 * Whether a call is split by row blocks (see ROW_BLOCK) instead of batch
 * items.
 * @example if (rowBlocked(y)) return runRows(a, b, y, tA, tB, start, end);
 */
export function rowBlocked(y: TensorMeta): boolean {
  const r = y.shape.length;
  return (
    sizeOf(y.shape.slice(0, -2)) === 1 &&
    y.shape[r - 1] > 1 &&
    y.shape[r - 2] >= ROW_SPLIT_MIN
  );
}

/**
 * The rows [r0, r1) of the output that row blocks [start, end) cover.
 * @example const [r0, r1] = rowBlockRows(y, 0, 2); // [0, 32] for m ≥ 32
 */
export function rowBlockRows(
  y: TensorMeta,
  start: number,
  end: number,
): [number, number] {
  const m = y.shape[y.shape.length - 2];
  return [start * ROW_BLOCK, Math.min(end * ROW_BLOCK, m)];
}

/** Rows [start·ROW_BLOCK, end·ROW_BLOCK) of one product op(a)·op(b). */
function runRows(
  a: CpuTensor,
  b: CpuTensor,
  y: CpuTensor,
  transA: boolean,
  transB: boolean,
  start: number,
  end: number,
): void {
  const { m, n, k } = layout(a, b, y, transA);
  const r0 = start * ROW_BLOCK;
  const r1 = Math.min(end * ROW_BLOCK, m);
  const A = asF64(a.data);
  let B = asF64(b.data);
  if (transB) {
    const bt = new Float64Array(k * n);
    transposeInto(B, 0, n, k, bt);
    B = bt;
  }
  const direct = y.data instanceof Float64Array;
  const C = direct ? (y.data as Float64Array) : new Float64Array((r1 - r0) * n);
  const cOff = direct ? r0 * n : 0;
  // Row r0 of op(A): row r0 of A, or column r0 of the stored [k, m] A.
  gemmAcc(
    A,
    transA ? r0 : r0 * k,
    transA,
    B,
    0,
    C,
    cOff,
    r1 - r0,
    k,
    n,
    transA ? m : k,
  );
  if (!direct) y.data.set(C, r0 * n);
}

/**
 * aᵀ·a with both operands the same data and shape (a reshape shares the
 * buffer, so the data alone is not enough): a symmetric Gram matrix,
 * computed on one triangle and mirrored.
 */
/** @example if (isGram(a, b, transA, transB)) syrkAcc(...); */
export function isGram(
  a: CpuTensor,
  b: CpuTensor,
  transA: boolean,
  transB: boolean,
): boolean {
  return (
    a.data === b.data && transA && !transB && a.shape.join() === b.shape.join()
  );
}

/**
 * The kernel on output batch items [start, end) (or row blocks, see
 * rowBlocked). float32 data is widened to f64 and the items' results
 * narrowed back into their part of y only.
 */
const matmulBatch: CpuBatch<MatmulAttrs> = {
  items: (_inputs, [y]) => {
    if (!rowBlocked(y)) return sizeOf(y.shape.slice(0, -2));
    return Math.ceil(y.shape[y.shape.length - 2] / ROW_BLOCK);
  },
  // Flops, except that a mat-vec (n = 1) is memory-bound and gains far less
  // from a second core, so it counts 0.3 of its flops: on 2 cores a split
  // [128, 50, 50] mat-vec was no faster, [128, 64, 64] and up were.
  cost: ([a], [y], { transA }) => {
    const k = transA
      ? a.shape[a.shape.length - 2]
      : a.shape[a.shape.length - 1];
    const matVec = y.shape[y.shape.length - 1] === 1;
    return (matVec ? 0.6 : 2) * sizeOf(y.shape) * k;
  },
  run: ([a, b], [y], { transA, transB }, start, end) => {
    if (rowBlocked(y)) return runRows(a, b, y, transA, transB, start, end);
    const l = layout(a, b, y, transA);
    const { m, n, k, am, bm } = l;
    const mn = m * n;
    const A = asF64(a.data);
    const Bd = asF64(b.data);
    const direct = y.data instanceof Float64Array;
    const C = direct
      ? (y.data as Float64Array)
      : new Float64Array((end - start) * mn);
    const base = direct ? 0 : start;
    if (n === 1) {
      // Matrix-vector: B is [k, 1] (or [1, k] with transB, the same memory).
      for (let t = start; t < end; t++)
        gemvAcc(
          A,
          am[t] * m * k,
          transA,
          Bd,
          bm[t] * k,
          C,
          (t - base) * m,
          m,
          k,
        );
    } else if (isGram(a, b, transA, transB)) {
      for (let t = start; t < end; t++)
        syrkAcc(A, am[t] * m * k, C, (t - base) * mn, m, k);
    } else {
      gemmRange(A, Bd, C, base, l, transA, transB, start, end);
    }
    if (!direct) y.data.set(C, start * mn);
  },
};

export const matmul: KernelOp<MatmulAttrs> = defineOp<MatmulAttrs>({
  name: 'matmul',
  shape: ([a, b]: readonly TensorMeta[], { transA, transB }) => {
    const shape = matmulShape(a.shape, b.shape, transA, transB);
    assertFloat('matmul', a.dtype, 'a');
    const dtype = assertSameDType('matmul', [a.dtype, b.dtype], ['a', 'b']);
    return [{ shape, dtype }];
  },
  cpuBatch: matmulBatch,
  cpu: runAll(matmulBatch),
});
