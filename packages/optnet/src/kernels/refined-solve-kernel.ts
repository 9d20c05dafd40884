/**
 * One Newton solve of the dual reduction with one step of iterative
 * refinement, fused per item (`qpRefinedSolveRx`): what solveKkt does for
 * a float64 batch without equalities when its factorization asks for one
 * refinement step (the backward's solve, solver/kkt/kkt.ts), as ~12 ops:
 *
 *   d   = solve(rx, rc, rz)                      (qpDualSolveRx's solve)
 *   rx' = (Q dz + rx) + Gᵀdlam,  rz' = (G dz + ds) − (−rz)
 *   rc' = (rc + lam_t∘ds) + s_t∘dlam             (the Newton residual
 *                                                 against (s_t, lam_t))
 *   d  += solve(rx', rc', rz')
 *
 * The same functions ($trsvDot, $gemvN, $gemvNT, ...) in the same order
 * as the ops (qpDualSolveRx, qpResiduals, the tensor ops' adds and
 * products), so the same bits; items two at a time (pairedItemLoop). The
 * JS path runs the ops' JS kernels; `decompose` is the ops.
 *
 * Glossary: n = nz, m = nIneq; L_Q, W_G, G, L_S as in dual-solve-kernel.ts,
 * Q [·, n, n]; rx [nBatch, n]; rc, lam (the factored iterate's), s/lam,
 * inactive, rz, s_t, lam_t (the system refined against) [nBatch, m].
 */
import {
  apply,
  defineOp,
  DTypeError,
  ShapeError,
  type CpuTensor,
  type KernelOp,
  type Tensor,
  type TensorMeta,
} from '@optnet/tensor';
import {
  f64,
  i32,
  registerWasmKernels,
  wasmKernels,
  type WasmFunc,
  type WasmKernels,
} from '@optnet/tensor/wasm';
import {
  dualSolveRx,
  dualSolveWat,
  predictCorrectOp,
} from './dual-solve-kernel.js';
import {
  dualSolveItem,
  get,
  lanes,
  pairWork,
  pairedItemLoop,
  runFused,
  rxPartsItem,
  secondItem,
} from './fused-common.js';
import { fusedResiduals, residualOp } from './residual-kernel.js';

/** Inputs in order. */
const NAMES = [
  'lq',
  'wG',
  'G',
  'ls',
  'Q',
  'rx',
  'rc',
  'lam',
  'sOverLam',
  'inactive',
  'rz',
  'sT',
  'lamT',
] as const;

function shape(ins: readonly TensorMeta[]): TensorMeta[] {
  // The solve's own checks (qpDualSolveRx's inputs, rc in s's place).
  const outs = predictCorrectOp.shape(
    [...ins.slice(0, 4), ...ins.slice(5, 11)],
    { single: true },
  );
  const [nBatch, n] = ins[5].shape;
  const m = ins[6].shape[1];
  const Q = ins[4];
  const sq = (t: TensorMeta) =>
    (t.shape.length === 2 && t.shape[0] === n && t.shape[1] === n) ||
    (t.shape.length === 3 &&
      t.shape[0] === nBatch &&
      t.shape[1] === n &&
      t.shape[2] === n);
  const vec = (t: TensorMeta) =>
    t.shape.length === 2 && t.shape[0] === nBatch && t.shape[1] === m;
  const what = () =>
    ins
      .map((t, i) => `${NAMES[i] ?? '?'} ${t.dtype}[${t.shape.join(', ')}]`)
      .join(', ');
  if (ins.length !== NAMES.length || !sq(Q) || !vec(ins[11]) || !vec(ins[12]))
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `qpRefinedSolveRx: takes ${NAMES.join(', ')}: Q [(nBatch,) n, n], sT and lamT [nBatch, m]; got ${what()}.`,
    );
  if (
    ins[5].dtype !== 'float64' ||
    [Q, ins[11], ins[12]].some((t) => t.dtype !== 'float64')
  )
    throw new DTypeError(
      'DTYPE_MISMATCH',
      `qpRefinedSolveRx: float64 only (solveKkt runs the separate ops otherwise); got ${what()}.`,
    );
  return outs;
}

const VEC_N = ['$rx', '$dz'];
const VEC_M = [
  '$rc',
  '$lam',
  '$sol',
  '$ina',
  '$rz',
  '$st',
  '$lamt',
  '$dlam',
  '$ds',
];
/** Work vectors of an item, each with its length's bytes local. */
const WORK: [string, string][] = [
  ['$t', '$nb'],
  ['$zp', '$mb'],
  ['$rca', '$mb'],
  ['$dza', '$nb'],
  ['$dlama', '$mb'],
  ['$dsa', '$mb'],
  ['$gw', '$mb'],
  ['$qz', '$nb'],
  ['$gz', '$mb'],
  ['$u', '$nb'],
  ['$rx2', '$nb'],
  ['$rz2', '$mb'],
];
const MATS: [string, string][] = [
  ['$lq', '$lqs'],
  ['$wg', '$wgs'],
  ['$g', '$gs'],
  ['$ls', '$lss'],
  ['$q', '$qs'],
];
const ITEM = [
  ...MATS.map(([p]) => p),
  ...VEC_N,
  ...VEC_M,
  ...WORK.map(([p]) => p),
  '$rz0',
];

