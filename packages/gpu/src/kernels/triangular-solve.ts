/**
 * triangularSolve: X with op(L)·X = B, op(L) = L or Lᵀ, batch dims
 * broadcasting; one workgroup per output item, in X:
 * 1. Scan the item's L and B for non-finite entries (the first of L, else
 *    the first of B, is the op's NON_FINITE failure; no scan with
 *    `checkFinite: false`) and copy B to X.
 * 2. Unknown by unknown, in solve order (forward when op(L) is lower):
 *    the invocations split row i's k columns, x_i = x_i / op(L)_ii; then
 *    they split the pairs (unsolved j, column c) for the axpy
 *    x_jc −= op(L)_ji · x_ic. Two barriers per unknown.
 */
import type { PrimitiveAttrs } from '@optnet/tensor';
import { CODE, FAILURE_WGSL } from '../failures.js';
import type { GpuKernel } from '../types.js';
import { WG } from '../wgsl.js';
import { batchLayout } from './batch.js';
import { finalize } from './finalize.js';
import { ITEM_MAIN, SYNC, itemGroups } from './linalg-wgsl.js';

type Attrs = PrimitiveAttrs<'triangularSolve'>;

function body(attrs: Attrs, batch: string): string {
  const forward = attrs.lower !== attrs.transpose;
  // op(L)_ji: L[j, i], or L[i, j] when transposed
  const coef = attrs.transpose
    ? 'L[o_l + i32(i * n + j)]'
    : 'L[o_l + i32(j * n + i)]';
  const divide = attrs.unitDiagonal
    ? ''
    : 'X[xo + i * k + c] = X[xo + i * k + c] / L[o_l + i32(i * n + i)];';
  // checkFinite false: no scans, a NaN stays in its own item.
  const check = attrs.checkFinite !== false;
  const scanL = `for (var e = lx; e < n * n; e += ${WG}u) {
    if (!is_finite(L[o_l + i32(e)])) { fail_key(0u, u32(o_l) + e); }
  }`;
  return `${FAILURE_WGSL}
${SYNC}
${ITEM_MAIN}
  let n = P.n;
  let k = P.k;
  ${batch}
  let xo = t * n * k;
  // 1. finite scans, B → X
  ${check ? scanL : ''}
  for (var e = lx; e < n * k; e += ${WG}u) {
    let v = B[o_b + i32(e)];
    ${check ? 'if (!is_finite(v)) { fail_key(1u, u32(o_b) + e); }' : ''}
    X[xo + e] = v;
  }
  sync();
  // 2. one unknown at a time
  for (var s: u32 = 0u; s < n; s++) {
    let i = ${forward ? 's' : 'n - 1u - s'};
    for (var c = lx; c < k; c += ${WG}u) { ${divide} }
    sync();
    let rest = ${forward ? 'n - 1u - i' : 'i'};
    for (var e = lx; e < rest * k; e += ${WG}u) {
      let j = ${forward ? 'i + 1u + e / k' : 'e / k'};
      let c = e % k;
      X[xo + j * k + c] -= ${coef} * X[xo + i * k + c];
    }
    sync();
  }
}`;
}

export const triangularSolve: GpuKernel<Attrs> = (ctx, [l, b], [x], attrs) => {
  const r = x.shape.length;
  const n = x.shape[r - 2];
  const k = x.shape[r - 1];
  const L = batchLayout(x.shape.slice(0, -2), [
    { name: 'l', batch: l.shape.slice(0, -2), itemSize: n * n },
    { name: 'b', batch: b.shape.slice(0, -2), itemSize: n * k },
  ]);
  if (L.items === 0 || n === 0) return;
  const slot = ctx.failureSlot();
  ctx.dispatch({
    label: 'triangularSolve',
    params: [
      ['items', 'u32', L.items],
      ['n', 'u32', n],
      ['k', 'u32', k],
      ['slot', 'u32', slot.word],
      ...L.params,
    ],
    bindings: [
      { name: 'L', type: 'f32', buffer: l.buffer },
      { name: 'B', type: 'f32', buffer: b.buffer },
      { name: 'X', type: 'f32', write: true, buffer: x.buffer },
      { name: 'S', type: 'atomic<u32>', write: true, buffer: slot.buffer },
    ],
    body: body(attrs, L.code('t')),
    groups: itemGroups(L.items),
  });
  finalize(ctx, {
    label: 'triangularSolve',
    slot,
    out: x,
    reads: [
      { name: 'L', type: 'f32', buffer: l.buffer },
      { name: 'B', type: 'f32', buffer: b.buffer },
    ],
    record: `if (has_failed(0u)) {
      let p = failed_key(0u);
      write_failure(${CODE.NON_FINITE}u, 0u, p, 0u, L[p]);
    } else {
      let p = failed_key(1u);
      write_failure(${CODE.NON_FINITE}u, 1u, p, 0u, B[p]);
    }`,
  });
};
