/**
 * gather: each output element reads x at its own coordinates with the
 * axis coordinate replaced by its index. scatterAdd, its transpose, without
 * atomics: each output element sums the src elements (along the axis, at
 * its other coordinates) whose index points at it, in index order.
 * An index outside [0, n) is a BAD_ARGUMENT failure naming the first such
 * position (see ../failures.ts); gather stores 0 there meanwhile.
 */
import type { PrimitiveAttrs } from '@optnet/tensor';
import { FAILURE_WGSL } from '../failures.js';
import { contiguous } from '../layout.js';
import type { GpuKernel } from '../types.js';
import { MAIN_1D, arrayParams, grid1d, longLoop, storageOf } from '../wgsl.js';
import { finalizeIndex } from './finalize.js';

/** WGSL: the coordinates of `i` in the index tensor's dims `P.q<d>`. */
function coordsOf(rank: number): string {
  const lines = ['var r_: u32 = i;'];
  for (let d = rank - 1; d >= 0; d--)
    lines.push(`let c${d} = i32(r_ % P.q${d}); r_ = r_ / P.q${d};`);
  return lines.join('\n  ');
}

/** Σ over dims other than the axis of coordinate · `prefix` stride. */
function offsetOf(rank: number, axis: number, prefix: string): string {
  const terms = ['0'];
  for (let d = 0; d < rank; d++)
    if (d !== axis) terms.push(`c${d} * P.${prefix}${d}`);
  return terms.join(' + ');
}

export const gather: GpuKernel<PrimitiveAttrs<'gather'>> = (
  ctx,
  [x, idx],
  [y],
  { axis },
) => {
  if (y.size === 0) return;
  const r = x.shape.length;
  const a = axis < 0 ? axis + r : axis;
  const slot = ctx.failureSlot();
  const xs = contiguous(x.shape);
  ctx.dispatch({
    label: 'gather',
    params: [
      ['n', 'u32', y.size],
      ['slot', 'u32', slot.word],
      ['len', 'i32', x.shape[a]],
      ['xa', 'i32', xs[a]],
      ...arrayParams('q', 'u32', idx.shape),
      ...arrayParams('x', 'i32', xs),
    ],
    bindings: [
      { name: 'X', type: 'u32', buffer: x.buffer },
      { name: 'IDX', type: 'i32', buffer: idx.buffer },
      { name: 'Y', type: 'u32', write: true, buffer: y.buffer },
      { name: 'S', type: 'atomic<u32>', write: true, buffer: slot.buffer },
    ],
    body: `${FAILURE_WGSL}
${MAIN_1D}
  if (i >= P.n) { return; }
  ${coordsOf(r)}
  let k = IDX[i];
  if (k < 0 || k >= P.len) {
    fail_key(0u, i);
    Y[i] = 0u;
    return;
  }
  Y[i] = X[${offsetOf(r, a, 'x')} + k * P.xa];
}`,
    groups: grid1d(y.size),
  });
  finalizeIndex(ctx, 'gather', idx, y, slot);
};

export const scatterAdd: GpuKernel<PrimitiveAttrs<'scatterAdd'>> = (
  ctx,
  [src, idx],
  [y],
  { axis, shape },
) => {
  if (y.size === 0) return;
  const r = shape.length;
  const a = axis < 0 ? axis + r : axis;
  const slot = ctx.failureSlot();
  const T = storageOf(src.dtype);
  const inRange = idx.shape
    .map((_, d) => (d === a ? '' : `c${d} < i32(P.m${d})`))
    .filter((s) => s)
    .concat(['true'])
    .join(' && ');
  ctx.dispatch({
    label: 'scatterAdd',
    params: [
      ['n', 'u32', y.size],
      ['slot', 'u32', slot.word],
      ['len', 'i32', shape[a]],
      ['k', 'u32', idx.shape[a]],
      ['ia', 'i32', contiguous(idx.shape)[a]],
      ...arrayParams('q', 'u32', shape),
      ...arrayParams('m', 'u32', idx.shape),
      ...arrayParams('s', 'i32', contiguous(idx.shape)),
    ],
    bindings: [
      { name: 'SRC', type: T, buffer: src.buffer },
      { name: 'IDX', type: 'i32', buffer: idx.buffer },
      { name: 'Y', type: T, write: true, buffer: y.buffer },
      { name: 'S', type: 'atomic<u32>', write: true, buffer: slot.buffer },
    ],
    body: `${FAILURE_WGSL}
${MAIN_1D}
  if (i >= P.n) { return; }
  ${coordsOf(r)}
  var acc: ${T} = ${T}(0);
  if (${inRange}) {
    let base = ${offsetOf(r, a, 's')};
    ${longLoop(
      'k',
      '0u',
      'P.k',
      '1u',
      `let pos = base + i32(k) * P.ia;
      let v = IDX[pos];
      if (v == c${a}) { acc += SRC[pos]; }
      if (c${a} == 0 && (v < 0 || v >= P.len)) { fail_key(0u, u32(pos)); }`,
    )}
  }
  Y[i] = acc;
}`,
    groups: grid1d(y.size),
  });
  finalizeIndex(ctx, 'scatterAdd', idx, y, slot);
};
