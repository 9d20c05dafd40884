/** permute: a strided copy reading x's axis perm[d] along out's axis d. */
import type { PrimitiveAttrs } from '@optnet/tensor';
import { contiguous } from '../layout.js';
import type { GpuKernel } from '../types.js';
import { stridedCopy } from './strided.js';

export const permute: GpuKernel<PrimitiveAttrs<'permute'>> = (
  ctx,
  [x],
  [y],
  { perm },
) => {
  const st = contiguous(x.shape);
  const r = x.shape.length;
  const p = perm.map((a) => (a < 0 ? a + r : a));
  stridedCopy(
    ctx,
    'permute',
    x,
    y,
    p.map((a) => st[a]),
    0,
  );
};
