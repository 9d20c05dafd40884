/** diagonal: y[t, i] = A[t, i, i], as 32-bit words (any dtype). */
import type { NoAttrs } from '@optnet/tensor';
import type { GpuKernel } from '../types.js';
import { MAIN_1D, grid1d } from '../wgsl.js';

export const diagonal: GpuKernel<NoAttrs> = (ctx, [a], [y]) => {
  if (y.size === 0) return;
  const n = a.shape[a.shape.length - 1];
  ctx.dispatch({
    label: 'diagonal',
    params: [
      ['size', 'u32', y.size],
      ['n', 'u32', n],
    ],
    bindings: [
      { name: 'A', type: 'u32', buffer: a.buffer },
      { name: 'Y', type: 'u32', write: true, buffer: y.buffer },
    ],
    body: `${MAIN_1D}
  if (i >= P.size) { return; }
  let d = i % P.n;
  Y[i] = A[(i / P.n) * P.n * P.n + d * P.n + d];
}`,
    groups: grid1d(y.size),
  });
};
