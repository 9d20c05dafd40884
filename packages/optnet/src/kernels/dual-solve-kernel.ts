/**
 * A fused kernel for one Newton solve of the dual reduction
 * (solver/kkt/dual.ts) without equality constraints, the OptNet layer's
 * common case: given the iteration's factors and the parts of the
 * right-hand side that `rxParts` already reduced,
 *
 *   r1   = zPart − rc/lam
 *   dlam = L_S⁻ᵀ L_S⁻¹ r1              (S = L_S L_Sᵀ)
 *   dz   = −L_Q⁻ᵀ (t + W_G dlam)
 *   ds   = −(rz + G dz) where inactive, else −(rc/lam + (s/lam)∘dlam)
 *
 * item by item in one WebAssembly call (the same $trsvDot, $trsvAxpy and
 * $gemvN the tensor ops run, so the same bits as the tensor-op form for
 * per-item float64 data), instead of ~12 tensor primitives a solve: at
 * nz 10 their fixed cost per call was about a third of an iteration.
 * `decompose` is that tensor-op form, for backends without this kernel;
 * where WebAssembly SIMD is missing a plain JS loop runs it.
 *
 * `qpPredictCorrect` fuses a whole Mehrotra direction the same way: the
 * right-hand side parts both solves share, the affine solve, the
 * corrector right-hand side (qpCentering's arithmetic) and the corrector
 * solve of an item in one go, so the second solve finds the item's
 * matrices in cache (at nz 100 each pass over them reads ~30 MB).
 *
 * Glossary: n = nz, m = nIneq; L_Q [·, n, n], W_G = L_Q⁻¹Gᵀ [·, n, m],
 * G [·, m, n] (each shared or per item), L_S [nBatch, m, m]; t
 * [nBatch, n]; zPart, rc, lam, sOverLam, inactive (bool), rz [nBatch, m].
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
import { centering, centeringOp } from './step-kernels.js';
import {
  CENTER_SCALARS,
  backSolveT,
  centerItem,
  dualSolveItem,
  forwardSolve,
  get,
  lanes,
  matVec,
  pairWork,
  pairedItemLoop,
  runFused,
  rxPartsItem,
  secondItem,
  splitActive,
  type Data,
  type Operand,
} from './fused-common.js';

/** Inputs in order; the seventh is rc (qpDualSolve) or s (qpPredictCorrect). */
const NAMES = [
  'lq',
  'wG',
  'G',
  'ls',
  't',
  'zPart',
  'rc|s',
  'lam',
  'sOverLam',
  'inactive',
  'rz',
] as const;

function dualSolveShape(op: string, ins: readonly TensorMeta[]): TensorMeta[] {
  const [lq, wG, G, ls, t, zPart] = ins;
  const [nBatch, n] = t.shape;
  const m = zPart.shape[1];
  const mat = (x: TensorMeta, r: number, c: number) =>
    shapesEqual(x.shape, [r, c]) || shapesEqual(x.shape, [nBatch, r, c]);
  const ok =
    ins.length === 11 &&
    t.shape.length === 2 &&
    zPart.shape.length === 2 &&
    zPart.shape[0] === nBatch &&
    mat(lq, n, n) &&
    mat(wG, n, m) &&
    mat(G, m, n) &&
    shapesEqual(ls.shape, [nBatch, m, m]) &&
    ins.slice(6).every((x) => shapesEqual(x.shape, zPart.shape));
  if (!ok) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `${op}: inputs must be lq [(nBatch,) n, n], wG [(nBatch,) n, m], G [(nBatch,) m, n], ls [nBatch, m, m], ` +
        `t [nBatch, n] and six [nBatch, m] vectors; got ${ins.map((x, i) => `${NAMES[i] ?? '?'}[${x.shape.join(', ')}]`).join(', ')}.`,
    );
  }
  const dtype = t.dtype;
  if (
    ins.some((x, i) => (i === 9 ? x.dtype !== 'bool' : x.dtype !== dtype)) ||
    (dtype !== 'float32' && dtype !== 'float64')
  ) {
    throw new DTypeError(
      'DTYPE_MISMATCH',
      `${op}: inputs must share one float dtype (inactive bool); got ${ins.map((x) => x.dtype).join(', ')}.`,
    );
  }
  return [
    { shape: [nBatch, n], dtype },
    { shape: [nBatch, m], dtype },
    { shape: [nBatch, m], dtype },
  ];
}

