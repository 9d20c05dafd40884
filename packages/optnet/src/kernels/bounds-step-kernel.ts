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
 * cache. With `single` it is one solve for the rc given last: polishing's,
 * refinement's and the backward's solves. G is read as one column index
 * and value per row (compressBounds); a G with two nonzeros in a row runs
 * the JS loops. `decompose` is the tensor-op form (what bounds.ts ran
 * before).
 *
 * Glossary: n = nz, m = nIneq, q = nEq; 1/h [nBatch, n], L_S
 * [nBatch, q, q], A [·, q, n], G [·, m, n]; rx [nBatch, n], ry
 * [nBatch, q]; s, lam, rz, rc [nBatch, m].
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
  type Data,
} from './fused-common.js';
import { centering, centeringOp } from './step-kernels.js';

export interface BoundsStepAttrs {
  /** One solve for the rc given last, instead of a direction. */
  readonly single?: boolean;
}

const NAMES = ['hInv', 'ls', 'A', 'G', 'rx', 'ry', 's', 'lam', 'rz', 'rc'];

function stepShape(ins: readonly TensorMeta[]): TensorMeta[] {
  const [hInv, ls, a, g, rx, ry, s] = ins;
  const [nBatch, n] = hInv.shape;
  const q = ry.shape[1];
  const m = s.shape[1];
  const is = (x: TensorMeta, ...dims: number[]) =>
    x.shape.join() === dims.join() ||
    x.shape.join() === [nBatch, ...dims].join();
  const ok =
    ins.length === 10 &&
    hInv.shape.length === 2 &&
    ry.shape.length === 2 &&
    s.shape.length === 2 &&
    ls.shape.join() === [nBatch, q, q].join() &&
    is(a, q, n) &&
    is(g, m, n) &&
    rx.shape.join() === [nBatch, n].join() &&
    ry.shape[0] === nBatch &&
    ins.slice(6).every((x) => x.shape.join() === [nBatch, m].join());
  if (!ok) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `qpBoundsStep: inputs must be hInv [nBatch, n], ls [nBatch, q, q], A [(nBatch,) q, n], G [(nBatch,) m, n], rx [nBatch, n], ry [nBatch, q] and four [nBatch, m] vectors; got ${ins.map((x, i) => `${NAMES[i] ?? '?'}[${x.shape.join(', ')}]`).join(', ')}.`,
    );
  }
  const dtype = hInv.dtype;
  if (
    ins.some((x) => x.dtype !== dtype) ||
    (dtype !== 'float32' && dtype !== 'float64')
  ) {
    throw new DTypeError(
      'DTYPE_MISMATCH',
      `qpBoundsStep: inputs must share one float dtype; got ${ins.map((x) => x.dtype).join(', ')}.`,
    );
  }
  const vec = (len: number): TensorMeta => ({ shape: [nBatch, len], dtype });
  return [vec(n), vec(m), vec(m), vec(q)];
}

/** $cb ← the byte address in `v` of row i's column (i at $ib). */
const colOf = (v: string): string =>
  `(local.set $cb (i32.add ${get(v)} (i32.shl (i32.trunc_f64_s (f64.load ${at('$gc')})) (i32.const 3))))`;

/** One solve of the current item for the rc at `rc` (file comment). */
const solveItem = (
  rc: string,
  dz: string,
  ds: string,
  dlam: string,
  dnu: string,
): string => `
    ${each('$m', `(f64.store ${at('$w')} (f64.div (f64.sub (f64.mul (f64.load ${at('$lam')}) (f64.load ${at('$rz')})) (f64.load ${at(rc)})) (f64.load ${at('$s')})))`)}
    ${each('$n', `(f64.store ${at('$tn')} (f64.const 0))`)}
    ${each(
      '$m',
      `${colOf('$tn')}
      (f64.store ${get('$cb')} (f64.add (f64.load ${get('$cb')}) (f64.mul (f64.load ${at('$w')}) (f64.load ${at('$gv')}))))`,
    )}
    ${each(
      '$n',
      `
      (f64.store ${at('$r1')} (f64.sub (f64.neg (f64.load ${at('$rx')})) (f64.load ${at('$tn')})))
      (f64.store ${at('$tn')} (f64.mul (f64.load ${at('$r1')}) (f64.load ${at('$hinv')})))`,
    )}
    (call $gemvN ${get('$am')} ${get('$tn')} ${get(dnu)} ${get('$q')} ${get('$n')})
    ${each('$q', `(f64.store ${at(dnu)} (f64.add (f64.load ${at(dnu)}) (f64.load ${at('$ry')})))`)}
    (call $trsvDot ${get('$ls')} ${get(dnu)} ${get('$q')} (i32.const 1) (i32.const 0))
    (call $trsvAxpy ${get('$ls')} ${get(dnu)} ${get('$q')} (i32.const 0) (i32.const 0))
    (call $gemvT ${get('$am')} ${get(dnu)} ${get('$tn')} ${get('$n')} ${get('$q')})
    ${each('$n', `(f64.store ${at(dz)} (f64.mul (f64.sub (f64.load ${at('$r1')}) (f64.load ${at('$tn')})) (f64.load ${at('$hinv')})))`)}
    ${each(
      '$m',
      `${colOf(dz)}
      (local.set $x (f64.mul (f64.load ${get('$cb')}) (f64.load ${at('$gv')})))
      (f64.store ${at(ds)} (f64.sub (f64.neg (f64.load ${at('$rz')})) ${get('$x')}))
      (f64.store ${at(dlam)} (f64.add (f64.mul ${get('$x')} (f64.div (f64.load ${at('$lam')}) (f64.load ${at('$s')}))) (f64.load ${at('$w')})))`,
    )}`;

