/**
 * addDiagonal(A, d): A + diag(d), batch dims broadcasting: each output
 * element copies A's and adds d's entry on the diagonal.
 */
import type { NoAttrs } from '@optnet/tensor';
import type { GpuKernel } from '../types.js';
import { MAIN_1D, grid1d } from '../wgsl.js';
import { batchLayout } from './batch.js';

export const addDiagonal: GpuKernel<NoAttrs> = (ctx, [a, d], [y]) => {
  if (y.size === 0) return;
  const n = y.shape[y.shape.length - 1];
  const L = batchLayout(y.shape.slice(0, -2), [
    { name: 'a', batch: a.shape.slice(0, -2), itemSize: n * n },
    { name: 'd', batch: d.shape.slice(0, -1), itemSize: n },
  ]);
  ctx.dispatch({
    label: 'addDiagonal',
    params: [['size', 'u32', y.size], ['n', 'u32', n], ...L.params],
    bindings: [
      { name: 'A', type: 'f32', buffer: a.buffer },
      { name: 'D', type: 'f32', buffer: d.buffer },
      { name: 'Y', type: 'f32', write: true, buffer: y.buffer },
    ],
    body: `${MAIN_1D}
  if (i >= P.size) { return; }
  let e = i % (P.n * P.n);
  let t = i / (P.n * P.n);
  ${L.code('t')}
  let r = e / P.n;
  var v = A[o_a + i32(e)];
  if (r == e % P.n) { v += D[o_d + i32(r)]; }
  Y[i] = v;
}`,
    groups: grid1d(y.size),
  });
};
