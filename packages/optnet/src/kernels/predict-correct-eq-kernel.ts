/**
 * qpPredictCorrectEq: a whole Mehrotra direction of the dual reduction
 * (solver/kkt/dual.ts) with equality constraints, fused per item like
 * qpPredictCorrect (dual-solve-kernel.ts), for the OptNet layer's general
 * form (the Sudoku layer has 40 equalities). With the equality block
 * eliminated once (L_R, V = L_R⁻¹ A Q⁻¹ Gᵀ, W_A = L_Q⁻¹Aᵀ), a solve for rc is
 *
 *   t = L_Q⁻¹rx,  zPart = rz − W_Gᵀt,  r2 = ry − W_Aᵀt,  u = L_R⁻¹r2
 *   dlam = S⁻¹(zPart − rc/lam − Vᵀu)
 *   dnu  = L_R⁻ᵀ(u − V dlam)
 *   dz   = −L_Q⁻ᵀ(t + W_G dlam + W_A dnu)
 *   ds   = −(rz + G dz) where inactive, else −(rc/lam + (s/lam)∘dlam)
 *
 * done for rc = s∘lam (affine), then for qpCentering's corrector rc,
 * while the item's matrices are in cache. With `single` it is one solve
 * for a given rc (the input in s's place): polishing's, refinement's and
 * the backward's solves with equalities. `decompose` is the same in
 * tensor ops (what solver/kkt/dual.ts runs otherwise).
 *
 * Glossary: n = nz, m = nIneq, q = nEq; L_Q [·, n, n], W_G [·, n, m],
 * G [·, m, n], L_S [nBatch, m, m], L_R [·, q, q], V [·, q, m],
 * W_A [·, n, q]; rx [nBatch, n], ry [nBatch, q]; s, lam, sOverLam,
 * inactive (bool), rz [nBatch, m].
 */
import {
  apply,
  defineOp,
  DTypeError,
  ShapeError,
  shapesEqual,
  where,
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
import { cholSolveVec, mtv, mv, trsv } from './batch.js';
import {
  CENTER_SCALARS,
  at,
  backItem,
  backSolveT,
  centerItem,
  cholSolveItem,
  each,
  finishItem,
  forwardSolve,
  get,
  matVec,
  pairWork,
  pairedItemLoop,
  runFused,
  rxPartsItem,
  secondItem,
  splitActive,
  splitRcItem,
  type Data,
  type Operand,
} from './fused-common.js';
import { centering, centeringOp } from './step-kernels.js';

/**
 * Inputs in order: seven matrices, then rx, ry, s, lam, sOverLam, inactive, rz.
 */
const NAMES = [
  'lq',
  'wG',
  'G',
  'ls',
  'lr',
  'v',
  'wA',
  'rx',
  'ry',
  's',
  'lam',
  'sOverLam',
  'inactive',
  'rz',
] as const;

function pcEqShape(all: readonly TensorMeta[]): TensorMeta[] {
  const [ins] = splitActive(
    'qpPredictCorrectEq',
    all,
    14,
    all[7]?.shape[0] ?? 0,
  );
  const fail = (): never => {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `qpPredictCorrectEq: inputs must be lq [(nBatch,) n, n], wG [(nBatch,) n, m], G [(nBatch,) m, n], ls [nBatch, m, m], ` +
        `lr [(nBatch,) q, q], v [(nBatch,) q, m], wA [(nBatch,) n, q], rx [nBatch, n], ry [nBatch, q] and five [nBatch, m] ` +
        `vectors; got ${ins.map((x, i) => `${NAMES[i] ?? '?'}[${x.shape.join(', ')}]`).join(', ')}.`,
    );
  };
  if (
    ins.length !== 14 ||
    ins[7].shape.length !== 2 ||
    ins[8].shape.length !== 2 ||
    ins[9].shape.length !== 2
  )
    fail();
  const [nBatch, n] = ins[7].shape;
  const q = ins[8].shape[1];
  const m = ins[9].shape[1];
  const mat = (x: TensorMeta, r: number, c: number) =>
    shapesEqual(x.shape, [r, c]) || shapesEqual(x.shape, [nBatch, r, c]);
  const ok =
    mat(ins[0], n, n) &&
    mat(ins[1], n, m) &&
    mat(ins[2], m, n) &&
    shapesEqual(ins[3].shape, [nBatch, m, m]) &&
    mat(ins[4], q, q) &&
    mat(ins[5], q, m) &&
    mat(ins[6], n, q) &&
    ins[8].shape[0] === nBatch &&
    ins.slice(9).every((x) => shapesEqual(x.shape, [nBatch, m]));
  if (!ok) fail();
  const dtype = ins[7].dtype;
  if (
    ins.some((x, i) => (i === 12 ? x.dtype !== 'bool' : x.dtype !== dtype)) ||
    (dtype !== 'float32' && dtype !== 'float64')
  ) {
    throw new DTypeError(
      'DTYPE_MISMATCH',
      `qpPredictCorrectEq: inputs must share one float dtype (inactive bool); got ${ins.map((x) => x.dtype).join(', ')}.`,
    );
  }
  return [
    { shape: [nBatch, n], dtype },
    { shape: [nBatch, m], dtype },
    { shape: [nBatch, m], dtype },
    { shape: [nBatch, q], dtype },
  ];
}

