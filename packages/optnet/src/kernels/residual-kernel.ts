/**
 * The residuals of an interior-point iterate (pdipm.ts), fused per item:
 *
 *   qz = Q z,  u = Gᵀlam (+ Aᵀnu),  rx = qz + p + u
 *   gz = G z,  rz = gz + s − h,     ry = A z − b
 *
 * in one WebAssembly call instead of ~9 tensor primitives an iteration,
 * both of G's products in one pass over it ($gemvNT: each block of four
 * rows loaded once). The same bits as $gemvN / $gemvT and the same order
 * of additions as the tensor ops, so per-item data gives the same bits;
 * `decompose` is the tensor-op form.
 *
 * Glossary: n = nz, m = nIneq, q = nEq; Q [·, n, n], G [·, m, n],
 * A [·, q, n] (each shared or per item); z, p [nBatch, n]; s, lam, h
 * [nBatch, m]; nu, b [nBatch, q].
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
  i32,
  registerWasmKernels,
  wasmKernels,
  type WasmFunc,
  type WasmKernels,
} from '@optnet/tensor/wasm';
import { mtv, mv } from './batch.js';
import {
  advance,
  at,
  each,
  eachItem,
  get,
  matVec,
  runFused,
  vectorBytes,
  type Data,
  type Operand,
} from './fused-common.js';

export interface ResidualAttrs {
  /**
   * Equality constraints present: inputs [Q, G, A, z, p, s, lam, h, nu, b];
   * else [Q, G, z, p, s, lam, h].
   */
  readonly eq: boolean;
}

/**
 * Inputs in the equality layout (without equalities A, nu and b are left out).
 */
const NAMES = ['Q', 'G', 'A', 'z', 'p', 's', 'lam', 'h', 'nu', 'b'] as const;

/**
 * The inputs spread into the equality layout (null where absent).
 * @example const [Q, G, A, z, p, s, lam, h, nu, b] = spread(ins, eq);
 */
export function spread<T>(ins: readonly T[], eq: boolean): (T | null)[] {
  return eq
    ? [...ins]
    : [
        ins[0],
        ins[1],
        null,
        ins[2],
        ins[3],
        ins[4],
        ins[5],
        ins[6],
        null,
        null,
      ];
}

function residualShape(
  ins: readonly TensorMeta[],
  { eq }: ResidualAttrs,
): TensorMeta[] {
  const x = spread(ins, eq);
  const [Q, G, A, z, p, s, lam, h, nu, b] = x;
  const fail = (): never => {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `qpResiduals: inputs must be Q [(nBatch,) n, n], G [(nBatch,) m, n], A [(nBatch,) q, n], z, p [nBatch, n], s, lam, h ` +
        `[nBatch, m], nu, b [nBatch, q] (A, nu, b only with eq); got ${x
          .map((t, i) =>
            t === null ? '' : `${NAMES[i]}[${t.shape.join(', ')}]`,
          )
          .filter(Boolean)
          .join(', ')}.`,
    );
  };
  if (
    ins.length !== (eq ? 10 : 7) ||
    z === null ||
    z.shape.length !== 2 ||
    s === null ||
    s.shape.length !== 2
  )
    return fail();
  const [nBatch, n] = z.shape;
  const m = s.shape[1];
  const q = nu === null ? 0 : nu.shape[1];
  const mat = (t: TensorMeta | null, r: number, c: number) =>
    t !== null &&
    (shapesEqual(t.shape, [r, c]) || shapesEqual(t.shape, [nBatch, r, c]));
  const vec = (t: TensorMeta | null, len: number) =>
    t !== null && shapesEqual(t.shape, [nBatch, len]);
  const ok =
    mat(Q, n, n) &&
    mat(G, m, n) &&
    vec(p, n) &&
    vec(lam, m) &&
    vec(h, m) &&
    vec(s, m) &&
    (!eq || (mat(A, q, n) && vec(nu, q) && vec(b, q)));
  if (!ok) fail();
  const dtype = z.dtype;
  if (
    ins.some((t) => t.dtype !== dtype) ||
    (dtype !== 'float32' && dtype !== 'float64')
  ) {
    throw new DTypeError(
      'DTYPE_MISMATCH',
      `qpResiduals: inputs must share one float dtype; got ${ins.map((t) => t.dtype).join(', ')}.`,
    );
  }
  const out = (len: number) => ({ shape: [nBatch, len], dtype });
  // rx, rz, u, qz, gz (+ ry)
  return [out(n), out(m), out(n), out(n), out(m), ...(eq ? [out(q)] : [])];
}

/**
 * The end of an item's residuals, once qz, gz and u = Gᵀlam are made: with
 * equalities (k > 0) u += Aᵀnu and ry = A z − b; then rx = qz + p + u and
 * rz = gz + s − h, and A's and the vectors' addresses moved to the next
 * item (locals as in qpResiduals; work is n doubles).
 */