/**
 * Every pointer on to the next item: matrices by their stride, vectors by n or
 * m doubles.
 */
const nextItem = (vecN: readonly string[], vecM: readonly string[]): string => `
    (local.set $lq (i32.add ${get('$lq')} ${get('$lqs')}))
    (local.set $wg (i32.add ${get('$wg')} ${get('$wgs')}))
    (local.set $g (i32.add ${get('$g')} ${get('$gs')}))
    (local.set $ls (i32.add ${get('$ls')} ${get('$lss')}))
    ${vecN.map((v) => `(local.set ${v} (i32.add ${get(v)} ${get('$nb')}))`).join('\n    ')}
    ${vecM.map((v) => `(local.set ${v} (i32.add ${get(v)} ${get('$mb')}))`).join('\n    ')}
    (local.set $k (i32.add ${get('$k')} (i32.const 1)))`;

const MATRICES = ['$lq', '$lqs', '$wg', '$wgs', '$g', '$gs', '$ls', '$lss'];

/**
 * qpDualSolve(lq, lqs, wg, wgs, g, gs, ls, lss, t, zp, rc, lam, sol, ina,
 * rz, dz, dlam, ds, work, n, m, count): the file comment's solve for
 * `count` items; work is m doubles.
 */
const qpDualSolve: WasmFunc = {
  name: 'qpDualSolve',
  params: i32(
    ...MATRICES,
    '$t',
    '$zp',
    '$rc',
    '$lam',
    '$sol',
    '$ina',
    '$rz',
    '$dz',
    '$dlam',
    '$ds',
    '$work',
    '$n',
    '$m',
    '$count',
  ),
  locals: i32('$k', '$ib', '$iend', '$nb', '$mb'),
  body: `
  (local.set $nb (i32.shl ${get('$n')} (i32.const 3)))
  (local.set $mb (i32.shl ${get('$m')} (i32.const 3)))
  (block $done (loop $items
    (br_if $done (i32.ge_s ${get('$k')} ${get('$count')}))
    ${dualSolveItem('$rc', '$dz', '$dlam', '$ds', '$work')}
    ${nextItem(['$t', '$dz'], ['$zp', '$rc', '$lam', '$sol', '$ina', '$rz', '$dlam', '$ds'])}
    (br $items)))`,
};

/**
 * qpPredictCorrect(lq, lqs, wg, wgs, g, gs, ls, lss, rx, s, lam, sol, ina,
 * rz, dz, dlam, ds, work, n, m, count): a whole Mehrotra direction per
 * item: the parts of the right-hand side both solves share (t = L_Q⁻¹rx,
 * zPart = rz − W_Gᵀt, as solver/kkt/dual.ts rxParts), the affine solve with
 * rc = s∘lam, the corrector right-hand side (centerItem) and the corrector
 * solve, while the item's matrices are in cache (the corrector's reads
 * then cost no memory traffic). work is pcWork(n, m) doubles: t, zPart, rc,
 * the affine dz, dlam, ds, and m of scratch, for each item of a pair.
 */
/** The per-item steps after rxParts: two solves, or one for a given rc. */
const pcSteps = (single: boolean): string =>
  single
    ? `
    ${lanes('$m', (o) => o.store('$rca', o.load('$s')))}
    ${dualSolveItem('$rca', '$dz', '$dlam', '$ds', '$gw')}`
    : `
    ${lanes('$m', (o) => o.store('$rca', o.mul(o.load('$s'), o.load('$lam'))))}
    ${dualSolveItem('$rca', '$dza', '$dlama', '$dsa', '$gw')}
    ${centerItem}
    ${dualSolveItem('$rca', '$dz', '$dlam', '$ds', '$gw')}`;