/**
 * The solve of the current item for the rc vector at `rc` (file comment),
 * into dz, dlam, ds, dnu: the inequality-only steps (fused-common.ts) with
 * the equality block's −Vᵀu, dnu and +W_A·dnu between them.
 */
const solveItemEq = (
  rc: string,
  dz: string,
  dlam: string,
  ds: string,
  dnu: string,
): string => `
    ${splitRcItem(rc, dlam, ds)}
    (call $gemvT ${get('$v')} ${get('$u')} ${get('$vtu')} ${get('$m')} ${get('$q')})
    ${each('$m', `(f64.store ${at(dlam)} (f64.sub (f64.load ${at(dlam)}) (f64.load ${at('$vtu')})))`)}
    ${cholSolveItem(dlam)}
    (call $gemvN ${get('$v')} ${get(dlam)} ${get('$wv')} ${get('$q')} ${get('$m')})
    ${each('$q', `(f64.store ${at(dnu)} (f64.sub (f64.load ${at('$u')}) (f64.load ${at('$wv')})))`)}
    (call $trsvAxpy ${get('$lr')} ${get(dnu)} ${get('$q')} (i32.const 0) (i32.const 0))
    ${backItem(dlam, dz)}
    (call $gemvN ${get('$wa')} ${get(dnu)} ${get('$tn')} ${get('$n')} ${get('$q')})
    ${each('$n', `(f64.store ${at(dz)} (f64.add (f64.load ${at(dz)}) (f64.load ${at('$tn')})))`)}
    ${finishItem(dz, dlam, ds, '$gw')}`;

const step = (p: string, by: string): string =>
  `(local.set ${p} (i32.add ${get(p)} ${get(by)}))`;

/**
 * Work (doubles) per item: t, dza, tn (n each); zp, rca, dlama, dsa, vtu,
 * gw (m each); r2/u, dnua, wv (q each); twice, for a pair of items.
 */
export const workLength = (n: number, m: number, q: number): number =>
  2 * (3 * n + 6 * m + 3 * q);

/** The work vectors of an item in workLength's order, each with its bytes local. */
const EQ_LAYOUT: [string, string][] = [
  ['$t', '$nb'],
  ['$dza', '$nb'],
  ['$tn', '$nb'],
  ['$zp', '$mb'],
  ['$rca', '$mb'],
  ['$dlama', '$mb'],
  ['$dsa', '$mb'],
  ['$vtu', '$mb'],
  ['$gw', '$mb'],
  ['$u', '$qb'],
  ['$dnua', '$qb'],
  ['$wv', '$qb'],
];

/** The matrices' pointers, each with its stride local. */
const EQ_MATS: [string, string][] = [
  ['$lq', '$lqs'],
  ['$wg', '$wgs'],
  ['$g', '$gs'],
  ['$ls', '$lss'],
  ['$lr', '$lrs'],
  ['$v', '$vs'],
  ['$wa', '$was'],
];
/** The vectors' pointers, each with its bytes-per-item local. */
const EQ_VECS: [string, string][] = [
  ['$rx', '$nb'],
  ['$dz', '$nb'],
  ['$ry', '$qb'],
  ['$dnu', '$qb'],
  ...['$s', '$lam', '$sol', '$ina', '$rz', '$dlam', '$ds'].map(
    (p): [string, string] => [p, '$mb'],
  ),
];
const EQ_WORK = [...EQ_LAYOUT.map(([p]) => p), '$nan'];
/** What one item reads and writes (the pair's second has a B copy). */
const EQ_ITEM = [
  ...[...EQ_MATS, ...EQ_VECS].map(([p]) => p),
  ...EQ_WORK,
  ...CENTER_SCALARS,
];

