/**
 * The per-item statistics the solver reads back every iteration, as one
 * fused kernel (23 small tensor ops before, each a few µs whatever its
 * size), with the tensor-op form as `decompose` for backends without it.
 *
 * Per item, in this order: primal residual (max over rows of
 * |residual| / (1 + |rhs|)), dual residual ‖rx‖∞, gap sᵀlam, objective,
 * ‖Gᵀlam + Aᵀnu‖∞ and −(hᵀlam + bᵀnu) (a primal infeasibility certificate
 * when the first is tiny against the second), ‖Qz‖∞, pᵀz, max(Gz, 0),
 * ‖Az‖∞ (an unboundedness certificate when all but pᵀz are tiny against
 * |pᵀz|); then, last, the regularization level of the factorization that
 * made the iterate (solver/kkt/types.ts; 0 when none is given).
 *
 * The kernel is WebAssembly (stats-wasm.ts, the same bits), with the JS
 * loops below where WebAssembly is off.
 *
 * Glossary: rx = Qz + p + Gᵀlam + Aᵀnu, rz = Gz + s − h, ry = Az − b;
 * qz = Qz, gz = Gz, u = Gᵀlam + Aᵀnu; hInv = 1/(1 + |h|), bInv likewise.
 */
import {
  apply1,
  concat,
  defineOp,
  zeros,
  type CpuTensor,
  type KernelOp,
  type Tensor,
  type TypedArray,
} from '@optnet/tensor';
import { registerWasmKernels, wasmKernels } from '@optnet/tensor/wasm';
import { NSTATS, statsWasm, statsWat, type StatsBlocks } from './stats-wasm.js';

export { NSTATS } from './stats-wasm.js';

/** The blocks a batch of QPs has (absent ones are null in StatsParts). */
export interface StatsAttrs {
  readonly ineq: boolean;
  readonly eq: boolean;
  readonly u: boolean;
  /** Whether a level [nBatch, 1] is the last input. */
  readonly level?: boolean;
}

export interface StatsParts {
  readonly rx: Tensor;
  readonly qz: Tensor;
  readonly z: Tensor;
  readonly p: Tensor;
  /** Inequality block: all present or all null. */
  readonly ineq: {
    s: Tensor;
    lam: Tensor;
    rz: Tensor;
    hInv: Tensor;
    h: Tensor;
    gz: Tensor;
  } | null;
  /** Equality block: all present or all null. */
  readonly eq: { ry: Tensor; bInv: Tensor; b: Tensor; nu: Tensor } | null;
  readonly u: Tensor | null;
  /** The factorization's regularization level per item, or null (0). */
  readonly level?: Tensor | null;
}

/**
 * [nBatch, NSTATS + 1] statistics and level (see the file comment).
 * @example const stats = residualStats(parts); // read back once per iteration
 */
export function residualStats(parts: StatsParts): Tensor {
  const attrs = {
    ineq: parts.ineq !== null,
    eq: parts.eq !== null,
    u: parts.u !== null,
    level: (parts.level ?? null) !== null,
  };
  return apply1(statsOp, flatten(parts), attrs);
}

function flatten(q: StatsParts): Tensor[] {
  const out = [q.rx, q.qz, q.z, q.p];
  if (q.ineq)
    out.push(q.ineq.s, q.ineq.lam, q.ineq.rz, q.ineq.hInv, q.ineq.h, q.ineq.gz);
  if (q.eq) out.push(q.eq.ry, q.eq.bInv, q.eq.b, q.eq.nu);
  if (q.u) out.push(q.u);
  if (q.level) out.push(q.level);
  return out;
}

function unflatten<T>(ins: readonly T[], a: StatsAttrs): StatsBlocks<T> {
  let k = 4;
  const take = (n: number): T[] => ins.slice(k, (k += n));
  const [s, lam, rz, hInv, h, gz] = a.ineq ? take(6) : [];
  const [ry, bInv, b, nu] = a.eq ? take(4) : [];
  const [u] = a.u ? take(1) : [];
  const [level] = a.level === true ? take(1) : [];
  return {
    rx: ins[0],
    qz: ins[1],
    z: ins[2],
    p: ins[3],
    ineq: a.ineq ? { s, lam, rz, hInv, h, gz } : null,
    eq: a.eq ? { ry, bInv, b, nu } : null,
    u: a.u ? u : null,
    level: a.level === true ? level : null,
  };
}

