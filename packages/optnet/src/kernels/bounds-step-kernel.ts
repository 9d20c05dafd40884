/**
 * qpBoundsStep: a whole Mehrotra direction of the bounds reduction
 * (solver/kkt/bounds.ts) fused per item, with the factors of
 * qpBoundsFactor (bounds-factor-kernel.ts). A solve for rc is
 *
 *   w    = (lam∘rz − rc) / s
 *   r1   = −rx − Gᵀw
 *   dnu  = S⁻¹(A (r1 / h) + ry)         (S = L_S L_Sᵀ)
 *   dz   = (r1 − Aᵀdnu) / h
 *   ds   = −rz − G dz,   dlam = (lam/s)∘(G dz) + w
 *
 * done for rc = s∘lam (affine), then for qpCentering's corrector rc
 * (the same arithmetic as its kernel), while the item's A and L_S are in
 * cache (qpBoundsSolve, bounds-solve-kernel.ts, is one solve for a given
 * rc, with refinement, from the same pieces). G is read as one column index
 * and value per row (compressBounds); a G with two nonzeros in a row runs
 * the JS loops. `decompose` is the tensor-op form (what bounds.ts ran
 * before). An optional tenth input `active` (bool [nBatch, 1]) leaves out
 * the items where it is false (their outputs 0).
 *
 * Glossary: n = nz, m = nIneq, q = nEq; 1/h [nBatch, n], L_S
 * [nBatch, q, q], A [·, q, n], G [·, m, n]; rx [nBatch, n], ry
 * [nBatch, q]; s, lam, rz [nBatch, m].
 */
import {
  apply,
  defineOp,
  DTypeError,
  ShapeError,
  shapesEqual,
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
  type WasmKernels,
  type WasmFunc,
} from '@optnet/tensor/wasm';
import { cholSolveVec, mtv, mv } from './batch.js';
import { compressBounds } from './bounds-factor-kernel.js';
import {
  at,
  backSolveT,
  centerItem,
  each,
  forwardSolve,
  get,
  runFused,
  splitActive,
  type Data,
  type Operand,
} from './fused-common.js';
import { centering, centeringOp } from './step-kernels.js';

const NAMES = ['hInv', 'ls', 'A', 'G', 'rx', 'ry', 's', 'lam', 'rz'];

/**
 * The outputs' shapes for qpBoundsStep's nine inputs (the first nine of
 * qpBoundsSolve's, `extra` more [nBatch, m] vectors after them), or the
 * op's ShapeError/DTypeError.
 * @example shape: (ins) => stepShapeOf('qpBoundsStep', ins, 0),
 */
export function stepShapeOf(
  op: string,
  ins: readonly TensorMeta[],
  extra: number,
): TensorMeta[] {
  const [hInv, ls, a, g, rx, ry, s] = ins;
  const [nBatch, n] = hInv.shape;
  const q = ry.shape[1];
  const m = s.shape[1];
  const is = (x: TensorMeta, ...dims: number[]) =>
    x.shape.join() === dims.join() || shapesEqual(x.shape, [nBatch, ...dims]);
  const ok =
    ins.length === 9 + extra &&
    hInv.shape.length === 2 &&
    ry.shape.length === 2 &&
    s.shape.length === 2 &&
    shapesEqual(ls.shape, [nBatch, q, q]) &&
    is(a, q, n) &&
    is(g, m, n) &&
    shapesEqual(rx.shape, [nBatch, n]) &&
    ry.shape[0] === nBatch &&
    ins.slice(6).every((x) => shapesEqual(x.shape, [nBatch, m]));
  if (!ok) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `${op}: inputs must be hInv [nBatch, n], ls [nBatch, q, q], A [(nBatch,) q, n], G [(nBatch,) m, n], rx [nBatch, n], ry [nBatch, q], s, lam, rz [nBatch, m]${extra > 0 ? ' and more' : ''}; got ${ins.map((x, i) => `${NAMES[i] ?? '?'}[${x.shape.join(', ')}]`).join(', ')}.`,
    );
  }
  const dtype = hInv.dtype;
  if (
    ins.some((x) => x.dtype !== dtype) ||
    (dtype !== 'float32' && dtype !== 'float64')
  ) {
    throw new DTypeError(
      'DTYPE_MISMATCH',
      `${op}: inputs must share one float dtype; got ${ins.map((x) => x.dtype).join(', ')}.`,
    );
  }
  const vec = (len: number): TensorMeta => ({ shape: [nBatch, len], dtype });
  return [vec(n), vec(m), vec(m), vec(q)];
}

