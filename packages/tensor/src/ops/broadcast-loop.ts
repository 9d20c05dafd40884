/**
 * Strided loops shared by the elementwise CPU kernels: each input is read
 * through broadcast strides (0 on an axis it is broadcast along).
 */
import type { TypedArray } from '../dtype.js';
import { sizeOf, type Shape } from '../shape.js';

/** Element strides of `inShape` read as `outShape` (0 where broadcast). */
export function broadcastStrides(inShape: Shape, outShape: Shape): number[] {
  const r = outShape.length;
  const off = r - inShape.length;
  const s = new Array<number>(r).fill(0);
  let acc = 1;
  for (let i = inShape.length - 1; i >= 0; i--) {
    s[i + off] = inShape[i] === 1 ? 0 : acc;
    acc *= inShape[i];
  }
  return s;
}

/**
 * Offsets into each input for every row of the output's last axis.
 * Calls `row(outOffset, inOffsets)` once per row; the inner loop over the
 * last axis is left to the caller with `lastStrides`.
 */
export function forEachRow(
  outShape: Shape,
  strides: number[][],
  row: (outOffset: number, inOffsets: number[]) => void,
): void {
  const r = outShape.length;
  const n = r === 0 ? 1 : outShape[r - 1];
  const rows = n === 0 ? 0 : sizeOf(outShape) / n;
  const idx = new Array<number>(Math.max(r - 1, 0)).fill(0);
  const offs = strides.map(() => 0);
  for (let o = 0; o < rows; o++) {
    row(o * n, offs);
    // Odometer over the leading axes, updating each input's offset.
    for (let ax = r - 2; ax >= 0; ax--) {
      idx[ax]++;
      for (let k = 0; k < strides.length; k++) offs[k] += strides[k][ax];
      if (idx[ax] < outShape[ax]) break;
      for (let k = 0; k < strides.length; k++)
        offs[k] -= strides[k][ax] * outShape[ax];
      idx[ax] = 0;
    }
  }
}

/**
 * One row of a binary kernel: out[o + j] = f(a[ia + j·la], b[ib + j·lb]) for
 * j < m. Each op defines its own literal (see binary.ts) so V8 inlines the
 * arithmetic; a shared loop calling `f` per element is several times
 * slower because the call site sees every op.
 */
export type RowKernel = (
  out: TypedArray,
  o: number,
  a: TypedArray,
  ia: number,
  la: number,
  b: TypedArray,
  ib: number,
  lb: number,
  m: number,
) => void;

/** A RowKernel from an element function (for ops off the hot path). */
export function rowKernelOf(f: (x: number, y: number) => number): RowKernel {
  return (out, o, a, ia, la, b, ib, lb, m) => {
    for (let j = 0; j < m; j++) out[o + j] = f(a[ia + j * la], b[ib + j * lb]);
  };
}

/**
 * out = f(a, b) with broadcasting; whole-array fast paths for equal shapes and
 * scalars.
 */
export function binaryLoop(
  out: TypedArray,
  outShape: Shape,
  a: TypedArray,
  aShape: Shape,
  b: TypedArray,
  bShape: Shape,
  row: RowKernel,
): void {
  const n = out.length;
  if (a.length === n && b.length === n) return row(out, 0, a, 0, 1, b, 0, 1, n);
  if (a.length === n && b.length === 1) return row(out, 0, a, 0, 1, b, 0, 0, n);
  if (b.length === n && a.length === 1) return row(out, 0, a, 0, 0, b, 0, 1, n);
  const r = outShape.length;
  const m = outShape[r - 1];
  // One operand full, the other a column [..., 1] along the same leading
  // axes (a step length times a direction, in the QP solver): row by row.
  // (A broadcast operand with last axis 1 and n/m elements can only be that.)
  if (
    m > 0 &&
    a.length === n &&
    b.length * m === n &&
    bShape[bShape.length - 1] === 1
  ) {
    for (let o = 0, i = 0; o < n; o += m, i++) row(out, o, a, o, 1, b, i, 0, m);
    return;
  }
  if (
    m > 0 &&
    b.length === n &&
    a.length * m === n &&
    aShape[aShape.length - 1] === 1
  ) {
    for (let o = 0, i = 0; o < n; o += m, i++) row(out, o, a, i, 0, b, o, 1, m);
    return;
  }
  const sa = broadcastStrides(aShape, outShape);
  const sb = broadcastStrides(bShape, outShape);
  const la = sa[r - 1];
  const lb = sb[r - 1];
  forEachRow(outShape, [sa, sb], (o, [ia, ib]) =>
    row(out, o, a, ia, la, b, ib, lb, m),
  );
}