/** pcFunc's vector parameters: the n-vectors, then the m-vectors. */
const PC_VEC_N = ['$rx', '$dz'];
const PC_VEC_M = ['$s', '$lam', '$sol', '$ina', '$rz', '$dlam', '$ds'];
/** pcFunc's work vectors of an item, each with its bytes local. */
const PC_LAYOUT: [string, string][] = [
  ['$t', '$nb'],
  ['$zp', '$mb'],
  ['$rca', '$mb'],
  ['$dza', '$nb'],
  ['$dlama', '$mb'],
  ['$dsa', '$mb'],
  ['$gw', '$mb'],
];
/** pcFunc's per-item i32 locals: the work vectors and $nan. */
const PC_WORK = [...PC_LAYOUT.map(([p]) => p), '$nan'];
/** What one item of pcFunc reads and writes (the pair's second has a B copy). */
const PC_ITEM = [
  '$lq',
  '$wg',
  '$g',
  '$ls',
  ...PC_VEC_N,
  ...PC_VEC_M,
  ...PC_WORK,
  ...CENTER_SCALARS,
];

/**
 * The doubles of work qpPredictCorrect and qpDualSolveRx take: t, zPart,
 * rc, the affine dz, dlam, ds and m of scratch (2n + 5m) for each item of
 * a pair.
 * @example const work = pcWork(n, m);
 */
export const pcWork = (n: number, m: number): number => 2 * (2 * n + 5 * m);

/**
 * Items two at a time (pairItems: the triangular solves of the two run
 * side by side, each item's bits as alone), then a last odd item alone.
 */
const pcFunc = (name: string, single: boolean): WasmFunc => {
  const item = `
    ;; t = L_Q⁻¹rx, zPart = rz − W_Gᵀt
    ${rxPartsItem('$rx')}
    ${pcSteps(single)}`;
  const next = nextItem(PC_VEC_N, PC_VEC_M);
  const mats: [string, string][] = [
    ['$lq', '$lqs'],
    ['$wg', '$wgs'],
    ['$g', '$gs'],
    ['$ls', '$lss'],
  ];
  const second = secondItem([
    ...mats,
    ...PC_VEC_N.map((v) => [v, '$nb'] as const),
    ...PC_VEC_M.map((v) => [v, '$mb'] as const),
  ]);
  return {
    name,
    params: i32(
      ...MATRICES,
      ...PC_VEC_N.slice(0, 1),
      ...PC_VEC_M.slice(0, 5),
      ...PC_VEC_N.slice(1),
      ...PC_VEC_M.slice(5),
      '$work',
      '$n',
      '$m',
      '$count',
    ),
    locals: [
      ...i32('$k', '$ib', '$iend', '$nb', '$mb', ...PC_WORK),
      ...f64(...CENTER_SCALARS),
      ...i32(
        ...['$lq', '$wg', '$g', '$ls', ...PC_VEC_N, ...PC_VEC_M].map(
          (v) => `${v}B`,
        ),
        ...PC_WORK.map((v) => `${v}B`),
      ),
      ...f64(...CENTER_SCALARS.map((v) => `${v}B`)),
    ],
    body: `
  (local.set $nb (i32.shl ${get('$n')} (i32.const 3)))
  (local.set $mb (i32.shl ${get('$m')} (i32.const 3)))
  ${pairWork(PC_LAYOUT)}
  ${pairedItemLoop(item, next, second, PC_ITEM)}`,
  };
};

const qpPredictCorrect = pcFunc('qpPredictCorrect', false);
/** One solve from rx for the rc given in s's place (predictCorrect single). */
const qpDualSolveRx = pcFunc('qpDualSolveRx', true);

/**
 * qpDualSolve or qpPredictCorrect in WebAssembly (runFused); false if its
 * memory cannot be had.
 */