/** $cb ← the byte address in `v` of row i's column (i at $ib). */
export const colOf = (v: string): string =>
  `(local.set $cb (i32.add ${get(v)} (i32.shl (i32.trunc_f64_s (f64.load ${at('$gc')})) (i32.const 3))))`;

/** Where a solve reads its right-hand side and writes its direction. */
export interface ItemVectors {
  readonly rx: string;
  readonly rz: string;
  readonly ry: string;
  readonly rc: string;
}
export interface ItemStep {
  readonly dz: string;
  readonly ds: string;
  readonly dlam: string;
  readonly dnu: string;
}

/**
 * One solve of the current item (file comment) for the right-hand side at
 * `r`, into `d`, on the locals of the kernels that splice it in: matrices
 * $ls, $am, rows $gc, $gv; vectors $hinv, $s, $lam; scratch $tn, $r1 (n)
 * and $w (m); $cb, $x.
 */
export const solveItem = (r: ItemVectors, d: ItemStep): string => `
    ${each('$m', `(f64.store ${at('$w')} (f64.div (f64.sub (f64.mul (f64.load ${at('$lam')}) (f64.load ${at(r.rz)})) (f64.load ${at(r.rc)})) (f64.load ${at('$s')})))`)}
    ${each('$n', `(f64.store ${at('$tn')} (f64.const 0))`)}
    ${each(
      '$m',
      `${colOf('$tn')}
      (f64.store ${get('$cb')} (f64.add (f64.load ${get('$cb')}) (f64.mul (f64.load ${at('$w')}) (f64.load ${at('$gv')}))))`,
    )}
    ${each(
      '$n',
      `
      (f64.store ${at('$r1')} (f64.sub (f64.neg (f64.load ${at(r.rx)})) (f64.load ${at('$tn')})))
      (f64.store ${at('$tn')} (f64.mul (f64.load ${at('$r1')}) (f64.load ${at('$hinv')})))`,
    )}
    (call $gemvN ${get('$am')} ${get('$tn')} ${get(d.dnu)} ${get('$q')} ${get('$n')})
    ${each('$q', `(f64.store ${at(d.dnu)} (f64.add (f64.load ${at(d.dnu)}) (f64.load ${at(r.ry)})))`)}
    (call $trsvDot ${get('$ls')} ${get(d.dnu)} ${get('$q')} (i32.const 1) (i32.const 0))
    (call $trsvAxpy ${get('$ls')} ${get(d.dnu)} ${get('$q')} (i32.const 0) (i32.const 0))
    (call $gemvT ${get('$am')} ${get(d.dnu)} ${get('$tn')} ${get('$n')} ${get('$q')})
    ${each('$n', `(f64.store ${at(d.dz)} (f64.mul (f64.sub (f64.load ${at('$r1')}) (f64.load ${at('$tn')})) (f64.load ${at('$hinv')})))`)}
    ${each(
      '$m',
      `${colOf(d.dz)}
      (local.set $x (f64.mul (f64.load ${get('$cb')}) (f64.load ${at('$gv')})))
      (f64.store ${at(d.ds)} (f64.sub (f64.neg (f64.load ${at(r.rz)})) ${get('$x')}))
      (f64.store ${at(d.dlam)} (f64.add (f64.mul ${get('$x')} (f64.div (f64.load ${at('$lam')}) (f64.load ${at('$s')}))) (f64.load ${at('$w')})))`,
    )}`;

const RHS: ItemVectors = { rx: '$rx', rz: '$rz', ry: '$ry', rc: '$rca' };
const OUT: ItemStep = { dz: '$dz', ds: '$ds', dlam: '$dlam', dnu: '$dnu' };
const AFFINE: ItemStep = {
  dz: '$dza',
  ds: '$dsa',
  dlam: '$dlama',
  dnu: '$dnua',
};

