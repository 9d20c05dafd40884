/**
 * slice: a strided copy (start and step folded into base and strides).
 * sliceScatter: each output element finds whether it lies on the slice,
 * (c − start) a multiple of step with quotient in [0, len), and takes g's
 * element there, else 0.
 */
import type { PrimitiveAttrs } from '@optnet/tensor';
import { contiguous } from '../layout.js';
import type { GpuKernel } from '../types.js';
import { MAIN_1D, arrayParams, grid1d } from '../wgsl.js';
import { resolve, stridedCopy } from './strided.js';

export const slice: GpuKernel<PrimitiveAttrs<'slice'>> = (
  ctx,
  [x],
  [y],
  { specs },
) => {
  const rs = resolve(x.shape, specs);
  const st = contiguous(x.shape);
  let base = 0;
  rs.forEach((r, a) => {
    if (r.len > 0) base += r.start * st[a];
  });
  stridedCopy(
    ctx,
    'slice',
    x,
    y,
    rs.map((r, a) => st[a] * r.step),
    base,
  );
};

export const sliceScatter: GpuKernel<PrimitiveAttrs<'sliceScatter'>> = (
  ctx,
  [g],
  [y],
  { shape, specs },
) => {
  if (y.size === 0) return;
  const rs = resolve(shape, specs);
  const r = shape.length;
  const gs = contiguous(g.shape);
  const dims: string[] = [];
  for (let d = r - 1; d >= 0; d--) {
    dims.push(`{ let c = i32(r_ % P.d${d}); r_ = r_ / P.d${d};
    let t = c - P.st${d};
    let q = t / P.sp${d};
    if (t % P.sp${d} != 0 || q < 0 || q >= P.ln${d}) { hit = false; }
    o_g += q * P.g${d}; }`);
  }
  ctx.dispatch({
    label: 'sliceScatter',
    params: [
      ['n', 'u32', y.size],
      ...arrayParams('d', 'u32', shape),
      ...arrayParams(
        'st',
        'i32',
        rs.map((s) => s.start),
      ),
      ...arrayParams(
        'sp',
        'i32',
        rs.map((s) => s.step),
      ),
      ...arrayParams(
        'ln',
        'i32',
        rs.map((s) => s.len),
      ),
      ...arrayParams('g', 'i32', gs),
    ],
    bindings: [
      { name: 'G', type: 'u32', buffer: g.buffer },
      { name: 'Y', type: 'u32', write: true, buffer: y.buffer },
    ],
    body: `${MAIN_1D}
  if (i >= P.n) { return; }
  var r_: u32 = i;
  var o_g: i32 = 0;
  var hit = true;
  ${dims.join('\n  ')}
  var v = 0u;
  if (hit) { v = G[o_g]; }
  Y[i] = v;
}`,
    groups: grid1d(y.size),
  });
};