/** The body's per-item steps after rxParts: two solves, or one for rc. */
const itemSteps = (single: boolean): string =>
  single
    ? `
    ${each('$m', `(f64.store ${at('$rca')} (f64.load ${at('$s')}))`)}
    ${solveItemEq('$rca', '$dz', '$dlam', '$ds', '$dnu')}`
    : `
    ${each('$m', `(f64.store ${at('$rca')} (f64.mul (f64.load ${at('$s')}) (f64.load ${at('$lam')})))`)}
    ${solveItemEq('$rca', '$dza', '$dlama', '$dsa', '$dnua')}
    ${centerItem}
    ${solveItemEq('$rca', '$dz', '$dlam', '$ds', '$dnu')}`;

const pcEqFunc = (name: string, single: boolean): WasmFunc => ({
  name,
  params: i32(
    '$lq',
    '$lqs',
    '$wg',
    '$wgs',
    '$g',
    '$gs',
    '$ls',
    '$lss',
    '$lr',
    '$lrs',
    '$v',
    '$vs',
    '$wa',
    '$was',
    '$rx',
    '$ry',
    '$s',
    '$lam',
    '$sol',
    '$ina',
    '$rz',
    '$dz',
    '$dlam',
    '$ds',
    '$dnu',
    '$work',
    '$n',
    '$m',
    '$q',
    '$count',
  ),
  locals: [
    ...i32('$k', '$ib', '$iend', '$nb', '$mb', '$qb', ...EQ_WORK),
    ...f64(...CENTER_SCALARS),
    ...i32(
      ...[...EQ_MATS, ...EQ_VECS].map(([p]) => `${p}B`),
      ...EQ_WORK.map((p) => `${p}B`),
    ),
    ...f64(...CENTER_SCALARS.map((p) => `${p}B`)),
  ],
  body: `
  (local.set $nb (i32.shl ${get('$n')} (i32.const 3)))
  (local.set $mb (i32.shl ${get('$m')} (i32.const 3)))
  (local.set $qb (i32.shl ${get('$q')} (i32.const 3)))
  ${pairWork(EQ_LAYOUT)}
  ${pairedItemLoop(
    `
    ;; t = L_Q⁻¹rx, zPart = rz − W_Gᵀt, u = L_R⁻¹(ry − W_Aᵀt)
    ${rxPartsItem('$rx')}
    (call $gemvT ${get('$wa')} ${get('$t')} ${get('$u')} ${get('$q')} ${get('$n')})
    ${each('$q', `(f64.store ${at('$u')} (f64.sub (f64.load ${at('$ry')}) (f64.load ${at('$u')})))`)}
    (call $trsvDot ${get('$lr')} ${get('$u')} ${get('$q')} (i32.const 1) (i32.const 0))
    ${itemSteps(single)}`,
    `${[...EQ_MATS, ...EQ_VECS].map(([p, by]) => step(p, by)).join(' ')}
    (local.set $k (i32.add ${get('$k')} (i32.const 1)))`,
    secondItem([...EQ_MATS, ...EQ_VECS]),
    EQ_ITEM,
  )}`,
});

const qpPredictCorrectEq = pcEqFunc('qpPredictCorrectEq', false);
const qpDualSolveEq = pcEqFunc('qpDualSolveEq', true);

/** In WebAssembly (runFused); false if its memory cannot be had. */
function runWasm(
  wk: WasmKernels,
  ins: readonly CpuTensor[],
  outs: readonly CpuTensor[],
  single: boolean,
  active: ArrayLike<number> | null = null,
): boolean {
  const [nBatch, n] = ins[7].shape;
  const q = ins[8].shape[1];
  const m = ins[9].shape[1];
  const sizes = [n * n, n * m, m * n, m * m, q * q, q * m, n * q];
  const vecLens = [n, q, m, m, m, m, m];
  const outLens = [n, m, m, q];
  return runFused(
    wk,
    single ? 'qpDualSolveEq' : 'qpPredictCorrectEq',
    nBatch,
    sizes.map((size, i): Operand => [ins[i], size]),
    vecLens.map((len, i): Operand => [ins[7 + i], len]),
    outLens.map((len, i): Operand => [outs[i], len]),
    workLength(n, m, q),
    [n, m, q],
    active,
  );
}