/** The per-item steps: two solves and the centering. */
const itemSteps = `
    ${each('$m', `(f64.store ${at('$rca')} (f64.mul (f64.load ${at('$s')}) (f64.load ${at('$lam')})))`)}
    ${solveItem(RHS, AFFINE)}
    ${centerItem}
    ${solveItem(RHS, OUT)}`;

export const step = (p: string, by: string): string =>
  `(local.set ${p} (i32.add ${get(p)} ${get(by)}))`;

/** Work (doubles): tn, r1, dza (n each); w, dsa, dlama, rca (m); dnua (q). */
const workLength = (n: number, m: number, q: number): number =>
  3 * n + 4 * m + q + 8;

/** 16-byte aligned start `len` doubles after `from`. */
export const after = (to: string, from: string, len: string): string =>
  `(local.set ${to} (i32.add ${get(from)} (i32.shl (i32.add ${get(len)} (i32.and ${get(len)} (i32.const 1))) (i32.const 3))))`;

const qpBoundsStep: WasmFunc = {
  name: 'qpBoundsStep',
  params: i32(
    ...['$ls', '$lss', '$am', '$as', '$gc', '$gcs', '$gv', '$gvs'],
    ...['$hinv', '$rx', '$ry', '$s', '$lam', '$rz'],
    ...['$dz', '$ds', '$dlam', '$dnu', '$work', '$n', '$m', '$q', '$count'],
  ),
  locals: [
    ...i32('$k', '$ib', '$iend', '$nb', '$mb', '$qb', '$cb', '$nan'),
    ...i32('$tn', '$r1', '$w', '$dza', '$dsa', '$dlama', '$dnua', '$rca'),
    ...f64('$x', '$r', '$a', '$b', '$alpha', '$sl', '$sla', '$si', '$li'),
    ...f64('$mf', '$mu', '$sig'),
  ],
  body: `
  (local.set $nb (i32.shl ${get('$n')} (i32.const 3)))
  (local.set $mb (i32.shl ${get('$m')} (i32.const 3)))
  (local.set $qb (i32.shl ${get('$q')} (i32.const 3)))
  (local.set $tn ${get('$work')})
  ${after('$r1', '$tn', '$n')} ${after('$dza', '$r1', '$n')}
  ${after('$w', '$dza', '$n')} ${after('$dsa', '$w', '$m')}
  ${after('$dlama', '$dsa', '$m')} ${after('$rca', '$dlama', '$m')}
  ${after('$dnua', '$rca', '$m')}
  (block $done (loop $items
    (br_if $done (i32.ge_s ${get('$k')} ${get('$count')}))
    ${itemSteps}
    ${step('$ls', '$lss')} ${step('$am', '$as')} ${step('$gc', '$gcs')} ${step('$gv', '$gvs')}
    ${step('$hinv', '$nb')} ${step('$rx', '$nb')} ${step('$dz', '$nb')}
    ${step('$ry', '$qb')} ${step('$dnu', '$qb')}
    ${['$s', '$lam', '$rz', '$ds', '$dlam'].map((p) => step(p, '$mb')).join(' ')}
    (local.set $k (i32.add ${get('$k')} (i32.const 1)))
    (br $items)))`,
};

/** This file's WebAssembly functions (fused-kernels.ts registers them all). */
export const boundsStepWat: readonly WasmFunc[] = [qpBoundsStep];

/** In WebAssembly (runFused); false where it cannot run. */
/** See fusedStart. */
export interface FusedStart {
  readonly wk: WasmKernels;
  readonly nBatch: number;
  readonly n: number;
  readonly m: number;
  readonly q: number;
  readonly mats: Operand[];
}

/**
 * What the fused step and solve start from (their inputs begin hInv, ls,
 * A, G, rx, ry, s, ...): the WebAssembly kernels, the sizes, and the
 * matrix operands ls, A and G's bound rows (compressBounds); null where
 * they cannot run.
 * @example const f = fusedStart(ins); if (f === null) return false;
 */
export function fusedStart(ins: readonly CpuTensor[]): FusedStart | null {
  const wk = wasmKernels();
  const packed = wk === null ? null : compressBounds(ins[3]);
  if (wk === null || packed === null) return null;
  const [nBatch, n] = ins[0].shape;
  const [q, m] = [ins[5].shape[1], ins[6].shape[1]];
  const mats: Operand[] = [
    [ins[1], q * q],
    [ins[2], q * n],
    [packed[0], m],
    [packed[1], m],
  ];
  return { wk, nBatch, n, m, q, mats };
}