/** Doubles of work per item (WORK), for each item of a pair. */
export const refinedWork = (n: number, m: number): number =>
  2 * (5 * n + 7 * m);

/** An item: the solve, the Newton residual, the correction, the sum. */
const item = `
    ${rxPartsItem('$rx')}
    ${lanes('$m', (o) => o.store('$rca', o.load('$rc')))}
    ${dualSolveItem('$rca', '$dz', '$dlam', '$ds', '$gw')}
    ;; the Newton residual (qpResiduals at z = dz, p = rx, s = ds,
    ;; lam = dlam, h = −rz; the tensor ops' rc + lam_t∘ds + s_t∘dlam)
    (call $gemvN ${get('$q')} ${get('$dz')} ${get('$qz')} ${get('$n')} ${get('$n')})
    (call $gemvNT ${get('$g')} ${get('$dz')} ${get('$gz')} ${get('$dlam')} ${get('$u')} ${get('$m')} ${get('$n')})
    ${lanes('$n', (o) => o.store('$rx2', o.add(o.add(o.load('$qz'), o.load('$rx')), o.load('$u'))))}
    ${lanes('$m', (o) => o.store('$rz2', o.sub(o.add(o.load('$gz'), o.load('$ds')), o.neg(o.load('$rz')))))}
    ${lanes('$m', (o) =>
      o.store(
        '$rca',
        o.add(
          o.add(o.load('$rc'), o.mul(o.load('$lamt'), o.load('$ds'))),
          o.mul(o.load('$st'), o.load('$dlam')),
        ),
      ),
    )}
    ;; the correction: the same solve for (rx', rc', rz') (rz' in rz's place)
    (local.set $rz0 ${get('$rz')})
    (local.set $rz ${get('$rz2')})
    ${rxPartsItem('$rx2')}
    ${dualSolveItem('$rca', '$dza', '$dlama', '$dsa', '$gw')}
    (local.set $rz ${get('$rz0')})
    ${lanes('$n', (o) => o.store('$dz', o.add(o.load('$dz'), o.load('$dza'))))}
    ${lanes('$m', (o) => o.store('$dlam', o.add(o.load('$dlam'), o.load('$dlama'))))}
    ${lanes('$m', (o) => o.store('$ds', o.add(o.load('$ds'), o.load('$dsa'))))}`;

const next = `
    ${MATS.map(([p, st]) => `(local.set ${p} (i32.add ${get(p)} ${get(st)}))`).join(' ')}
    ${VEC_N.map((v) => `(local.set ${v} (i32.add ${get(v)} ${get('$nb')}))`).join(' ')}
    ${VEC_M.map((v) => `(local.set ${v} (i32.add ${get(v)} ${get('$mb')}))`).join(' ')}
    (local.set $k (i32.add ${get('$k')} (i32.const 1)))`;

/**
 * qpRefinedSolveRx(lq, lqs, wg, wgs, g, gs, ls, lss, q, qs, rx, rc, lam,
 * sol, ina, rz, st, lamt, dz, dlam, ds, work, n, m, count): the file
 * comment's refined solve for `count` items; work is refinedWork(n, m)
 * doubles.
 */
const qpRefinedSolveRx: WasmFunc = {
  name: 'qpRefinedSolveRx',
  params: i32(
    ...MATS.flat(),
    '$rx',
    '$rc',
    '$lam',
    '$sol',
    '$ina',
    '$rz',
    '$st',
    '$lamt',
    '$dz',
    '$dlam',
    '$ds',
    '$work',
    '$n',
    '$m',
    '$count',
  ),
  locals: [
    ...i32('$k', '$ib', '$iend', '$nb', '$mb', '$rz0'),
    ...i32(...WORK.map(([p]) => p)),
    ...i32(...ITEM.map((p) => `${p}B`)),
    ...f64(),
  ],
  body: `
  (local.set $nb (i32.shl ${get('$n')} (i32.const 3)))
  (local.set $mb (i32.shl ${get('$m')} (i32.const 3)))
  ${pairWork(WORK)}
  ${pairedItemLoop(
    item,
    next,
    secondItem([
      ...MATS,
      ...VEC_N.map((v): [string, string] => [v, '$nb']),
      ...VEC_M.map((v): [string, string] => [v, '$mb']),
    ]),
    ITEM,
  )}`,
};