/** y = Mᵀ·x for the stored r×c matrix M at `mo` (y has c entries). */
function matVecT(
  M: Data,
  mo: number,
  r: number,
  c: number,
  x: Float64Array,
  y: Float64Array,
): void {
  y.fill(0);
  for (let i = 0; i < r; i++)
    for (let j = 0; j < c; j++) y[j] += M[mo + i * c + j] * x[i];
}

/** The same in plain JS loops (no WebAssembly SIMD here). */
function pcEqJs(
  ins: readonly CpuTensor[],
  outs: readonly CpuTensor[],
  single: boolean,
): void {
  const [lq, wG, G, ls, lr, v, wA, rx, ry, s, lam, sOverLam, inactive, rz] =
    ins;
  const [nBatch, n] = rx.shape;
  const q = ry.shape[1];
  const m = s.shape[1];
  const off = (x: CpuTensor, b: number, size: number) =>
    x.shape.length === 3 ? b * size : 0;
  const D = (x: CpuTensor) => x.data as Data;
  const [t, zp, u, rcl, dlam, vtu, wv, dnu, dz, tn, gdz] = [
    n,
    m,
    q,
    m,
    m,
    m,
    q,
    q,
    n,
    n,
    m,
  ].map((len) => new Float64Array(len));
  const ds = new Float64Array(m);
  const rc = new Float64Array(m);
  const aff = { dlam: new Float64Array(m), ds: new Float64Array(m) };
  /** One solve for rc into dz, dlam, ds, dnu (the file comment's formulas). */
  const solve = (b: number): void => {
    const vo = b * m;
    for (let i = 0; i < m; i++) {
      rcl[i] = rc[i] / lam.data[vo + i];
      dlam[i] = zp[i] - rcl[i];
    }
    matVecT(D(v), off(v, b, q * m), q, m, u, vtu);
    for (let i = 0; i < m; i++) dlam[i] -= vtu[i];
    forwardSolve(D(ls), b * m * m, m, dlam);
    backSolveT(D(ls), b * m * m, m, dlam);
    matVec(D(v), off(v, b, q * m), q, m, dlam, wv);
    for (let i = 0; i < q; i++) dnu[i] = u[i] - wv[i];
    backSolveT(D(lr), off(lr, b, q * q), q, dnu);
    matVec(D(wG), off(wG, b, n * m), n, m, dlam, dz);
    for (let i = 0; i < n; i++) dz[i] = t[i] + dz[i];
    matVec(D(wA), off(wA, b, n * q), n, q, dnu, tn);
    for (let i = 0; i < n; i++) dz[i] += tn[i];
    backSolveT(D(lq), off(lq, b, n * n), n, dz);
    for (let i = 0; i < n; i++) dz[i] = -dz[i];
    matVec(D(G), off(G, b, m * n), m, n, dz, gdz);
    for (let i = 0; i < m; i++) {
      ds[i] =
        inactive.data[vo + i] !== 0
          ? -(rz.data[vo + i] + gdz[i])
          : -(rcl[i] + sOverLam.data[vo + i] * dlam[i]);
    }
  };
  for (let b = 0; b < nBatch; b++) {
    for (let i = 0; i < n; i++) t[i] = rx.data[b * n + i];
    forwardSolve(D(lq), off(lq, b, n * n), n, t);
    matVecT(D(wG), off(wG, b, n * m), n, m, t, zp);
    for (let i = 0; i < m; i++) zp[i] = rz.data[b * m + i] - zp[i];
    matVecT(D(wA), off(wA, b, n * q), n, q, t, u);
    for (let i = 0; i < q; i++) u[i] = ry.data[b * q + i] - u[i];
    forwardSolve(D(lr), off(lr, b, q * q), q, u);
    if (single) {
      for (let i = 0; i < m; i++) rc[i] = s.data[b * m + i];
      solve(b);
      outs[0].data.set(dz, b * n);
      outs[1].data.set(dlam, b * m);
      outs[2].data.set(ds, b * m);
      outs[3].data.set(dnu, b * q);
      continue;
    }
    for (let i = 0; i < m; i++) rc[i] = s.data[b * m + i] * lam.data[b * m + i];
    solve(b);
    aff.dlam.set(dlam);
    aff.ds.set(ds);
    const item = (x: CpuTensor, arr: Float64Array): CpuTensor => ({
      data: arr,
      shape: [1, m],
      dtype: 'float64',
    });
    const sb = item(s, Float64Array.from(D(s).subarray(b * m, (b + 1) * m)));
    const lb = item(
      lam,
      Float64Array.from(D(lam).subarray(b * m, (b + 1) * m)),
    );
    centeringOp.cpu(
      [sb, lb, item(s, aff.ds), item(s, aff.dlam)],
      [item(s, rc)],
      {},
    );
    solve(b);
    outs[0].data.set(dz, b * n);
    outs[1].data.set(dlam, b * m);
    outs[2].data.set(ds, b * m);
    outs[3].data.set(dnu, b * q);
  }
}

