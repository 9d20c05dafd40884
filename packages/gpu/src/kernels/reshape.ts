/**
 * reshape: the same words in a new shape. The backend shares the buffer
 * (`share`), so this copy runs only where a caller asks for the kernel.
 */
import type { PrimitiveAttrs } from '@optnet/tensor';
import type { GpuKernel } from '../types.js';

export const reshape: GpuKernel<PrimitiveAttrs<'reshape'>> = (ctx, [x], [y]) =>
  ctx.copy(x.buffer, y.buffer, y.size * 4);