function stepWasm(
  ins: readonly CpuTensor[],
  outs: readonly CpuTensor[],
  active: ArrayLike<number> | null,
) {
  const f = fusedStart(ins);
  if (f === null) return false;
  const { wk, nBatch, n, m, q } = f;
  return runFused(
    wk,
    'qpBoundsStep',
    nBatch,
    f.mats,
    [n, n, q, m, m, m].map((len, i) => [ins[i === 0 ? 0 : i + 3], len]),
    [n, m, m, q].map((len, i) => [outs[i], len]),
    workLength(n, m, q),
    [n, m, q],
    active,
  );
}

/**
 * y = M·x (or Mᵀ·x) for the stored r×c matrix M at `mo`.
 * @example gemv(A, 0, q, n, x, 0, y, false); // y = A·x
 */
export function gemv(
  M: Data,
  mo: number,
  r: number,
  c: number,
  x: ArrayLike<number>,
  xo: number,
  y: Float64Array,
  trans: boolean,
): void {
  y.fill(0);
  for (let i = 0; i < r; i++)
    for (let j = 0; j < c; j++) {
      if (trans) y[j] += M[mo + i * c + j] * x[xo + i];
      else y[i] += M[mo + i * c + j] * x[xo + j];
    }
}

/** An item's right-hand side or direction in the JS loops. */
export interface JsVectors {
  readonly x: Float64Array;
  readonly z: Float64Array;
  readonly y: Float64Array;
  readonly c: Float64Array;
}

/**
 * The JS loops' solve (file comment): (b, r, d) solves item b for the
 * right-hand side r (rx, rz, ry, rc as x, z, y, c) into d (dz, ds, dnu,
 * dlam as x, z, y, c), with the factors and iterate of `ins` (qpBoundsStep's
 * first eight inputs).
 * @example
 * const solve = jsSolver(ins);
 * solve(b, { x: rx, z: rz, y: ry, c: rc }, jsVectors(n, m, q));
 */
export function jsSolver(
  ins: readonly CpuTensor[],
): (b: number, r: JsVectors, d: JsVectors) => void {
  const [hInv, ls, A, G, , ry, s, lam] = ins;
  const [n, q, m] = [hInv.shape[1], ry.shape[1], s.shape[1]];
  const D = (x: CpuTensor) => x.data as Data;
  const [r1, tn] = [n, n].map((len) => new Float64Array(len));
  const w = new Float64Array(m);
  return (b, r, d) => {
    const vo = b * m;
    const [ao, go] = [A, G].map((x) => (x.shape.length === 3 ? b : 0));
    for (let i = 0; i < m; i++)
      w[i] = (lam.data[vo + i] * r.z[i] - r.c[i]) / s.data[vo + i];
    gemv(D(G), go * m * n, m, n, w, 0, tn, true);
    for (let j = 0; j < n; j++) {
      r1[j] = -r.x[j] - tn[j];
      tn[j] = r1[j] * hInv.data[b * n + j];
    }
    gemv(D(A), ao * q * n, q, n, tn, 0, d.y, false);
    for (let k = 0; k < q; k++) d.y[k] += r.y[k];
    forwardSolve(D(ls), b * q * q, q, d.y);
    backSolveT(D(ls), b * q * q, q, d.y);
    gemv(D(A), ao * q * n, q, n, d.y, 0, tn, true);
    for (let j = 0; j < n; j++) d.x[j] = (r1[j] - tn[j]) * hInv.data[b * n + j];
    gemv(D(G), go * m * n, m, n, d.x, 0, d.z, false);
    for (let i = 0; i < m; i++) {
      const gdz = d.z[i];
      d.z[i] = -r.z[i] - gdz;
      d.c[i] = gdz * (lam.data[vo + i] / s.data[vo + i]) + w[i];
    }
  };
}

/**
 * Item b's slice of each of `ts` ([nBatch, len] each), copied.
 * @example const [x, y] = itemOf([rx, ry], b);
 */