/** The tensor-op form: what solver/kkt/dual.ts runs without this kernel. */
function pcEqOps(ins: readonly Tensor[], { single }: PcEqAttrs): Tensor[] {
  const [lq, wG, G, ls, lr, v, wA, rx, ry, s, lam, sOverLam, inactive, rz] =
    ins;
  const t = trsv(lq, rx, false);
  const zPart = rz.sub(mtv(wG, t));
  const u = trsv(lr, ry.sub(mtv(wA, t)), false);
  const solve = (rc: Tensor): Tensor[] => {
    const rcOverLam = rc.div(lam);
    const dlam = cholSolveVec(ls, zPart.sub(rcOverLam).sub(mtv(v, u)));
    const dnu = trsv(lr, u.sub(mv(v, dlam)), true);
    const dz = trsv(lq, t.add(mv(wG, dlam)).add(mv(wA, dnu)), true).neg();
    const ds = where(
      inactive,
      rz.add(mv(G, dz)).neg(),
      rcOverLam.add(sOverLam.mul(dlam)).neg(),
    );
    return [dz, dlam, ds, dnu];
  };
  if (single === true) return solve(s); // s's place holds rc
  const aff = solve(s.mul(lam));
  return solve(centering(s, lam, aff[2], aff[1]));
}

export interface PcEqAttrs {
  /** One solve for the rc given in s's place, instead of a direction. */
  readonly single?: boolean;
}

/**
 * This file's WebAssembly function (fused-kernels.ts registers them all at
 * once).
 */
export const predictCorrectEqWat: readonly WasmFunc[] = [
  qpPredictCorrectEq,
  qpDualSolveEq,
];

export const predictCorrectEqOp: KernelOp<PcEqAttrs> = defineOp<PcEqAttrs>({
  name: 'qpPredictCorrectEq',
  shape: pcEqShape,
  cpu: (all, outs, { single }) => {
    registerWasmKernels(predictCorrectEqWat);
    const wk = wasmKernels();
    const one = single === true;
    const [ins, act] = splitActive(
      'qpPredictCorrectEq',
      all,
      14,
      all[7].shape[0],
    );
    // The JS loops compute every item (active is an economy, not a rule).
    if (wk === null || !runWasm(wk, ins, outs, one, act?.data ?? null))
      pcEqJs(ins, outs, one);
  },
  decompose: (ins, attrs) => pcEqOps(ins.slice(0, 14), attrs),
  // Every element of every output is written, on every path.
  fillsOutputs: true,
});

/**
 * A whole Mehrotra direction of the dual reduction with equalities, fused
 * per item (see the file comment): [dz, dlam, ds, dnu]. An optional last
 * `active` (bool [nBatch, 1]) lets the items where it is false be left out
 * (their outputs 0).
 * @example
 * const [dz, dlam, ds, dnu] = predictCorrectEq(lq, wG, G, ls, lr, v, wA, rx, ry, s, lam, sOverLam, inactive, rz);
 */
export function predictCorrectEq(
  ...ins: [...Tensor[], Tensor | null] | Tensor[]
): Tensor[] {
  // A null active (the last argument) is left out.
  const given = ins[ins.length - 1] === null ? ins.slice(0, -1) : ins;
  return apply(predictCorrectEqOp, given as Tensor[], {});
}

/**
 * One Newton solve of the dual reduction with equalities, fused per item
 * (see the file comment): [dz, dlam, ds, dnu] for the right-hand sides
 * rx, ry, rc, rz.
 * @example
 * const [dz, dlam, ds, dnu] = dualSolveEq(lq, wG, G, ls, lr, v, wA, rx, ry, rc, lam, sOverLam, inactive, rz);
 */
export function dualSolveEq(...ins: Tensor[]): Tensor[] {
  return apply(predictCorrectEqOp, ins, { single: true });
}