/** This file's WebAssembly function (fused-kernels.ts registers it too). */
export const refinedSolveWat: readonly WasmFunc[] = [qpRefinedSolveRx];

/** In WebAssembly (runFused); false if its memory cannot be had. */
function runWasm(
  wk: WasmKernels,
  ins: readonly CpuTensor[],
  outs: readonly CpuTensor[],
): boolean {
  const [lq, wG, G, ls, Q, rx, ...vecs] = ins;
  const [nBatch, n] = rx.shape;
  const m = vecs[0].shape[1];
  return runFused(
    wk,
    'qpRefinedSolveRx',
    nBatch,
    [
      [lq, n * n],
      [wG, n * m],
      [G, m * n],
      [ls, m * m],
      [Q, n * n],
    ],
    [[rx, n], ...vecs.map((t): [CpuTensor, number] => [t, m])],
    [
      [outs[0], n],
      [outs[1], m],
      [outs[2], m],
    ],
    refinedWork(n, m),
    [n, m],
  );
}

/** The ops' JS kernels (no WebAssembly here), in the ops' order. */
function runJs(ins: readonly CpuTensor[], outs: readonly CpuTensor[]): void {
  const [lq, wG, G, ls, Q, rx, rc, lam, sol, ina, rz, sT, lamT] = ins;
  const [nBatch, n] = rx.shape;
  const m = rc.shape[1];
  const like = (t: CpuTensor): CpuTensor => ({
    shape: t.shape,
    dtype: t.dtype,
    data: new Float64Array(t.data.length),
  });
  const solveInto = (
    x: CpuTensor,
    c: CpuTensor,
    z: CpuTensor,
    into: readonly CpuTensor[],
  ) =>
    predictCorrectOp.cpu([lq, wG, G, ls, x, c, lam, sol, ina, z], into, {
      single: true,
    });
  solveInto(rx, rc, rz, outs);
  const [dz, dlam, ds] = outs.map((t) => t.data);
  // The Newton residual: qpResiduals at (dz, rx, ds, dlam, −rz), and rc'.
  const negRz = like(rz);
  for (let i = 0; i < negRz.data.length; i++) negRz.data[i] = -rz.data[i];
  const res = [like(rx), like(rc), like(rx), like(rx), like(rc)];
  residualOp.cpu([Q, G, outs[0], rx, outs[2], outs[1], negRz], res, {
    eq: false,
  });
  const rc2 = like(rc);
  for (let i = 0; i < nBatch * m; i++)
    rc2.data[i] = rc.data[i] + lamT.data[i] * ds[i] + sT.data[i] * dlam[i];
  const corr = [like(rx), like(rc), like(rc)];
  solveInto(res[0], rc2, res[1], corr);
  for (let i = 0; i < nBatch * n; i++) dz[i] += corr[0].data[i];
  for (let i = 0; i < nBatch * m; i++) {
    dlam[i] += corr[1].data[i];
    ds[i] += corr[2].data[i];
  }
}

/** The ops (solveKkt's path without this kernel). */
function ops(ins: readonly Tensor[]): Tensor[] {
  const [lq, wG, G, ls, Q, rx, rc, lam, sol, ina, rz, sT, lamT] = ins;
  const solveFor = (x: Tensor, c: Tensor, z: Tensor) =>
    dualSolveRx(lq, wG, G, ls, x, c, lam, sol, ina, z);
  const [dz, dlam, ds] = solveFor(rx, rc, rz);
  const rc2 = rc.add(lamT.mul(ds)).add(sT.mul(dlam));
  const [rx2, rz2] = fusedResiduals(
    Q,
    G,
    null,
    dz,
    rx,
    ds,
    dlam,
    rz.neg(),
    null,
    null,
  );
  const [cz, cl, cs] = solveFor(rx2, rc2, rz2);
  return [dz.add(cz), dlam.add(cl), ds.add(cs)];
}

export const refinedSolveOp: KernelOp<Record<string, never>> = defineOp<
  Record<string, never>
>({
  name: 'qpRefinedSolveRx',
  shape,
  cpu: (ins, outs) => {
    registerWasmKernels([...dualSolveWat, ...refinedSolveWat]);
    const wk = wasmKernels();
    if (wk === null || !runWasm(wk, ins, outs)) runJs(ins, outs);
  },
  decompose: ops,
  // Every element of every output is written, on every path.
  fillsOutputs: true,
});

/**
 * The refined solve (see the file comment): [dz, dlam, ds].
 * @example
 * const [dz, dlam, ds] = refinedSolveRx(lq, wG, G, ls, Q, rx, rc, lam, sOverLam, inactive, rz, sT, lamT);
 */
export function refinedSolveRx(...ins: Tensor[]): Tensor[] {
  return apply(refinedSolveOp, ins, {});
}
