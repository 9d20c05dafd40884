/**
 * concat: one dispatch per input, each writing its own block of the output
 * (so any number of inputs fits the 8 storage buffers of a stage).
 */
import type { PrimitiveAttrs } from '@optnet/tensor';
import { collapse, contiguous } from '../layout.js';
import type { GpuKernel } from '../types.js';
import { MAIN_1D, arrayParams, grid1d, offsets } from '../wgsl.js';

export const concat: GpuKernel<PrimitiveAttrs<'concat'>> = (
  ctx,
  xs,
  [y],
  { axis },
) => {
  const r = y.shape.length;
  const a = axis < 0 ? axis + r : axis;
  const ys = contiguous(y.shape);
  let off = 0;
  for (const x of xs) {
    const c = collapse(x.shape, [ys]);
    if (x.size > 0) {
      ctx.dispatch({
        label: 'concat',
        params: [
          ['n', 'u32', x.size],
          ['base', 'i32', off * ys[a]],
          ...arrayParams('d', 'u32', c.shape),
          ...arrayParams('y', 'i32', c.strides[0]),
        ],
        bindings: [
          { name: 'X', type: 'u32', buffer: x.buffer },
          { name: 'Y', type: 'u32', write: true, buffer: y.buffer },
        ],
        body: `${MAIN_1D}
  if (i >= P.n) { return; }
  var o_y: i32 = P.base;
  ${offsets('i', 'd', c.shape.length, ['y'])}
  Y[o_y] = X[i];
}`,
        groups: grid1d(x.size),
      });
    }
    off += x.shape[a];
  }
};