/** The per-item steps: two solves and the centering, or one for rc. */
const itemSteps = (single: boolean): string =>
  single
    ? solveItem('$rc', '$dz', '$ds', '$dlam', '$dnu')
    : `
    ${each('$m', `(f64.store ${at('$rca')} (f64.mul (f64.load ${at('$s')}) (f64.load ${at('$lam')})))`)}
    ${solveItem('$rca', '$dza', '$dsa', '$dlama', '$dnua')}
    ${centerItem}
    ${solveItem('$rca', '$dz', '$ds', '$dlam', '$dnu')}`;

const step = (p: string, by: string): string =>
  `(local.set ${p} (i32.add ${get(p)} ${get(by)}))`;

/** Work (doubles): tn, r1, dza (n each); w, dsa, dlama, rca (m); dnua (q). */
const workLength = (n: number, m: number, q: number): number =>
  3 * n + 4 * m + q + 8;

/** 16-byte aligned start `len` doubles after `from`. */
const after = (to: string, from: string, len: string): string =>
  `(local.set ${to} (i32.add ${get(from)} (i32.shl (i32.add ${get(len)} (i32.and ${get(len)} (i32.const 1))) (i32.const 3))))`;

const stepFunc = (name: string, single: boolean): WasmFunc => ({
  name,
  params: i32(
    ...['$ls', '$lss', '$am', '$as', '$gc', '$gcs', '$gv', '$gvs'],
    ...['$hinv', '$rx', '$ry', '$s', '$lam', '$rz', '$rc'],
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
    ${itemSteps(single)}
    ${step('$ls', '$lss')} ${step('$am', '$as')} ${step('$gc', '$gcs')} ${step('$gv', '$gvs')}
    ${step('$hinv', '$nb')} ${step('$rx', '$nb')} ${step('$dz', '$nb')}
    ${step('$ry', '$qb')} ${step('$dnu', '$qb')}
    ${['$s', '$lam', '$rz', '$rc', '$ds', '$dlam'].map((p) => step(p, '$mb')).join(' ')}
    (local.set $k (i32.add ${get('$k')} (i32.const 1)))
    (br $items)))`,
});

/** This file's WebAssembly functions (fused-kernels.ts registers them all). */
export const boundsStepWat: readonly WasmFunc[] = [
  stepFunc('qpBoundsStep', false),
  stepFunc('qpBoundsSolve', true),
];

/** In WebAssembly (runFused); false where it cannot run. */
function stepWasm(
  ins: readonly CpuTensor[],
  outs: readonly CpuTensor[],
  single: boolean,
): boolean {
  const wk = wasmKernels();
  const packed = wk === null ? null : compressBounds(ins[3]);
  if (wk === null || packed === null) return false;
  const [nBatch, n] = ins[0].shape;
  const q = ins[5].shape[1];
  const m = ins[6].shape[1];
  return runFused(
    wk,
    single ? 'qpBoundsSolve' : 'qpBoundsStep',
    nBatch,
    [
      [ins[1], q * q],
      [ins[2], q * n],
      [packed[0], m],
      [packed[1], m],
    ],
    [n, n, q, m, m, m, m].map((len, i) => [ins[i === 0 ? 0 : i + 3], len]),
    [n, m, m, q].map((len, i) => [outs[i], len]),
    workLength(n, m, q),
    [n, m, q],
  );
}

/** y = M·x (or Mᵀ·x) for the stored r×c matrix M at `mo`. */
function gemv(
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

/** The same in plain JS loops (no WebAssembly SIMD here), G dense. */
function stepJs(
  ins: readonly CpuTensor[],
  outs: readonly CpuTensor[],
  single: boolean,
): void {
  const [hInv, ls, A, G, rx, ry, s, lam, rz, rcIn] = ins;
  const [nBatch, n] = hInv.shape;
  const q = ry.shape[1];
  const m = s.shape[1];
  const D = (x: CpuTensor) => x.data as Data;
  const [r1, tn, dz] = [n, n, n].map((len) => new Float64Array(len));
  const [w, gdz, ds, dlam, rc] = [m, m, m, m, m].map(
    (len) => new Float64Array(len),
  );
  const dnu = new Float64Array(q);
  const solve = (b: number): void => {
    const vo = b * m;
    const [ao, go] = [A, G].map((x) => (x.shape.length === 3 ? b : 0));
    for (let i = 0; i < m; i++)
      w[i] = (lam.data[vo + i] * rz.data[vo + i] - rc[i]) / s.data[vo + i];
    gemv(D(G), go * m * n, m, n, w, 0, tn, true);
    for (let j = 0; j < n; j++) {
      r1[j] = -rx.data[b * n + j] - tn[j];
      tn[j] = r1[j] * hInv.data[b * n + j];
    }
    gemv(D(A), ao * q * n, q, n, tn, 0, dnu, false);
    for (let k = 0; k < q; k++) dnu[k] += ry.data[b * q + k];
    forwardSolve(D(ls), b * q * q, q, dnu);
    backSolveT(D(ls), b * q * q, q, dnu);
    gemv(D(A), ao * q * n, q, n, dnu, 0, tn, true);
    for (let j = 0; j < n; j++) dz[j] = (r1[j] - tn[j]) * hInv.data[b * n + j];
    gemv(D(G), go * m * n, m, n, dz, 0, gdz, false);
    for (let i = 0; i < m; i++) {
      ds[i] = -rz.data[vo + i] - gdz[i];
      dlam[i] = gdz[i] * (lam.data[vo + i] / s.data[vo + i]) + w[i];
    }
  };
  const row = (x: Float64Array): CpuTensor => ({
    data: x,
    shape: [1, m],
    dtype: 'float64',
  });
  for (let b = 0; b < nBatch; b++) {
    const part = (x: CpuTensor) =>
      row(Float64Array.from(D(x).subarray(b * m, (b + 1) * m)));
    if (single) rc.set(D(rcIn).subarray(b * m, (b + 1) * m));
    else {
      for (let i = 0; i < m; i++)
        rc[i] = s.data[b * m + i] * lam.data[b * m + i];
      solve(b);
      const aff = [Float64Array.from(ds), Float64Array.from(dlam)];
      centeringOp.cpu(
        [part(s), part(lam), row(aff[0]), row(aff[1])],
        [row(rc)],
        {},
      );
    }
    solve(b);
    outs[0].data.set(dz, b * n);
    outs[1].data.set(ds, b * m);
    outs[2].data.set(dlam, b * m);
    outs[3].data.set(dnu, b * q);
  }
}

/** The tensor-op form: what solver/kkt/bounds.ts ran before this kernel. */
function stepOps(
  ins: readonly Tensor[],
  { single }: BoundsStepAttrs,
): Tensor[] {
  const [hInv, ls, A, G, rx, ry, s, lam, rz, rc] = ins;
  const solve = (r: Tensor): Tensor[] => {
    const w = lam.mul(rz).sub(r).div(s);
    const r1 = rx.neg().sub(mtv(G, w));
    const dnu = cholSolveVec(ls, mv(A, r1.mul(hInv)).add(ry));
    const dz = r1.sub(mtv(A, dnu)).mul(hInv);
    const gdz = mv(G, dz);
    return [dz, rz.neg().sub(gdz), gdz.mul(lam.div(s)).add(w), dnu];
  };
  if (single === true) return solve(rc);
  const aff = solve(s.mul(lam));
  return solve(centering(s, lam, aff[1], aff[2]));
}

export const boundsStepOp: KernelOp<BoundsStepAttrs> =
  defineOp<BoundsStepAttrs>({
    name: 'qpBoundsStep',
    shape: stepShape,
    cpu: (ins, outs, { single }) => {
      registerWasmKernels(boundsStepWat);
      const one = single === true;
      if (!stepWasm(ins, outs, one)) stepJs(ins, outs, one);
    },
    decompose: stepOps,
  });

/**
 * A whole Mehrotra direction of the bounds reduction, fused per item (see
 * the file comment): [dz, ds, dlam, dnu]. rc is not read (pass s).
 * @example
 * const [dz, ds, dlam, dnu] = boundsStep(hInv, ls, A, G, rx, ry, s, lam, rz, s);
 */
export function boundsStep(...ins: Tensor[]): Tensor[] {
  return apply(boundsStepOp, ins, {});
}

/**
 * One Newton solve of the bounds reduction for rc, fused per item:
 * [dz, ds, dlam, dnu].
 * @example
 * const [dz, ds, dlam, dnu] = boundsSolve(hInv, ls, A, G, rx, ry, s, lam, rz, rc);
 */
export function boundsSolve(...ins: Tensor[]): Tensor[] {
  return apply(boundsStepOp, ins, { single: true });
}
