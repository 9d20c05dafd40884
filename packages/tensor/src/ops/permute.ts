/** permute(x, perm): reorder axes; out.shape[i] = x.shape[perm[i]]. */
import type { TypedArray } from '../dtype.js';
import { ShapeError } from '../errors.js';
import { defineOp, type KernelOp } from '../op.js';
import { stridesOf, type Shape } from '../shape.js';
import { forEachRow } from './broadcast-loop.js';

/**
 * Attributes of the permute primitive.
 * @example
 * const attrs: PermuteAttrs = { perm: [1, 0] };
 * apply1(primitives.permute, [zeros([2, 3])], attrs).shape; // [3, 2]
 */
export interface PermuteAttrs {
  /** Output axis i is input axis perm[i] (normalized). */
  readonly perm: readonly number[];
}

/** Validate a permutation of 0..rank-1 (negative entries allowed). */
export function normalizePerm(
  op: string,
  perm: readonly number[],
  rank: number,
): number[] {
  const p = perm.map((a) => (a < 0 ? a + rank : a));
  const ok =
    p.length === rank &&
    p.every((a) => Number.isInteger(a) && a >= 0 && a < rank) &&
    new Set(p).size === rank;
  if (!ok) {
    throw new ShapeError(
      'BAD_AXIS',
      `${op}: perm must be a permutation of the ${rank} axes; got [${perm.join(', ')}].`,
    );
  }
  return p;
}

/**
 * The inverse permutation: permuting by `perm`, then by `invertPerm(perm)`
 * gives the original order (permute's VJP).
 * @example
 * invertPerm([2, 0, 1]); // [1, 2, 0]
 */
export function invertPerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

export const permute: KernelOp<PermuteAttrs> = defineOp<PermuteAttrs>({
  name: 'permute',
  shape: ([x], { perm }) => {
    const p = normalizePerm('permute', perm, x.shape.length);
    return [{ shape: p.map((a) => x.shape[a]), dtype: x.dtype }];
  },
  cpu: ([x], [y], { perm }) => {
    const p = normalizePerm('permute', perm, x.shape.length);
    const r = p.length;
    if (
      r >= 2 &&
      p[r - 1] === r - 2 &&
      p[r - 2] === r - 1 &&
      p.every((a, i) => i >= r - 2 || a === i)
    ) {
      transposeLastTwo(x.data, y.data, x.shape[r - 2], x.shape[r - 1]);
      return;
    }
    const xs = stridesOf(x.shape);
    const src = p.map((a) => xs[a]) as number[];
    copyStrided(y.data, y.shape, x.data, src);
  },
  // Both paths write every element.
  fillsOutputs: true,
});

/**
 * The batched matrix transpose [..., r, c] → [..., c, r] (the common
 * permute, e.g. Gᵀ in the QP solver): plain loops over typed arrays, ~10x
 * the general strided copy, whose element access is shared by every caller.
 */
function transposeLastTwo(
  x: TypedArray,
  y: TypedArray,
  r: number,
  c: number,
): void {
  const rc = r * c;
  for (let o = 0; o < x.length; o += rc) {
    let i = 0;
    // Four rows at a time: four consecutive writes per column instead of
    // one (1.8x at [128, 50, 50]).
    for (; i + 3 < r; i += 4) {
      const xi = o + i * c;
      for (let j = 0; j < c; j++) {
        const yo = o + j * r + i;
        y[yo] = x[xi + j];
        y[yo + 1] = x[xi + c + j];
        y[yo + 2] = x[xi + 2 * c + j];
        y[yo + 3] = x[xi + 3 * c + j];
      }
    }
    for (; i < r; i++) {
      const xi = o + i * c;
      for (let j = 0; j < c; j++) y[o + j * r + i] = x[xi + j];
    }
  }
}

/** out (contiguous, outShape) ← src read with `strides` per output axis. */
export function copyStrided(
  out: { [i: number]: number; length: number },
  outShape: Shape,
  src: { [i: number]: number },
  strides: number[],
  base = 0,
): void {
  const r = outShape.length;
  if (r === 0) {
    out[0] = src[base];
    return;
  }
  const m = outShape[r - 1];
  const l = strides[r - 1];
  forEachRow(outShape, [strides], (o, [i]) => {
    for (let j = 0; j < m; j++) out[o + j] = src[base + i + j * l];
  });
}