function runWasm(
  wk: WasmKernels,
  fn: 'qpDualSolve' | 'qpPredictCorrect' | 'qpDualSolveRx',
  ins: readonly CpuTensor[],
  outs: readonly CpuTensor[],
  active: ArrayLike<number> | null = null,
): boolean {
  const [lq, wG, G, ls] = ins;
  const [nBatch, n] = ins[4].shape;
  const m = ins[ins.length - 1].shape[1];
  // inputs: t or rx (n), then m-vectors; outputs dz (n), dlam, ds (m)
  const vecs = ins.slice(4).map((x, i): Operand => [x, i === 0 ? n : m]);
  const work = fn === 'qpDualSolve' ? m : pcWork(n, m);
  return runFused(
    wk,
    fn,
    nBatch,
    [
      [lq, n * n],
      [wG, n * m],
      [G, m * n],
      [ls, m * m],
    ],
    vecs,
    [
      [outs[0], n],
      [outs[1], m],
      [outs[2], m],
    ],
    work,
    [n, m],
    active,
  );
}

/** The same solve in plain JS loops (no WebAssembly SIMD here). */
function dualSolveJs(
  ins: readonly CpuTensor[],
  [dzT, dlamT, dsT]: readonly CpuTensor[],
): void {
  const [lq, wG, G, ls, t, zPart, rc, lam, sOverLam, inactive, rz] = ins;
  const [nBatch, n] = t.shape;
  const m = zPart.shape[1];
  const off = (x: CpuTensor, b: number, size: number) =>
    x.shape.length === 3 ? b * size : 0;
  const [T, Z, RC, LAM, SOL, INA, RZ] = [
    t.data,
    zPart.data,
    rc.data,
    lam.data,
    sOverLam.data,
    inactive.data,
    rz.data,
  ];
  const y = new Float64Array(m);
  const rcl = new Float64Array(m);
  const back = new Float64Array(n);
  const gdz = new Float64Array(m);
  for (let b = 0; b < nBatch; b++) {
    const vo = b * m;
    for (let i = 0; i < m; i++) {
      rcl[i] = RC[vo + i] / LAM[vo + i];
      y[i] = Z[vo + i] - rcl[i];
    }
    forwardSolve(ls.data as Data, b * m * m, m, y);
    backSolveT(ls.data as Data, b * m * m, m, y);
    matVec(wG.data as Data, off(wG, b, n * m), n, m, y, back);
    for (let i = 0; i < n; i++) back[i] += T[b * n + i];
    backSolveT(lq.data as Data, off(lq, b, n * n), n, back);
    for (let i = 0; i < n; i++) back[i] = -back[i];
    matVec(G.data as Data, off(G, b, m * n), m, n, back, gdz);
    for (let i = 0; i < n; i++) dzT.data[b * n + i] = back[i];
    for (let i = 0; i < m; i++) {
      dlamT.data[vo + i] = y[i];
      dsT.data[vo + i] =
        INA[vo + i] !== 0
          ? -(RZ[vo + i] + gdz[i])
          : -(rcl[i] + SOL[vo + i] * y[i]);
    }
  }
}

/** The tensor-op form (what solver/kkt/dual.ts runs without this kernel). */
function dualSolveOps([
  lq,
  wG,
  G,
  ls,
  t,
  zPart,
  rc,
  lam,
  sOverLam,
  inactive,
  rz,
]: readonly Tensor[]): Tensor[] {
  const rcOverLam = rc.div(lam);
  const dlam = cholSolveVec(ls, zPart.sub(rcOverLam));
  const dz = trsv(lq, t.add(mv(wG, dlam)), true).neg();
  const fromComp = rcOverLam.add(sOverLam.mul(dlam)).neg();
  const fromRow = rz.add(mv(G, dz)).neg();
  return [dz, dlam, where(inactive, fromRow, fromComp)];
}

/**
 * This file's WebAssembly functions (fused-kernels.ts registers them all at
 * once).
 */
export const dualSolveWat: readonly WasmFunc[] = [
  qpDualSolve,
  qpPredictCorrect,
  qpDualSolveRx,
];

export const dualSolveOp: KernelOp<Record<string, never>> = defineOp<
  Record<string, never>
