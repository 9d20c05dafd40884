/**
 * qpBoundsSolve: one Newton solve of the bounds reduction for a given rc
 * (the solve of bounds-step-kernel.ts), with `refine` steps of iterative
 * refinement, per item in one WebAssembly call: polishing's, the
 * backward's and the starting point's solves. Refinement measures the
 * residual of the full Newton system (solver/kkt/types.ts) at the target
 * (sT, lamT: polishing's exact system; else the factored s, lam) with the
 * exact diagonal q of Q,
 *
 *   ex = rx + q∘dz + Gᵀdlam + Aᵀdnu,    ec = rc + lamT∘ds + sT∘dlam,
 *   ez = rz + G dz + ds,                ey = ry + A dz,
 *
 * and adds the solve for (ex, ec, ez, ey): what solver/kkt/kkt.ts's
 * solveKkt does in tensor ops, where the dense Q and G products cost more
 * than the whole fused solve. `decompose` is that tensor-op form.
 *
 * Glossary: n = nz, m = nIneq, q = nEq; qpBoundsStep's inputs (1/h, L_S,
 * A, G, rx, ry, s, lam, rz), then rc, sT, lamT [nBatch, m] and q [n] or
 * [nBatch, n].
 */
import {
  apply,
  defineOp,
  ShapeError,
  type CpuTensor,
  type KernelOp,
  type Tensor,
} from '@optnet/tensor';
import {
  f64,
  i32,
  registerWasmKernels,
  type WasmFunc,
} from '@optnet/tensor/wasm';
import { mtv, mv } from './batch.js';
import { asRow } from './bounds-factor-kernel.js';
import {
  after,
  colOf,
  fusedStart,
  gemv,
  itemOf,
  jsSolver,
  jsVectors,
  solveItem,
  solveOps,
  step,
  stepShapeOf,
  type JsVectors,
} from './bounds-step-kernel.js';
import { at, each, get, runFused, type Data } from './fused-common.js';

export interface BoundsSolveAttrs {
  /** Steps of iterative refinement against (sT, lamT). */
  readonly refine: number;
}

const add = (to: string, what: string, len: string): string =>
  each(
    len,
    `(f64.store ${at(to)} (f64.add (f64.load ${at(to)}) (f64.load ${at(what)})))`,
  );

/** The Newton residual of the direction in $dz.. (file comment). */
const residualItem = `
    ${each(
      '$n',
      `
      (f64.store ${at('$ex')} (f64.add (f64.load ${at('$rx')}) (f64.mul (f64.load ${at('$qd')}) (f64.load ${at('$dz')}))))
      (f64.store ${at('$tn')} (f64.const 0))`,
    )}
    ${each(
      '$m',
      `${colOf('$tn')}
      (f64.store ${get('$cb')} (f64.add (f64.load ${get('$cb')}) (f64.mul (f64.load ${at('$dlam')}) (f64.load ${at('$gv')}))))`,
    )}
    ${add('$ex', '$tn', '$n')}
    (call $gemvT ${get('$am')} ${get('$dnu')} ${get('$tn')} ${get('$n')} ${get('$q')})
    ${add('$ex', '$tn', '$n')}
    ${each(
      '$m',
      `${colOf('$dz')}
      (f64.store ${at('$ec')} (f64.add (f64.add (f64.load ${at('$rc')}) (f64.mul (f64.load ${at('$lt')}) (f64.load ${at('$ds')})))
        (f64.mul (f64.load ${at('$st')}) (f64.load ${at('$dlam')}))))
      (f64.store ${at('$ez')} (f64.add (f64.add (f64.load ${at('$rz')}) (f64.mul (f64.load ${get('$cb')}) (f64.load ${at('$gv')})))
        (f64.load ${at('$ds')})))`,
    )}
    (call $gemvN ${get('$am')} ${get('$dz')} ${get('$ey')} ${get('$q')} ${get('$n')})
    ${each('$q', `(f64.store ${at('$ey')} (f64.add (f64.load ${at('$ry')}) (f64.load ${at('$ey')})))`)}`;

