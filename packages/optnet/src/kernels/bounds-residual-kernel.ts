/**
 * qpBoundsResiduals: the residuals of residual-kernel.ts for a Q declared
 * diagonal and a G declared simple bounds (`structure`), fused per item:
 *
 *   qz = q∘z,  u = Gᵀlam (+ Aᵀnu),  rx = qz + p + u
 *   gz = G z,  rz = gz + s − h,     ry = A z − b
 *
 * with q = diag(Q) and G read as one column index and value per row
 * (compressBounds), so Q and G cost O(nz + nIneq) an item instead of the
 * dense kernel's two nIneq × nz and one nz × nz mat-vecs (at the Sudoku
 * size, 12 of its 17 thousand multiply-adds). A's products are the same
 * $gemvN / $gemvT as the dense kernel's. The zeros the dense products add
 * change nothing but the sign of a zero, so the answers are the dense
 * kernel's (a test compares them). A G with two nonzeros in a row (not
 * bounds after all) runs the dense kernel.
 *
 * Glossary: n = nz, m = nIneq, k = nEq; q [·, n]; G [·, m, n]; A [·, k, n];
 * z, p [nBatch, n]; s, lam, h [nBatch, m]; nu, b [nBatch, k].
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
  i32,
  registerWasmKernels,
  wasmKernels,
  type WasmFunc,
} from '@optnet/tensor/wasm';
import { asRow, compressBounds } from './bounds-factor-kernel.js';
import {
  advance,
  at,
  each,
  eachItem,
  get,
  runFused,
  vectorBytes,
  type Data,
} from './fused-common.js';
import {
  residualFinish,
  residualOp,
  residualsFrom,
  residualVectors,
} from './residual-kernel.js';

/**
 * qpBoundsResiduals(qd, qds, gc, gcs, gv, gvs, a, as, z, p, s, lam, h, nu,
 * b, rx, rz, ry, u, qz, gz, work, n, m, k, count): the file comment's
 * residuals for `count` items (k = 0: no equalities; a, nu, b, ry
 * unused); work is n doubles.
 */
const qpBoundsResiduals: WasmFunc = {
  name: 'qpBoundsResiduals',
  params: i32(
    ...['$qd', '$qds', '$gc', '$gcs', '$gv', '$gvs', '$a', '$as'],
    ...['$z', '$p', '$s', '$lam', '$h', '$nu', '$b'],
    ...['$rx', '$rz', '$ry', '$u', '$qz', '$gz', '$work', '$n', '$m', '$k'],
    '$count',
  ),
  locals: [...i32('$t', '$ib', '$iend', '$nb', '$mb', '$kb', '$cb')],
  body: `${vectorBytes}
  ${eachItem(`
    ${each('$n', `(f64.store ${at('$qz')} (f64.mul (f64.load ${at('$qd')}) (f64.load ${at('$z')})))`)}
    ${each('$n', `(f64.store ${at('$u')} (f64.const 0))`)}
    ${each(
      '$m',
      `
      (local.set $cb (i32.shl (i32.trunc_f64_s (f64.load ${at('$gc')})) (i32.const 3)))
      (f64.store (i32.add ${get('$u')} ${get('$cb')}) (f64.add (f64.load (i32.add ${get('$u')} ${get('$cb')}))
        (f64.mul (f64.load ${at('$gv')}) (f64.load ${at('$lam')}))))
      (f64.store ${at('$gz')} (f64.mul (f64.load ${at('$gv')}) (f64.load (i32.add ${get('$z')} ${get('$cb')}))))`,
    )}
    ${residualFinish}
    ${advance('$qd', '$qds')} ${advance('$gc', '$gcs')} ${advance('$gv', '$gvs')}`)}`,
};

/** This file's WebAssembly function (fused-kernels.ts registers them all). */
export const boundsResidualWat: readonly WasmFunc[] = [qpBoundsResiduals];

/**
 * The inputs in the equality layout [q, G, A, z, p, s, lam, h, nu, b]
 * (null where absent).
 */
function spread<T>(ins: readonly T[], eq: boolean): (T | null)[] {
  if (eq) return [...ins];
  const [q, G, z, p, s, lam, h] = ins;
  return [q, G, null, z, p, s, lam, h, null, null];
}