export const residualFinish: string = `
    (if (i32.gt_s ${get('$k')} (i32.const 0)) (then
      (call $gemvNT ${get('$a')} ${get('$z')} ${get('$ry')} ${get('$nu')} ${get('$work')} ${get('$k')} ${get('$n')})
      ${each('$n', `(f64.store ${at('$u')} (f64.add (f64.load ${at('$u')}) (f64.load ${at('$work')})))`)}
      ${each('$k', `(f64.store ${at('$ry')} (f64.sub (f64.load ${at('$ry')}) (f64.load ${at('$b')})))`)}))
    ${each('$n', `(f64.store ${at('$rx')} (f64.add (f64.add (f64.load ${at('$qz')}) (f64.load ${at('$p')})) (f64.load ${at('$u')})))`)}
    ${each('$m', `(f64.store ${at('$rz')} (f64.sub (f64.add (f64.load ${at('$gz')}) (f64.load ${at('$s')})) (f64.load ${at('$h')})))`)}
    ${advance('$a', '$as')}
    ${['$z', '$p', '$rx', '$u', '$qz'].map((v) => advance(v, '$nb')).join(' ')}
    ${['$s', '$lam', '$h', '$rz', '$gz'].map((v) => advance(v, '$mb')).join(' ')}
    ${['$nu', '$b', '$ry'].map((v) => advance(v, '$kb')).join(' ')}`;

/**
 * qpResiduals(q, qs, g, gs, a, as, z, p, s, lam, h, nu, b, rx, rz, ry, u,
 * qz, gz, work, n, m, k, count): the file comment's residuals for `count`
 * items (k = 0: no equalities; a, nu, b, ry unused); work is n doubles.
 */
const qpResiduals: WasmFunc = {
  name: 'qpResiduals',
  params: i32(
    '$q',
    '$qs',
    '$g',
    '$gs',
    '$a',
    '$as',
    '$z',
    '$p',
    '$s',
    '$lam',
    '$h',
    '$nu',
    '$b',
    '$rx',
    '$rz',
    '$ry',
    '$u',
    '$qz',
    '$gz',
    '$work',
    '$n',
    '$m',
    '$k',
    '$count',
  ),
  locals: i32('$t', '$ib', '$iend', '$nb', '$mb', '$kb'),
  body: `${vectorBytes}
  ${eachItem(`
    (call $gemvN ${get('$q')} ${get('$z')} ${get('$qz')} ${get('$n')} ${get('$n')})
    (call $gemvNT ${get('$g')} ${get('$z')} ${get('$gz')} ${get('$lam')} ${get('$u')} ${get('$m')} ${get('$n')})
    ${residualFinish}
    ${advance('$q', '$qs')} ${advance('$g', '$gs')}`)}`,
};

/**
 * In WebAssembly (runFused); the op's outputs are rx, rz, u, qz, gz (+ ry), the
 * function's rx, rz, ry, u, qz, gz.
 */
function runWasm(
  wk: WasmKernels,
  ins: readonly CpuTensor[],
  outs: readonly CpuTensor[],
  eq: boolean,
): boolean {
  const x = spread(ins, eq);
  const [Q, G, A, z, s, nu] = [x[0], x[1], x[2], x[3], x[5], x[8]];
  const [nBatch, n] = z!.shape;
  const m = s!.shape[1];
  const k = nu === null ? 0 : nu.shape[1];
  return runFused(
    wk,
    'qpResiduals',
    nBatch,
    [
      [Q, n * n],
      [G, m * n],
      [A, k * n],
    ],
    ...residualVectors(x, outs, eq),
    n,
    [n, m, k],
  );
}

/**
 * The vector inputs and the outputs of qpResiduals' layout (the
 * equality layout `x` of spread; the op's outputs rx, rz, u, qz, gz (+ ry)
 * in the function's order rx, rz, ry, u, qz, gz), as runFused takes them.
 * @example runFused(wk, fn, nBatch, mats, ...residualVectors(x, outs, eq), n, [n, m, k]);
 */
export function residualVectors(
  x: readonly (CpuTensor | null)[],
  outs: readonly CpuTensor[],
  eq: boolean,
): [Operand[], Operand[]] {
  const [, , , z, p, s, lam, h, nu, b] = x;
  const n = z!.shape[1];
  const m = s!.shape[1];
  const k = nu === null ? 0 : nu.shape[1];
  return [
    [
      [z, n],
      [p, n],
      [s, m],
      [lam, m],
      [h, m],
      [nu, k],
      [b, k],
    ],
    [
      [outs[0], n],
      [outs[1], m],
      [eq ? outs[5] : null, k],
      [outs[2], n],
      [outs[3], n],
      [outs[4], m],
    ],
  ];
}

