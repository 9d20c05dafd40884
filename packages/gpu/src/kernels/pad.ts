/**
 * pad: each output element reads x at its coordinates minus the padding
 * before, or is the pad value (as its dtype's 32-bit word) outside x.
 */
import type { DType, PrimitiveAttrs } from '@optnet/tensor';
import { contiguous } from '../layout.js';
import type { GpuKernel } from '../types.js';
import { MAIN_1D, arrayParams, grid1d } from '../wgsl.js';

/** The 32-bit word of `value` stored as `dtype`. */
function wordOf(value: number, dtype: DType): number {
  if (dtype === 'float32') {
    return new Uint32Array(new Float32Array([value]).buffer)[0];
  }
  if (dtype === 'int32') return (value | 0) >>> 0;
  return value !== 0 ? 1 : 0;
}

export const pad: GpuKernel<PrimitiveAttrs<'pad'>> = (
  ctx,
  [x],
  [y],
  { pads, value },
) => {
  if (y.size === 0) return;
  const r = y.shape.length;
  const dims: string[] = [];
  for (let d = r - 1; d >= 0; d--) {
    dims.push(`{ let c = i32(r_ % P.d${d}) - P.b${d}; r_ = r_ / P.d${d};
    if (c < 0 || c >= P.x${d}) { hit = false; }
    o_x += c * P.s${d}; }`);
  }
  ctx.dispatch({
    label: 'pad',
    params: [
      ['n', 'u32', y.size],
      ['value', 'u32', wordOf(value, y.dtype)],
      ...arrayParams('d', 'u32', y.shape),
      ...arrayParams(
        'b',
        'i32',
        pads.map((p) => p[0]),
      ),
      ...arrayParams('x', 'i32', x.shape),
      ...arrayParams('s', 'i32', contiguous(x.shape)),
    ],
    bindings: [
      { name: 'X', type: 'u32', buffer: x.buffer },
      { name: 'Y', type: 'u32', write: true, buffer: y.buffer },
    ],
    body: `${MAIN_1D}
  if (i >= P.n) { return; }
  var r_: u32 = i;
  var o_x: i32 = 0;
  var hit = true;
  ${dims.join('\n  ')}
  var v = P.value;
  if (hit) { v = X[o_x]; }
  Y[i] = v;
}`,
    groups: grid1d(y.size),
  });
};