>({
  name: 'qpDualSolve',
  shape: (ins) => dualSolveShape('qpDualSolve', ins),
  cpu: (ins, outs) => {
    // Added to the CPU backend's module on first use (idempotent).
    registerWasmKernels(dualSolveWat);
    const wk = wasmKernels();
    if (wk === null || !runWasm(wk, 'qpDualSolve', ins, outs))
      dualSolveJs(ins, outs);
  },
  decompose: dualSolveOps,
  // Every element of every output is written, on every path.
  fillsOutputs: true,
});

/**
 * One Newton solve of the dual reduction without equalities, fused (see
 * the file comment): [dz, dlam, ds].
 * @example
 * const [dz, dlam, ds] = dualSolve(lq, wG, G, ls, t, zPart, rc, lam, sOverLam, inactive, rz);
 */
export function dualSolve(
  ...ins: [
    Tensor,
    Tensor,
    Tensor,
    Tensor,
    Tensor,
    Tensor,
    Tensor,
    Tensor,
    Tensor,
    Tensor,
    Tensor,
  ]
): Tensor[] {
  return apply(dualSolveOp, ins, {});
}

/**
 * Shapes of qpPredictCorrect: lq, wG, G, ls, rx [nBatch, n], then s, lam,
 * sOverLam, inactive, rz [nBatch, m].
 */
function predictCorrectShape(all: readonly TensorMeta[]): TensorMeta[] {
  if (all.length !== 10 && all.length !== 11) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `qpPredictCorrect: takes 10 inputs (lq, wG, G, ls, rx, s, lam, sOverLam, inactive, rz) and active, optional; got ${all.length}.`,
    );
  }
  const [ins] = splitActive('qpPredictCorrect', all, 10, all[4].shape[0]);
  // The solve's check, with rx in t's place and zPart and rc standing in for
  // rz's shape.
  return dualSolveShape('qpPredictCorrect', [
    ...ins.slice(0, 5),
    ins[9],
    ins[5],
    ...ins.slice(6),
  ]);
}

/** t = L_Q⁻¹rx and zPart = rz − W_Gᵀt (solver/kkt/dual.ts rxParts). */
function rxPartsOps(
  lq: Tensor,
  wG: Tensor,
  rx: Tensor,
  rz: Tensor,
): [Tensor, Tensor] {
  const t = trsv(lq, rx, false);
  return [t, rz.sub(mtv(wG, t))];
}

/**
 * The predictor-corrector direction in tensor ops: rxParts, affine solve,
 * qpCentering, corrector solve.
 */
function predictCorrectOps(
  ins: readonly Tensor[],
  { single }: PredictCorrectAttrs,
): Tensor[] {
  const [lq, wG, G, ls, rx, s, lam, sOverLam, inactive, rz] = ins;
  const [t, zPart] = rxPartsOps(lq, wG, rx, rz);
  if (single === true)
    return dualSolveOps([
      lq,
      wG,
      G,
      ls,
      t,
      zPart,
      s,
      lam,
      sOverLam,
      inactive,
      rz,
    ]);
  const [, dlamAff, dsAff] = dualSolveOps([
    lq,
    wG,
    G,
    ls,
    t,
    zPart,
    s.mul(lam),
    lam,
    sOverLam,
    inactive,
    rz,
  ]);
  const rc = centering(s, lam, dsAff, dlamAff);
  return dualSolveOps([
    lq,
    wG,
    G,
    ls,
    t,
    zPart,
    rc,
    lam,
    sOverLam,
    inactive,
    rz,
  ]);
}

/**
 * The same in plain JS loops: t and zPart, the JS solve, qpCentering's kernel,
 * the JS solve.
 */
