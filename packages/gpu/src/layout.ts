/**
 * Index arithmetic done on the host before a dispatch: strides, broadcast
 * strides, and collapsing dims that every operand walks contiguously, so
 * a kernel's index loop runs over as few dims as possible.
 */

/** Row-major strides of a contiguous array of `shape`. */
export function contiguous(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d];
  }
  return s;
}

/**
 * Strides to read an input of shape `from` at the indices of `to` (NumPy
 * broadcasting: missing leading dims and dims of size 1 get stride 0).
 */
export function broadcastStrides(
  from: readonly number[],
  to: readonly number[],
): number[] {
  const own = contiguous(from);
  const off = to.length - from.length;
  return to.map((_, d) => (d < off || from[d - off] === 1 ? 0 : own[d - off]));
}

/** A shape and one stride list per operand, after collapsing. */
export interface Collapsed {
  readonly shape: number[];
  readonly strides: number[][];
}

/**
 * Drop dims of size 1 and merge neighbours d, d+1 wherever every operand
 * has stride[d] = stride[d+1]·shape[d+1]: the same addresses in fewer
 * dims (an elementwise op on equal shapes becomes one dim).
 * @example collapse([2, 3], [[3, 1]]); // { shape: [6], strides: [[1]] }
 */
export function collapse(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
): Collapsed {
  const keep = shape.map((n, d) => d).filter((d) => shape[d] !== 1);
  const out: Collapsed = { shape: [], strides: strides.map(() => []) };
  for (const d of keep) {
    const last = out.shape.length - 1;
    const merge =
      last >= 0 &&
      strides.every((s, k) => out.strides[k][last] === s[d] * shape[d]);
    if (merge) {
      out.shape[last] *= shape[d];
      strides.forEach((s, k) => (out.strides[k][last] = s[d]));
    } else {
      out.shape.push(shape[d]);
      strides.forEach((s, k) => out.strides[k].push(s[d]));
    }
  }
  return out;
}

/** The product of the dims. */
export function sizeOfShape(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
