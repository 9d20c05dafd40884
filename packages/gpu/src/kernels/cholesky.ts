/**
 * cholesky: A = L·Lᵀ for a batch of SPD matrices, one workgroup per
 * matrix, left-looking (Crout) in the output buffer:
 * 1. Copy A's lower triangle to L (zeros above) while finding A's first
 *    non-finite entry; one makes the item fail NON_FINITE.
 * 2. For each column j: invocation 0 forms the pivot
 *    d = a_jj − Σ_{k<j} l_jk²; unless 0 < d < ∞ the item fails
 *    NOT_POSITIVE_DEFINITE at pivot j; else l_jj = √d, and the rows
 *    i > j share l_ij = (a_ij − Σ_{k<j} l_ik·l_jk) / l_jj.
 * A failed item records (kind, pivot or entry, value) in a scratch row
 * and its index in the failure slot; the finalize dispatch reports the
 * first failed item (as the reference, which factors items in order).
 */
import type { NoAttrs } from '@optnet/tensor';
import { CODE, FAILURE_WGSL } from '../failures.js';
import type { GpuKernel } from '../types.js';
import { WG } from '../wgsl.js';
import { finalize } from './finalize.js';
import { ITEM_MAIN, SYNC, itemGroups } from './linalg-wgsl.js';

const BODY = `${FAILURE_WGSL}
${SYNC}
var<workgroup> bad: atomic<u32>;
var<workgroup> flag: u32;
var<workgroup> pivot: f32;
fn fail_item(t: u32, kind: u32, a: u32, b: u32) {
  SC[t * 3u] = kind; SC[t * 3u + 1u] = a; SC[t * 3u + 2u] = b;
  fail_key(0u, t);
}
${ITEM_MAIN}
  let n = P.n;
  let o = t * n * n;
  if (lx == 0u) { atomicStore(&bad, 0xffffffffu); }
  workgroupBarrier();
  // 1. copy the lower triangle; find the first non-finite entry
  for (var e = lx; e < n * n; e += ${WG}u) {
    let v = A[o + e];
    L[o + e] = select(0.0, v, e % n <= e / n);
    if (!is_finite(v)) { atomicMin(&bad, e); }
  }
  sync();
  if (lx == 0u) { flag = atomicLoad(&bad); }
  let first = workgroupUniformLoad(&flag);
  if (first != 0xffffffffu) {
    if (lx == 0u) { fail_item(t, ${CODE.NON_FINITE}u, first, 0u); }
    for (var e = lx; e < n * n; e += ${WG}u) { L[o + e] = nan_f32(); }
    return;
  }
  // 2. column by column
  for (var j: u32 = 0u; j < n; j++) {
    if (lx == 0u) {
      var d = L[o + j * n + j];
      for (var k: u32 = 0u; k < j; k++) { let l = L[o + j * n + k]; d -= l * l; }
      pivot = d;
      let ok = d > 0.0 && d < inf_f32();
      if (ok) { L[o + j * n + j] = sqrt(d); }
      flag = select(0u, 1u, ok);
    }
    storageBarrier();
    if (workgroupUniformLoad(&flag) == 0u) {
      if (lx == 0u) { fail_item(t, ${CODE.NOT_POSITIVE_DEFINITE}u, j, bitcast<u32>(pivot)); }
      for (var e = lx; e < n * n; e += ${WG}u) { L[o + e] = nan_f32(); }
      return;
    }
    let ljj = L[o + j * n + j];
    for (var i = j + 1u + lx; i < n; i += ${WG}u) {
      var s = L[o + i * n + j];
      for (var k: u32 = 0u; k < j; k++) { s -= L[o + i * n + k] * L[o + j * n + k]; }
      L[o + i * n + j] = s / ljj;
    }
    sync();
  }
}`;

export const cholesky: GpuKernel<NoAttrs> = (ctx, [a], [l]) => {
  const n = a.shape[a.shape.length - 1];
  const items = n === 0 ? 0 : a.size / (n * n);
  if (items === 0) return;
  const slot = ctx.failureSlot();
  const sc = ctx.scratch(items * 12);
  ctx.dispatch({
    label: 'cholesky',
    params: [
      ['items', 'u32', items],
      ['n', 'u32', n],
      ['slot', 'u32', slot.word],
    ],
    bindings: [
      { name: 'A', type: 'f32', buffer: a.buffer },
      { name: 'L', type: 'f32', write: true, buffer: l.buffer },
      { name: 'SC', type: 'u32', write: true, buffer: sc },
      { name: 'S', type: 'atomic<u32>', write: true, buffer: slot.buffer },
    ],
    body: BODY,
    groups: itemGroups(items),
  });
  finalize(ctx, {
    label: 'cholesky',
    slot,
    out: l,
    params: [['nn', 'u32', n * n]],
    reads: [
      { name: 'A', type: 'u32', buffer: a.buffer },
      { name: 'SC', type: 'u32', buffer: sc },
    ],
    record: `let t = failed_key(0u);
    let a = SC[t * 3u + 1u];
    if (SC[t * 3u] == ${CODE.NON_FINITE}u) {
      let idx = t * P.nn + a;
      write_failure(${CODE.NON_FINITE}u, 0u, idx, 0u, bitcast<f32>(A[idx]));
    } else {
      write_failure(${CODE.NOT_POSITIVE_DEFINITE}u, 0u, t, a, bitcast<f32>(SC[t * 3u + 2u]));
    }`,
  });
};