/** The solve, then `refine` corrections. */
const itemSteps = `
    ${solveItem(
      { rx: '$rx', rz: '$rz', ry: '$ry', rc: '$rc' },
      { dz: '$dz', ds: '$ds', dlam: '$dlam', dnu: '$dnu' },
    )}
    (local.set $it (i32.const 0))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_s ${get('$it')} ${get('$refine')}))
      ${residualItem}
      ${solveItem(
        { rx: '$ex', rz: '$ez', ry: '$ey', rc: '$ec' },
        { dz: '$cz', ds: '$cs', dlam: '$cl', dnu: '$cn' },
      )}
      ${add('$dz', '$cz', '$n')} ${add('$ds', '$cs', '$m')}
      ${add('$dlam', '$cl', '$m')} ${add('$dnu', '$cn', '$q')}
      (local.set $it (i32.add ${get('$it')} (i32.const 1)))
      (br $rl)))`;

/** Work (doubles): tn, r1, ex, cz (n); w, ez, ec, cs, cl (m); ey, cn (q). */
const workLength = (n: number, m: number, q: number): number =>
  4 * n + 5 * m + 2 * q + 12;

const qpBoundsSolve: WasmFunc = {
  name: 'qpBoundsSolve',
  params: i32(
    ...['$ls', '$lss', '$am', '$as', '$gc', '$gcs', '$gv', '$gvs'],
    ...['$qd', '$qds', '$hinv', '$rx', '$ry', '$s', '$lam', '$rz', '$rc'],
    ...['$st', '$lt', '$dz', '$ds', '$dlam', '$dnu', '$work', '$n', '$m'],
    ...['$q', '$refine', '$count'],
  ),
  locals: [
    ...i32('$k', '$ib', '$iend', '$nb', '$mb', '$qb', '$cb', '$it'),
    ...i32('$tn', '$r1', '$w', '$ex', '$ez', '$ey', '$ec'),
    ...i32('$cz', '$cs', '$cl', '$cn'),
    ...f64('$x'),
  ],
  body: `
  (local.set $nb (i32.shl ${get('$n')} (i32.const 3)))
  (local.set $mb (i32.shl ${get('$m')} (i32.const 3)))
  (local.set $qb (i32.shl ${get('$q')} (i32.const 3)))
  (local.set $tn ${get('$work')})
  ${after('$r1', '$tn', '$n')} ${after('$ex', '$r1', '$n')}
  ${after('$cz', '$ex', '$n')} ${after('$w', '$cz', '$n')}
  ${after('$ez', '$w', '$m')} ${after('$ec', '$ez', '$m')}
  ${after('$cs', '$ec', '$m')} ${after('$cl', '$cs', '$m')}
  ${after('$ey', '$cl', '$m')} ${after('$cn', '$ey', '$q')}
  (block $done (loop $items
    (br_if $done (i32.ge_s ${get('$k')} ${get('$count')}))
    ${itemSteps}
    ${step('$ls', '$lss')} ${step('$am', '$as')} ${step('$gc', '$gcs')} ${step('$gv', '$gvs')}
    ${step('$qd', '$qds')} ${step('$hinv', '$nb')} ${step('$rx', '$nb')} ${step('$dz', '$nb')}
    ${step('$ry', '$qb')} ${step('$dnu', '$qb')}
    ${['$s', '$lam', '$rz', '$rc', '$st', '$lt', '$ds', '$dlam'].map((p) => step(p, '$mb')).join(' ')}
    (local.set $k (i32.add ${get('$k')} (i32.const 1)))
    (br $items)))`,
};

/** This file's WebAssembly function (fused-kernels.ts registers them all). */
export const boundsSolveWat: readonly WasmFunc[] = [qpBoundsSolve];

/** In WebAssembly (runFused); false where it cannot run. */
function solveWasm(
  ins: readonly CpuTensor[],
  outs: readonly CpuTensor[],
  refine: number,
): boolean {
  const f = fusedStart(ins);
  if (f === null) return false;
  const { wk, nBatch, n, m, q } = f;
  const vecs: [CpuTensor, number][] = [0, 4, 5, 6, 7, 8, 9, 10, 11].map((i) => [
    ins[i],
    ins[i].shape[1],
  ]);
  return runFused(
    wk,
    'qpBoundsSolve',
    nBatch,
    [...f.mats, [asRow(ins[12]), n]],
    vecs,
    [n, m, m, q].map((len, i) => [outs[i], len]),
    workLength(n, m, q),
    [n, m, q, refine],
  );
}

