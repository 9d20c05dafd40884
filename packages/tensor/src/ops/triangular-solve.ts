/**
 * triangularSolve(L, B): X with op(L)·X = B, op(L) = L or Lᵀ, L lower or
 * upper triangular (the other triangle is never read). Batch dims of L and
 * B broadcast.
 */
import { assertFloat, assertSameDType } from '../dtype.js';
import { ShapeError } from '../errors.js';
import { assertFinite } from './finite.js';
import { defineOp, type CpuTensor, type KernelOp, type TensorMeta } from '../op.js';
import { broadcastNamed, fmtShape, sizeOf, stridesOf, type Shape } from '../shape.js';
import { squareSize } from './cholesky.js';

export interface TriangularSolveAttrs {
  /** L is lower triangular (else upper). */
  readonly lower: boolean;
  /** Solve Lᵀ·X = B instead of L·X = B. */
  readonly transpose: boolean;
  /** Take the diagonal of L as ones (it is not read). */
  readonly unitDiagonal: boolean;
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
  const batch = broadcastNamed(op, [a.slice(0, -2), b.slice(0, -2)], ['A', 'B']);
  return [...batch, n, b[b.length - 1]];
}

/**
 * For each output batch item, the flat batch index of an input whose batch
 * dims broadcast to `out`.
 */
/** Sizes and batch maps of a solve op(A)·X = B, after checking A and B are finite. */
export interface SolveLayout {
  readonly n: number;
  readonly k: number;
  /** For each output batch item, the batch item of A and of B it reads. */
  readonly am: Int32Array;
  readonly bm: Int32Array;
}

export function solveLayout(op: string, names: [string, string], a: CpuTensor, b: CpuTensor, x: CpuTensor): SolveLayout {
  assertFinite(op, names[0], a);
  assertFinite(op, names[1], b);
  const r = x.shape.length;
  const outBatch = x.shape.slice(0, -2);
  return {
    n: x.shape[r - 2],
    k: x.shape[r - 1],
    am: batchMap(a.shape.slice(0, -2), outBatch),
    bm: batchMap(b.shape.slice(0, -2), outBatch),
  };
}

export function batchMap(inBatch: Shape, outBatch: Shape): Int32Array {
  const total = sizeOf(outBatch);
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

export const triangularSolve: KernelOp<TriangularSolveAttrs> = defineOp<TriangularSolveAttrs>({
  name: 'triangularSolve',
  shape: ([a, b]: readonly TensorMeta[]) => {
    assertFloat('triangularSolve', a.dtype, 'L');
    const dtype = assertSameDType('triangularSolve', [a.dtype, b.dtype], ['L', 'B']);
    return [{ shape: solveShape('triangularSolve', a.shape, b.shape), dtype }];
  },
  cpu: ([a, b], [x], { lower, transpose, unitDiagonal }) => {
    const { n, k, am, bm } = solveLayout('triangularSolve', ['L', 'B'], a, b, x);
    const A = a.data;
    const X = x.data;
    // op(L) is lower iff (lower xor transpose): forward substitution.
    const forward = lower !== transpose;
    // element (i, j) of op(L)
    const at = (o: number, i: number, j: number): number => (transpose ? A[o + j * n + i] : A[o + i * n + j]);
    for (let t = 0; t < am.length; t++) {
      const ao = am[t] * n * n;
      const xo = t * n * k;
      X.set(b.data.subarray(bm[t] * n * k, (bm[t] + 1) * n * k), xo);
      for (let s = 0; s < n; s++) {
        const i = forward ? s : n - 1 - s;
        for (let c = 0; c < k; c++) {
          let v = X[xo + i * k + c];
          if (forward) for (let j = 0; j < i; j++) v -= at(ao, i, j) * X[xo + j * k + c];
          else for (let j = i + 1; j < n; j++) v -= at(ao, i, j) * X[xo + j * k + c];
          X[xo + i * k + c] = unitDiagonal ? v : v / at(ao, i, i);
        }
      }
    }
  },
});