/** In WebAssembly (runFused); false where it cannot run. */
function runWasm(
  ins: readonly CpuTensor[],
  outs: readonly CpuTensor[],
  eq: boolean,
): boolean {
  const wk = wasmKernels();
  const x = spread(ins, eq);
  const [qd, G, A, z, s, nu] = [x[0], x[1], x[2], x[3], x[5], x[8]];
  const packed = wk === null ? null : compressBounds(G!);
  if (wk === null || packed === null) return false;
  const [nBatch, n] = z!.shape;
  const m = s!.shape[1];
  const k = nu === null ? 0 : nu.shape[1];
  return runFused(
    wk,
    'qpBoundsResiduals',
    nBatch,
    [
      [asRow(qd!), n],
      [packed[0], m],
      [packed[1], m],
      [A, k * n],
    ],
    ...residualVectors(x, outs, eq),
    n,
    [n, m, k],
  );
}

/** The dense kernel's inputs, Q = diag(q) made dense. */
function denseInputs(ins: readonly CpuTensor[]): CpuTensor[] {
  const [qd, ...rest] = ins;
  const n = qd.shape[qd.shape.length - 1];
  const items = qd.shape.length === 2 ? qd.shape[0] : 1;
  const Q = new Float64Array(items * n * n);
  for (let t = 0; t < items; t++)
    for (let j = 0; j < n; j++) Q[t * n * n + j * (n + 1)] = qd.data[t * n + j];
  const shape = qd.shape.length === 2 ? [items, n, n] : [n, n];
  const data = qd.dtype === 'float32' ? Float32Array.from(Q) : Q;
  return [{ data: data as Data, shape, dtype: qd.dtype }, ...rest];
}

/** The tensor-op form. */
function residualOps(ins: readonly Tensor[], { eq }: BoundsResidualAttrs) {
  const x = spread(ins, eq);
  return residualsFrom(x[0]!.mul(x[3]!), x, eq);
}

export interface BoundsResidualAttrs {
  /** Equality constraints present (A, nu and b among the inputs). */
  readonly eq: boolean;
}

export const boundsResidualOp: KernelOp<BoundsResidualAttrs> =
  defineOp<BoundsResidualAttrs>({
    name: 'qpBoundsResiduals',
    shape: (ins, attrs) => {
      const [qd, ...rest] = ins;
      const n = rest[attrs.eq ? 2 : 1].shape[1];
      if (
        qd.shape[qd.shape.length - 1] !== n ||
        qd.shape.length > 2 ||
        (qd.shape.length === 2 && qd.shape[0] !== rest[2].shape[0])
      ) {
        throw new ShapeError(
          'SHAPE_MISMATCH',
          `qpBoundsResiduals: diag(Q) must be [n] or [nBatch, n] with n = ${n}; got [${qd.shape.join(', ')}].`,
        );
      }
      const Q = { shape: [...qd.shape.slice(0, -1), n, n], dtype: qd.dtype };
      return residualOp.shape([Q, ...rest], attrs);
    },
    cpu: (ins, outs, attrs) => {
      registerWasmKernels(boundsResidualWat);
      if (runWasm(ins, outs, attrs.eq)) return;
      residualOp.cpu(denseInputs(ins), outs, attrs);
    },
    decompose: residualOps,
  });

/**
 * The residuals for a diagonal Q (given as q = diag(Q)) and a bounds G,
 * fused (see the file comment): [rx, rz, u, qz, gz] and, with equalities,
 * ry last; the outputs of `fusedResiduals`.
 * @example
 * const [rx, rz, u, qz, gz] = boundsResiduals(q, G, null, z, p, s, lam, h, null, null);
 */
export function boundsResiduals(
  qd: Tensor,
  G: Tensor,
  A: Tensor | null,
  z: Tensor,
  p: Tensor,
  s: Tensor,
  lam: Tensor,
  h: Tensor,
  nu: Tensor | null,
  b: Tensor | null,
): Tensor[] {
  const eq = A !== null && nu !== null && b !== null;
  const ins = eq
    ? [qd, G, A, z, p, s, lam, h, nu, b]
    : [qd, G, z, p, s, lam, h];
  return apply(boundsResidualOp, ins, { eq });
}