/** The same in plain JS loops (no WebAssembly SIMD here), G dense. */
function solveJs(
  ins: readonly CpuTensor[],
  outs: readonly CpuTensor[],
  refine: number,
): void {
  const [hInv, , A, G, rx, ry, s, , rz, rc, sT, lamT, qd] = ins;
  const [nBatch, n] = hInv.shape;
  const [q, m] = [ry.shape[1], s.shape[1]];
  const solve = jsSolver(ins);
  const [d, e, c] = [0, 0, 0].map(() => jsVectors(n, m, q));
  const tn = new Float64Array(n);
  for (let b = 0; b < nBatch; b++) {
    const [x, y, z, cc, st, lt] = itemOf([rx, ry, rz, rc, sT, lamT], b);
    const r: JsVectors = { x, z, y, c: cc };
    solve(b, r, d);
    const [ao, go] = [A, G].map((t) => (t.shape.length === 3 ? b : 0));
    const qo = qd.shape.length === 2 ? b * n : 0;
    for (let k = 0; k < refine; k++) {
      gemv(G.data as Data, go * m * n, m, n, d.c, 0, e.x, true);
      gemv(A.data as Data, ao * q * n, q, n, d.y, 0, tn, true);
      for (let j = 0; j < n; j++)
        e.x[j] = x[j] + qd.data[qo + j] * d.x[j] + e.x[j] + tn[j];
      gemv(G.data as Data, go * m * n, m, n, d.x, 0, e.z, false);
      for (let i = 0; i < m; i++) {
        e.c[i] = cc[i] + lt[i] * d.z[i] + st[i] * d.c[i];
        e.z[i] = z[i] + e.z[i] + d.z[i];
      }
      gemv(A.data as Data, ao * q * n, q, n, d.x, 0, e.y, false);
      for (let l = 0; l < q; l++) e.y[l] += y[l];
      solve(b, e, c);
      for (const key of ['x', 'z', 'y', 'c'] as const)
        d[key].forEach((v, i) => (d[key][i] = v + c[key][i]));
    }
    [d.x, d.z, d.c, d.y].forEach((v, i) => outs[i].data.set(v, b * v.length));
  }
}

/** The tensor-op form: the solve, then solveKkt's refinement. */
function solveRefinedOps(
  ins: readonly Tensor[],
  { refine }: BoundsSolveAttrs,
): Tensor[] {
  const [, , A, G, rx, ry, , , rz, rc, sT, lamT, qd] = ins;
  let d = solveOps(ins.slice(0, 9), rc);
  for (let k = 0; k < refine; k++) {
    const [dz, ds, dlam, dnu] = d;
    const ex = rx.add(qd.mul(dz)).add(mtv(G, dlam)).add(mtv(A, dnu));
    const ec = rc.add(lamT.mul(ds)).add(sT.mul(dlam));
    const ez = rz.add(mv(G, dz)).add(ds);
    const ey = ry.add(mv(A, dz));
    const [hInv, ls, , , , , s, lam] = ins;
    const corr = solveOps([hInv, ls, A, G, ex, ey, s, lam, ez], ec);
    d = d.map((t, i) => t.add(corr[i]));
  }
  return d;
}

export const boundsSolveOp: KernelOp<BoundsSolveAttrs> =
  defineOp<BoundsSolveAttrs>({
    name: 'qpBoundsSolve',
    shape: (ins, { refine }) => {
      const outs = stepShapeOf('qpBoundsSolve', ins.slice(0, 12), 3);
      const [nBatch, n] = ins[0].shape;
      const qd = ins[12]?.shape.join();
      const ok =
        (qd === `${n}` || qd === `${nBatch},${n}`) &&
        ins[12].dtype === ins[0].dtype &&
        Number.isInteger(refine) &&
        refine >= 0;
      if (!ok) {
        throw new ShapeError(
          'SHAPE_MISMATCH',
          `qpBoundsSolve: q must be [(nBatch,) n] with the inputs' dtype and refine a count; got q[${qd}] ${ins[12]?.dtype} and refine ${refine}.`,
        );
      }
      return outs;
    },
    cpu: (ins, outs, { refine }) => {
      registerWasmKernels(boundsSolveWat);
      if (!solveWasm(ins, outs, refine)) solveJs(ins, outs, refine);
    },
    decompose: solveRefinedOps,
  });

/**
 * One Newton solve of the bounds reduction for rc with `refine` steps of
 * refinement against (sT, lamT), fused per item (see the file comment):
 * [dz, ds, dlam, dnu].
 * @example
 * const [dz, ds, dlam, dnu] = boundsSolve([hInv, ls, A, G, rx, ry, s, lam, rz, rc, s, lam, q], 0);
 */
export function boundsSolve(ins: readonly Tensor[], refine: number): Tensor[] {
  return apply(boundsSolveOp, [...ins], { refine });
}