function predictCorrectJs(
  ins: readonly CpuTensor[],
  outs: readonly CpuTensor[],
  single: boolean,
): void {
  const [lq, wG, , , rx, s, lam, , , rz] = ins;
  const [nBatch, n] = rx.shape;
  const m = s.shape[1];
  const vec = (shape: readonly number[]): CpuTensor => ({
    data: new Float64Array(shape[0] * shape[1]),
    shape,
    dtype: 'float64',
  });
  const t = vec([nBatch, n]);
  const zPart = vec([nBatch, m]);
  const x = new Float64Array(n);
  for (let b = 0; b < nBatch; b++) {
    for (let i = 0; i < n; i++) x[i] = rx.data[b * n + i];
    forwardSolve(lq.data as Data, lq.shape.length === 3 ? b * n * n : 0, n, x);
    t.data.set(x, b * n);
    const wo = wG.shape.length === 3 ? b * n * m : 0;
    for (let j = 0; j < m; j++) {
      let acc = 0;
      for (let i = 0; i < n; i++) acc += wG.data[wo + i * m + j] * x[i];
      zPart.data[b * m + j] = rz.data[b * m + j] - acc;
    }
  }
  const solveIns = (rc: CpuTensor) => [
    ...ins.slice(0, 4),
    t,
    zPart,
    rc,
    ...ins.slice(6),
  ];
  if (single) return dualSolveJs(solveIns(s), outs);
  const rcAff = vec([nBatch, m]);
  for (let i = 0; i < rcAff.data.length; i++)
    rcAff.data[i] = s.data[i] * lam.data[i];
  const aff = [vec([nBatch, n]), vec([nBatch, m]), vec([nBatch, m])];
  dualSolveJs(solveIns(rcAff), aff);
  const rc = vec([nBatch, m]);
  centeringOp.cpu([s, lam, aff[2], aff[1]], [rc], {});
  dualSolveJs(solveIns(rc), outs);
}

export interface PredictCorrectAttrs {
  /** One solve for the rc given in s's place, instead of a direction. */
  readonly single?: boolean;
}

export const predictCorrectOp: KernelOp<PredictCorrectAttrs> =
  defineOp<PredictCorrectAttrs>({
    name: 'qpPredictCorrect',
    shape: predictCorrectShape,
    cpu: (all, outs, { single }) => {
      registerWasmKernels(dualSolveWat);
      const wk = wasmKernels();
      const one = single === true;
      const fn = one ? 'qpDualSolveRx' : 'qpPredictCorrect';
      const [ins, active] = splitActive(
        'qpPredictCorrect',
        all,
        10,
        all[4].shape[0],
      );
      // The JS loops compute every item (active is an economy, not a rule).
      if (wk === null || !runWasm(wk, fn, ins, outs, active?.data ?? null))
        predictCorrectJs(ins, outs, one);
    },
    decompose: (ins, attrs) => predictCorrectOps(ins.slice(0, 10), attrs),
    // Every element of every output is written, on every path.
    fillsOutputs: true,
  });

/**
 * A whole Mehrotra direction of the dual reduction without equalities,
 * fused per item: t = L_Q⁻¹rx and zPart = rz − W_Gᵀt, the affine solve
 * (rc = s∘lam), qpCentering's corrector right-hand side, and the
 * corrector solve: [dz, dlam, ds]. With `active` (bool [nBatch, 1], last)
 * the items where it is false may be left out (their outputs 0).
 * @example
 * const [dz, dlam, ds] = predictCorrect(lq, wG, G, ls, rx, s, lam, sOverLam, inactive, rz);
 */
export function predictCorrect(
  ...ins: [
    Tensor,
    Tensor,
    Tensor,
    Tensor,
    Tensor,
    Tensor,
    Tensor,
    Tensor,
    Tensor,
    Tensor,
    (Tensor | null)?,
  ]
): Tensor[] {
  const last = ins[10];
  const given = last === null || last === undefined ? ins.slice(0, 10) : ins;
  return apply(predictCorrectOp, given as Tensor[], {});
}

/**
 * One Newton solve of the dual reduction without equalities from rx,
 * fused per item (qpPredictCorrect's single mode): [dz, dlam, ds] for the
 * right-hand sides rx, rc, rz.
 * @example
 * const [dz, dlam, ds] = dualSolveRx(lq, wG, G, ls, rx, rc, lam, sOverLam, inactive, rz);
 */
export function dualSolveRx(...ins: Tensor[]): Tensor[] {
  return apply(predictCorrectOp, ins, { single: true });
}