/** The same in plain JS loops (no WebAssembly SIMD here). */
function residualJs(
  ins: readonly CpuTensor[],
  outs: readonly CpuTensor[],
  eq: boolean,
): void {
  const [Q, G, A, z, p, s, lam, h, nu, b] = spread(ins, eq) as CpuTensor[];
  const [nBatch, n] = z.shape;
  const m = s.shape[1];
  const k = eq ? nu.shape[1] : 0;
  const [rxT, rzT, uT, qzT, gzT, ryT] = outs;
  const off = (t: CpuTensor, i: number, size: number) =>
    t.shape.length === 3 ? i * size : 0;
  const zi = new Float64Array(n);
  const qz = new Float64Array(n);
  const gz = new Float64Array(m);
  const u = new Float64Array(n);
  const au = new Float64Array(n);
  const az = new Float64Array(k);
  for (let i = 0; i < nBatch; i++) {
    for (let j = 0; j < n; j++) zi[j] = z.data[i * n + j];
    matVec(Q.data as Data, off(Q, i, n * n), n, n, zi, qz);
    matVec(G.data as Data, off(G, i, m * n), m, n, zi, gz);
    u.fill(0);
    for (let r = 0; r < m; r++)
      for (let j = 0; j < n; j++)
        u[j] += G.data[off(G, i, m * n) + r * n + j] * lam.data[i * m + r];
    if (eq) {
      au.fill(0);
      for (let r = 0; r < k; r++)
        for (let j = 0; j < n; j++)
          au[j] += A.data[off(A, i, k * n) + r * n + j] * nu.data[i * k + r];
      for (let j = 0; j < n; j++) u[j] += au[j];
      matVec(A.data as Data, off(A, i, k * n), k, n, zi, az);
      for (let r = 0; r < k; r++)
        ryT.data[i * k + r] = az[r] - b.data[i * k + r];
    }
    for (let j = 0; j < n; j++) {
      rxT.data[i * n + j] = qz[j] + p.data[i * n + j] + u[j];
      uT.data[i * n + j] = u[j];
      qzT.data[i * n + j] = qz[j];
    }
    for (let r = 0; r < m; r++) {
      rzT.data[i * m + r] = gz[r] + s.data[i * m + r] - h.data[i * m + r];
      gzT.data[i * m + r] = gz[r];
    }
  }
}

/** The tensor-op form (pdipm.ts residuals before this kernel). */
function residualOps(ins: readonly Tensor[], { eq }: ResidualAttrs): Tensor[] {
  const x = spread(ins, eq);
  return residualsFrom(mv(x[0]!, x[3]!), x, eq);
}

/**
 * The tensor-op residuals from qz = Q z and the equality layout `x`
 * ([Q, G, A, z, p, s, lam, h, nu, b], null where absent; Q unread):
 * [rx, rz, u, qz, gz] (+ ry).
 * @example const outs = residualsFrom(qd.mul(z), x, eq); // a diagonal Q
 */
export function residualsFrom(
  qz: Tensor,
  x: readonly (Tensor | null)[],
  eq: boolean,
): Tensor[] {
  const [, G, A, z, p, s, lam, h, nu, b] = x;
  let u = mtv(G!, lam!);
  if (eq) u = u.add(mtv(A!, nu!));
  const rx = qz.add(p!).add(u);
  const gz = mv(G!, z!);
  const rz = gz.add(s!).sub(h!);
  return [rx, rz, u, qz, gz, ...(eq ? [mv(A!, z!).sub(b!)] : [])];
}

/**
 * This file's WebAssembly function (fused-kernels.ts registers them all at
 * once).
 */
export const residualWat: readonly WasmFunc[] = [qpResiduals];

export const residualOp: KernelOp<ResidualAttrs> = defineOp<ResidualAttrs>({
  name: 'qpResiduals',
  shape: residualShape,
  cpu: (ins, outs, { eq }) => {
    registerWasmKernels(residualWat);
    const wk = wasmKernels();
    if (wk === null || !runWasm(wk, ins, outs, eq)) residualJs(ins, outs, eq);
  },
  decompose: residualOps,
  // Every element of every output is written, on every path.
  fillsOutputs: true,
});

/**
 * The fused residuals (see the file comment): [rx, rz, u, qz, gz] and, with
 * equalities (A, nu, b not null), ry last.
 * @example
 * const [rx, rz, u, qz, gz] = fusedResiduals(Q, G, null, z, p, s, lam, h, null, null);
 */
export function fusedResiduals(
  Q: Tensor,
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
  const ins = eq ? [Q, G, A, z, p, s, lam, h, nu, b] : [Q, G, z, p, s, lam, h];
  return apply(residualOp, ins, { eq });
}
