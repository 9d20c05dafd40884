/**
 * solve: X with A·X = B by LU with partial pivoting, batch dims
 * broadcasting; one workgroup per output item, LU in a scratch copy of A:
 * 1. Scan A's and B's items for non-finite entries (A's first, then B's,
 *    are the op's NON_FINITE failure); copy A to LU and B to X; find
 *    max |a| (as bits: positive floats order as integers).
 * 2. For each column j: invocation 0 picks the first largest |lu_ij|,
 *    i ≥ j; a pivot ≤ max|a|·n·ε (float32's ε, as the reference for a
 *    float32 solve) makes the item SINGULAR; else rows j and p swap (LU
 *    and X) and the invocations split the updates of the rows below.
 * 3. Back substitution, unknown by unknown as in triangularSolve.
 */
import type { NoAttrs } from '@optnet/tensor';
import { CODE, FAILURE_WGSL } from '../failures.js';
import type { GpuKernel } from '../types.js';
import { WG } from '../wgsl.js';
import { batchLayout } from './batch.js';
import { finalize } from './finalize.js';
import { ITEM_MAIN, SYNC, itemGroups } from './linalg-wgsl.js';

const FACTOR = `
  // 2. elimination with partial pivoting
  for (var j: u32 = 0u; j < n; j++) {
    if (lx == 0u) {
      var p = j;
      for (var i = j + 1u; i < n; i++) {
        if (abs(LU[lo + i * n + j]) > abs(LU[lo + p * n + j])) { p = i; }
      }
      prow = p;
      pval = LU[lo + p * n + j];
      flag = select(0u, 1u, abs(pval) > tiny);
    }
    if (workgroupUniformLoad(&flag) == 0u) {
      if (lx == 0u) { SC[t * 2u] = j; SC[t * 2u + 1u] = bitcast<u32>(pval); fail_key(2u, t); }
      for (var e = lx; e < n * k; e += ${WG}u) { X[xo + e] = nan_f32(); }
      return;
    }
    let p = workgroupUniformLoad(&prow);
    let piv = workgroupUniformLoad(&pval);
    if (p != j) {
      for (var c = lx; c < n + k; c += ${WG}u) {
        if (c < n) {
          let u = LU[lo + j * n + c]; LU[lo + j * n + c] = LU[lo + p * n + c]; LU[lo + p * n + c] = u;
        } else {
          let q = c - n;
          let u = X[xo + j * k + q]; X[xo + j * k + q] = X[xo + p * k + q]; X[xo + p * k + q] = u;
        }
      }
    }
    sync();
    let rows = n - 1u - j;
    let cols = rows + k;
    for (var e = lx; e < rows * cols; e += ${WG}u) {
      let i = j + 1u + e / cols;
      let c = e % cols;
      let f = LU[lo + i * n + j] / piv;
      if (c < rows) {
        LU[lo + i * n + j + 1u + c] -= f * LU[lo + j * n + j + 1u + c];
      } else {
        let q = c - rows;
        X[xo + i * k + q] -= f * X[xo + j * k + q];
      }
    }
    sync();
  }`;

const BACK = `
  // 3. back substitution
  for (var s: u32 = 0u; s < n; s++) {
    let i = n - 1u - s;
    for (var c = lx; c < k; c += ${WG}u) {
      X[xo + i * k + c] = X[xo + i * k + c] / LU[lo + i * n + i];
    }
    sync();
    for (var e = lx; e < i * k; e += ${WG}u) {
      let r = e / k;
      let c = e % k;
      X[xo + r * k + c] -= LU[lo + r * n + i] * X[xo + i * k + c];
    }
    sync();
  }`;

function body(batch: string): string {
  return `${FAILURE_WGSL}
${SYNC}
var<workgroup> amax: atomic<u32>;
var<workgroup> flag: u32;
var<workgroup> prow: u32;
var<workgroup> pval: f32;
${ITEM_MAIN}
  let n = P.n;
  let k = P.k;
  ${batch}
  let xo = t * n * k;
  let lo = t * n * n;
  if (lx == 0u) { atomicStore(&amax, 0u); }
  workgroupBarrier();
  // 1. finite scans, copies, max |a|
  for (var e = lx; e < n * n; e += ${WG}u) {
    let v = A[o_a + i32(e)];
    if (!is_finite(v)) { fail_key(0u, u32(o_a) + e); }
    LU[lo + e] = v;
    atomicMax(&amax, bitcast<u32>(abs(v)));
  }
  for (var e = lx; e < n * k; e += ${WG}u) {
    let v = B[o_b + i32(e)];
    if (!is_finite(v)) { fail_key(1u, u32(o_b) + e); }
    X[xo + e] = v;
  }
  sync();
  let tiny = bitcast<f32>(atomicLoad(&amax)) * f32(n) * 1.1920929e-7;
  ${FACTOR}
  ${BACK}
}`;
}

export const solve: GpuKernel<NoAttrs> = (ctx, [a, b], [x]) => {
  const r = x.shape.length;
  const n = x.shape[r - 2];
  const k = x.shape[r - 1];
  const L = batchLayout(x.shape.slice(0, -2), [
    { name: 'a', batch: a.shape.slice(0, -2), itemSize: n * n },
    { name: 'b', batch: b.shape.slice(0, -2), itemSize: n * k },
  ]);
  if (L.items === 0 || n === 0) return;
  const slot = ctx.failureSlot();
  const lu = ctx.scratch(L.items * n * n * 4);
  const sc = ctx.scratch(L.items * 8);
  ctx.dispatch({
    label: 'solve',
    params: [
      ['items', 'u32', L.items],
      ['n', 'u32', n],
      ['k', 'u32', k],
      ['slot', 'u32', slot.word],
      ...L.params,
    ],
    bindings: [
      { name: 'A', type: 'f32', buffer: a.buffer },
      { name: 'B', type: 'f32', buffer: b.buffer },
      { name: 'X', type: 'f32', write: true, buffer: x.buffer },
      { name: 'LU', type: 'f32', write: true, buffer: lu },
      { name: 'SC', type: 'u32', write: true, buffer: sc },
      { name: 'S', type: 'atomic<u32>', write: true, buffer: slot.buffer },
    ],
    body: body(L.code('t')),
    groups: itemGroups(L.items),
  });
  finalize(ctx, {
    label: 'solve',
    slot,
    out: x,
    reads: [
      { name: 'A', type: 'f32', buffer: a.buffer },
      { name: 'B', type: 'f32', buffer: b.buffer },
      { name: 'SC', type: 'u32', buffer: sc },
    ],
    record: `if (has_failed(0u)) {
      let p = failed_key(0u);
      write_failure(${CODE.NON_FINITE}u, 0u, p, 0u, A[p]);
    } else if (has_failed(1u)) {
      let p = failed_key(1u);
      write_failure(${CODE.NON_FINITE}u, 1u, p, 0u, B[p]);
    } else {
      let t = failed_key(2u);
      write_failure(${CODE.SINGULAR}u, 0u, t, SC[t * 2u], bitcast<f32>(SC[t * 2u + 1u]));
    }`,
  });
};
