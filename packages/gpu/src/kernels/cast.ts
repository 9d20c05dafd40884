/**
 * cast: float → int truncates toward zero (NaN → 0, as Math.trunc stored
 * to an Int32Array gives), anything → bool is `≠ 0` (NaN → true), bool
 * and int → float convert exactly (ints up to 2^24).
 */
import type { DType, PrimitiveAttrs } from '@optnet/tensor';
import type { GpuKernel } from '../types.js';
import { elementwise } from './elementwise.js';

function castExpr(from: DType, to: DType): string {
  if (from === to) return 'x';
  if (to === 'bool')
    return from === 'float32'
      ? 'select(0u, 1u, x != 0.0 || is_nan(x))'
      : 'select(0u, 1u, x != 0)';
  if (to === 'int32')
    return from === 'float32'
      ? 'select(i32(trunc(x)), 0, !is_finite(x))'
      : 'i32(x)';
  return 'f32(x)';
}

export const cast: GpuKernel<PrimitiveAttrs<'cast'>> = (ctx, [x], [y]) =>
  elementwise(ctx, {
    label: 'cast',
    operands: [{ name: 'x', tensor: x }],
    out: y,
    expr: castExpr(x.dtype, y.dtype),
  });