/** The tensor-op form: each column [nBatch, 1], assembled by one concat. */
function statsOps(ins: readonly Tensor[], a: StatsAttrs): Tensor[] {
  const q = unflatten(ins, a);
  const zero = zeros([q.rx.shape[0], 1], { dtype: q.rx.dtype });
  const dot1 = (x: Tensor, y: Tensor): Tensor => x.mul(y).sum(-1, true);
  const norm1 = (x: Tensor): Tensor => x.abs().max(-1, true);
  // Row-relative: a bound of 1e5 elsewhere must not excuse a violation of
  // 1e-5 on a row whose right-hand side is 1.
  const rel = (x: Tensor, inv: Tensor): Tensor =>
    x.abs().mul(inv).max(-1, true);
  const pi = q.ineq ? rel(q.ineq.rz, q.ineq.hInv) : null;
  const pe = q.eq ? rel(q.eq.ry, q.eq.bInv) : null;
  const pres = pi && pe ? pi.maximum(pe) : (pi ?? pe ?? zero);
  const gap = q.ineq ? dot1(q.ineq.s, q.ineq.lam) : zero;
  const pz = dot1(q.p, q.z);
  const obj = dot1(q.qz, q.z).mul(0.5).add(pz);
  let cert = zero;
  if (q.ineq) cert = cert.sub(dot1(q.ineq.h, q.ineq.lam));
  if (q.eq) cert = cert.sub(dot1(q.eq.b, q.eq.nu));
  const gzPos = q.ineq ? q.ineq.gz.maximum(0).max(-1, true) : zero;
  const az = q.eq ? norm1(q.eq.ry.add(q.eq.b)) : zero;
  const u = q.u ? norm1(q.u) : zero;
  const level = q.level ?? zero;
  const cols = [pres, norm1(q.rx), gap, obj, u, cert, norm1(q.qz), pz];
  return [concat([...cols, gzPos, az, level], -1)];
}

/** max that keeps a NaN (as the maximum primitive does). */
const nanMax = (acc: number, v: number): number =>
  v > acc || v !== v ? v : acc;

/** Σ x_i·y_i over row [o, o + n). */
function dot(x: TypedArray, y: TypedArray, o: number, n: number): number {
  let s = 0;
  for (let i = o; i < o + n; i++) s += x[i] * y[i];
  return s;
}

/** max_i |x_i|·w_i (w absent: 1) over row [o, o + n), from 0. */
function absMax(
  x: TypedArray,
  w: TypedArray | null,
  o: number,
  n: number,
): number {
  let m = 0;
  for (let i = o; i < o + n; i++)
    m = nanMax(m, w === null ? Math.abs(x[i]) : Math.abs(x[i]) * w[i]);
  return m;
}

function statsKernel(
  ins: readonly CpuTensor[],
  [y]: readonly CpuTensor[],
  a: StatsAttrs,
): void {
  const q = unflatten(
    ins.map((t) => t.data),
    a,
  );
  const [nBatch, nz] = ins[0].shape;
  const m = a.ineq ? ins[4].shape[1] : 0;
  const k = a.eq ? ins[4 + (a.ineq ? 6 : 0)].shape[1] : 0;
  const level = q.level;
  const Y = y.data;
  for (let b = 0; b < nBatch; b++) {
    const oz = b * nz,
      om = b * m,
      ok = b * k,
      out = b * (NSTATS + 1);
    let pres = 0,
      gap = 0,
      cert = 0,
      gzPos = 0,
      az = 0;
    if (q.ineq) {
      const { s, lam, rz, hInv, h, gz } = q.ineq;
      pres = absMax(rz, hInv, om, m);
      gap = dot(s, lam, om, m);
      cert -= dot(h, lam, om, m);
      for (let i = om; i < om + m; i++) gzPos = nanMax(gzPos, gz[i]); // from 0: max(Gz, 0)
    }
    if (q.eq) {
      const { ry, bInv, b: rhs, nu } = q.eq;
      pres = q.ineq
        ? nanMax(pres, absMax(ry, bInv, ok, k))
        : absMax(ry, bInv, ok, k);
      cert -= dot(rhs, nu, ok, k);
      for (let i = ok; i < ok + k; i++)
        az = nanMax(az, Math.abs(ry[i] + rhs[i]));
    }
    const pz = dot(q.p, q.z, oz, nz);
    Y[out] = pres;
    Y[out + 1] = absMax(q.rx, null, oz, nz);
    Y[out + 2] = gap;
    Y[out + 3] = dot(q.qz, q.z, oz, nz) * 0.5 + pz;
    Y[out + 4] = q.u ? absMax(q.u, null, oz, nz) : 0;
    Y[out + 5] = cert;
    Y[out + 6] = absMax(q.qz, null, oz, nz);
    Y[out + 7] = pz;
    Y[out + 8] = gzPos;
    Y[out + 9] = az;
    Y[out + 10] = level === null ? 0 : level[b];
  }
}

export const statsOp: KernelOp<StatsAttrs> = defineOp<StatsAttrs>({
  name: 'qpResidualStats',
  shape: ([rx]) => [{ shape: [rx.shape[0], NSTATS + 1], dtype: rx.dtype }],
  cpu: (ins, outs, a) => {
    registerWasmKernels(statsWat);
    const wk = wasmKernels();
    if (wk === null || !statsWasm(wk, unflatten(ins, a), outs[0]))
      statsKernel(ins, outs, a);
  },
  decompose: statsOps,
  // Every element of every output is written, on every path.
  fillsOutputs: true,
});
