/** flip: a strided copy with negated strides along the flipped axes. */
import type { PrimitiveAttrs } from '@optnet/tensor';
import { contiguous } from '../layout.js';
import type { GpuKernel } from '../types.js';
import { stridedCopy } from './strided.js';

export const flip: GpuKernel<PrimitiveAttrs<'flip'>> = (
  ctx,
  [x],
  [y],
  { axes },
) => {
  const st = contiguous(x.shape);
  const r = x.shape.length;
  let base = 0;
  for (const a0 of axes) {
    const a = a0 < 0 ? a0 + r : a0;
    if (x.shape[a] > 0) base += (x.shape[a] - 1) * st[a];
    st[a] = -st[a];
  }
  stridedCopy(ctx, 'flip', x, y, st, base);
};
