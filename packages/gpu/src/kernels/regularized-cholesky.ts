/**
 * regularizedCholesky: per matrix, the first of A + unit·boosts[k]·I that
 * factors, and its level k; −1 and L = I where none does. One workgroup
 * per output item (batch dims of A and unit broadcasting), left-looking as
 * cholesky.ts, each try on a fresh copy of A's lower triangle. It never
 * records a failure: a NaN or Inf fails every try of its own item only (it
 * reaches a pivot), which is the op's contract on every backend.
 */
import type { PrimitiveAttrs } from '@optnet/tensor';
import type { GpuKernel } from '../types.js';
import { WG } from '../wgsl.js';
import { batchLayout } from './batch.js';
import { ITEM_MAIN, SYNC, itemGroups } from './linalg-wgsl.js';

type Attrs = PrimitiveAttrs<'regularizedCholesky'>;

function body(boosts: readonly number[], batch: string): string {
  const list = boosts.map((b) => `${b.toExponential()}f`).join(', ');
  return `${SYNC}
var<workgroup> flag: u32;
const BOOSTS = array<f32, ${boosts.length}>(${list});
${ITEM_MAIN}
  let n = P.n;
  ${batch}
  let o = t * n * n;
  let u = U[o_u];
  var level: i32 = -1;
  for (var k: u32 = 0u; k < ${boosts.length}u; k++) {
    // A fresh copy: the lower triangle, the shift on the diagonal.
    let shift = u * BOOSTS[k];
    for (var e = lx; e < n * n; e += ${WG}u) {
      let r = e / n;
      let c = e % n;
      var v = select(0.0, A[o_a + i32(e)], c <= r);
      if (r == c) { v += shift; }
      L[o + e] = v;
    }
    sync();
    var ok = 1u;
    for (var j: u32 = 0u; j < n; j++) {
      if (lx == 0u) {
        var d = L[o + j * n + j];
        for (var q: u32 = 0u; q < j; q++) { let l = L[o + j * n + q]; d -= l * l; }
        let good = d > 0.0 && is_finite(d);
        if (good) { L[o + j * n + j] = sqrt(d); }
        flag = select(0u, 1u, good);
      }
      storageBarrier();
      ok = workgroupUniformLoad(&flag);
      if (ok == 0u) { break; }
      let ljj = L[o + j * n + j];
      for (var i = j + 1u + lx; i < n; i += ${WG}u) {
        var s = L[o + i * n + j];
        for (var q: u32 = 0u; q < j; q++) { s -= L[o + i * n + q] * L[o + j * n + q]; }
        L[o + i * n + j] = s / ljj;
      }
      sync();
    }
    if (ok == 1u) { level = i32(k); break; }
    sync();
  }
  if (level < 0) {
    for (var e = lx; e < n * n; e += ${WG}u) {
      L[o + e] = select(0.0, 1.0, e / n == e % n);
    }
  }
  if (lx == 0u) { LV[t] = f32(level); }
}`;
}

export const regularizedCholesky: GpuKernel<Attrs> = (
  ctx,
  [a, unit],
  [l, level],
  attrs,
) => {
  const r = l.shape.length;
  const n = l.shape[r - 1];
  const B = batchLayout(l.shape.slice(0, -2), [
    { name: 'a', batch: a.shape.slice(0, -2), itemSize: n * n },
    { name: 'u', batch: unit.shape.slice(0, -1), itemSize: 1 },
  ]);
  if (B.items === 0) return;
  ctx.dispatch({
    label: 'regularizedCholesky',
    params: [['items', 'u32', B.items], ['n', 'u32', n], ...B.params],
    bindings: [
      { name: 'A', type: 'f32', buffer: a.buffer },
      { name: 'U', type: 'f32', buffer: unit.buffer },
      { name: 'L', type: 'f32', write: true, buffer: l.buffer },
      { name: 'LV', type: 'f32', write: true, buffer: level.buffer },
    ],
    body: body(attrs.boosts, B.code('t')),
    groups: itemGroups(B.items),
  });
};
