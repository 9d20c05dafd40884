/** expand: a strided copy with stride 0 along the broadcast axes. */
import type { PrimitiveAttrs } from '@optnet/tensor';
import { broadcastStrides } from '../layout.js';
import type { GpuKernel } from '../types.js';
import { stridedCopy } from './strided.js';

export const expand: GpuKernel<PrimitiveAttrs<'expand'>> = (ctx, [x], [y]) =>
  stridedCopy(ctx, 'expand', x, y, broadcastStrides(x.shape, y.shape), 0);
