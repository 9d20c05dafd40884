/**
 * where(cond, a, b): all three broadcast; values are copied as 32-bit
 * words, so one pipeline serves every dtype.
 */
import type { NoAttrs } from '@optnet/tensor';
import type { GpuKernel } from '../types.js';
import { elementwise } from './elementwise.js';

export const where: GpuKernel<NoAttrs> = (ctx, [c, a, b], [y]) =>
  elementwise(ctx, {
    label: 'where',
    operands: [
      { name: 'c', tensor: c },
      { name: 'a', tensor: a, type: 'u32' },
      { name: 'b', tensor: b, type: 'u32' },
    ],
    out: y,
    outType: 'u32',
    expr: 'select(b, a, c != 0u)',
  });