export function itemOf(ts: readonly CpuTensor[], b: number): Float64Array[] {
  return ts.map((t) => {
    const len = t.shape[1];
    return Float64Array.from(t.data.subarray(b * len, (b + 1) * len));
  });
}

/**
 * Fresh vectors of an item's direction: n, m, q, m doubles.
 * @example const d = jsVectors(n, m, q); // d.x is dz
 */
export function jsVectors(n: number, m: number, q: number): JsVectors {
  const v = (len: number) => new Float64Array(len);
  return { x: v(n), z: v(m), y: v(q), c: v(m) };
}

/** The same in plain JS loops (no WebAssembly SIMD here), G dense. */
function stepJs(ins: readonly CpuTensor[], outs: readonly CpuTensor[]): void {
  const [hInv, , , , rx, ry, s, lam, rz] = ins;
  const [nBatch, n] = hInv.shape;
  const [q, m] = [ry.shape[1], s.shape[1]];
  const solve = jsSolver(ins);
  const [aff, d] = [jsVectors(n, m, q), jsVectors(n, m, q)];
  const row = (x: Float64Array): CpuTensor => ({
    data: x,
    shape: [1, m],
    dtype: 'float64',
  });
  for (let b = 0; b < nBatch; b++) {
    const [x, y, sb, lb, z] = itemOf([rx, ry, s, lam, rz], b);
    const rc = sb.map((v, i) => v * lb[i]);
    solve(b, { x, z, y, c: rc }, aff);
    centeringOp.cpu([row(sb), row(lb), row(aff.z), row(aff.c)], [row(rc)], {});
    solve(b, { x, z, y, c: rc }, d);
    [d.x, d.z, d.c, d.y].forEach((v, i) => outs[i].data.set(v, b * v.length));
  }
}

/**
 * The tensor-op form of one solve for rc (what solver/kkt/bounds.ts ran
 * before these kernels), with qpBoundsStep's nine inputs.
 * @example const [dz, ds, dlam, dnu] = solveOps(ins, rc);
 */
export function solveOps(ins: readonly Tensor[], rc: Tensor): Tensor[] {
  const [hInv, ls, A, G, rx, ry, s, lam, rz] = ins;
  const w = lam.mul(rz).sub(rc).div(s);
  const r1 = rx.neg().sub(mtv(G, w));
  const dnu = cholSolveVec(ls, mv(A, r1.mul(hInv)).add(ry));
  const dz = r1.sub(mtv(A, dnu)).mul(hInv);
  const gdz = mv(G, dz);
  return [dz, rz.neg().sub(gdz), gdz.mul(lam.div(s)).add(w), dnu];
}

/** The affine solve, qpCentering's rc, the corrector solve, in tensor ops. */
function stepOps(ins: readonly Tensor[]): Tensor[] {
  const [s, lam] = [ins[6], ins[7]];
  const aff = solveOps(ins, s.mul(lam));
  return solveOps(ins, centering(s, lam, aff[1], aff[2]));
}

export const boundsStepOp: KernelOp<object> = defineOp<object>({
  name: 'qpBoundsStep',
  shape: (all) =>
    stepShapeOf(
      'qpBoundsStep',
      splitActive('qpBoundsStep', all, 9, all[0].shape[0])[0],
      0,
    ),
  cpu: (all, outs) => {
    registerWasmKernels(boundsStepWat);
    const [ins, active] = splitActive('qpBoundsStep', all, 9, all[0].shape[0]);
    // The JS loops compute every item (active is an economy, not a rule).
    if (!stepWasm(ins, outs, active?.data ?? null)) stepJs(ins, outs);
  },
  decompose: (ins) => stepOps(ins.slice(0, 9)),
});

/**
 * A whole Mehrotra direction of the bounds reduction, fused per item (see
 * the file comment): [dz, ds, dlam, dnu]. A tenth input `active` (bool
 * [nBatch, 1]) may leave out the items where it is false (outputs 0).
 * @example
 * const [dz, ds, dlam, dnu] = boundsStep(hInv, ls, A, G, rx, ry, s, lam, rz);
 */
export function boundsStep(...ins: Tensor[]): Tensor[] {
  return apply(boundsStepOp, ins, {});
}
