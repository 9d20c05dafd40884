/**
 * The strided copy behind permute, expand, slice and flip: out[i] =
 * x[base + Σ coordᵈ · strideᵈ] over out's dims (strides may be 0 or
 * negative), as 32-bit words, so one pipeline serves every dtype.
 */
import { collapse } from '../layout.js';
import type { GpuTensor, KernelContext } from '../types.js';
import { MAIN_1D, arrayParams, grid1d, offsets } from '../wgsl.js';

/**
 * Record out ← x read at `base` with `strides` (one per dim of out).
 * @example stridedCopy(ctx, 'flip', x, y, [-1], 2); // y = x reversed
 */
export function stridedCopy(
  ctx: KernelContext,
  label: string,
  x: GpuTensor,
  y: GpuTensor,
  strides: readonly number[],
  base: number,
): void {
  if (y.size === 0) return;
  const c = collapse(y.shape, [strides]);
  ctx.dispatch({
    label,
    params: [
      ['n', 'u32', y.size],
      ['base', 'i32', base],
      ...arrayParams('d', 'u32', c.shape),
      ...arrayParams('x', 'i32', c.strides[0]),
    ],
    bindings: [
      { name: 'X', type: 'u32', buffer: x.buffer },
      { name: 'Y', type: 'u32', write: true, buffer: y.buffer },
    ],
    body: `${MAIN_1D}
  if (i >= P.n) { return; }
  var o_x: i32 = P.base;
  ${offsets('i', 'd', c.shape.length, ['x'])}
  Y[i] = X[o_x];
}`,
    groups: grid1d(y.size),
  });
}

/** One axis of a slice, resolved: first index, step, count. */
export interface Resolved {
  readonly start: number;
  readonly step: number;
  readonly len: number;
}

/** A slice spec as attrs hold it (NumPy's start:stop:step). */
interface Spec {
  readonly start?: number | null;
  readonly stop?: number | null;
  readonly step?: number | null;
}

const clamp = (v: number, lo: number, hi: number): number =>
  Math.min(Math.max(v, lo), hi);

/**
 * NumPy's slice resolution against `shape` (the shape rule has checked
 * the specs): negative indices count from the end, bounds clamp.
 */
export function resolve(
  shape: readonly number[],
  specs: readonly Spec[],
): Resolved[] {
  return shape.map((n, a) => {
    const s = specs[a] ?? {};
    const step = s.step ?? 1;
    const norm = (v: number): number => (v < 0 ? v + n : v);
    if (step > 0) {
      const start = clamp(s.start == null ? 0 : norm(s.start), 0, n);
      const stop = clamp(s.stop == null ? n : norm(s.stop), 0, n);
      return {
        start,
        step,
        len: Math.max(0, Math.ceil((stop - start) / step)),
      };
    }
    const start = clamp(s.start == null ? n - 1 : norm(s.start), -1, n - 1);
    const stop = clamp(s.stop == null ? -1 : norm(s.stop), -1, n - 1);
    return { start, step, len: Math.max(0, Math.ceil((start - stop) / -step)) };
  });
}
