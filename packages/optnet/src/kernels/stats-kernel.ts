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
 * The kernel is WebAssembly (`qpStats`, scalar: the same operations in
 * the same order as its JS loops below, so both give the same bits), with
 * the JS loops where WebAssembly is off. It reads ~10 vectors per item
 * once and writes 11 numbers: in JS (~5 ns an element on these cores) it
 * was the largest JS kernel of a small solve.
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
import {
  f64,
  i32,
  inChunks,
  operand,
  registerWasmKernels,
  wasmKernels,
  type WasmFunc,
  type WasmKernels,
} from '@optnet/tensor/wasm';
import {
  advance,
  at,
  each,
  eachItem,
  get,
  mapsOf,
  vectorBytes,
  type Data,
} from './fused-common.js';

/** Number of statistics per item (the level column comes after them). */
export const NSTATS = 10;

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

function unflatten<T>(ins: readonly T[], a: StatsAttrs) {
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

/** acc ← nanMax(acc, v) (the JS helper's rule: v when v > acc or v is NaN). */
const nanMaxInto = (acc: string, v: string): string =>
  `(local.set ${acc} (select ${v} ${get(acc)} (i32.or (f64.gt ${v} ${get(acc)}) (f64.ne ${v} ${v}))))`;

/** $r ← Σ x·y over `len` (i32 local) elements, in order. */
const dotInto = (x: string, y: string, len: string): string => `
    (local.set $r (f64.const 0))
    ${each(len, `(local.set $r (f64.add ${get('$r')} (f64.mul (f64.load ${at(x)}) (f64.load ${at(y)}))))`)}`;

/** $r ← max |x|(·w) over `len` elements, from 0, NaN kept. */
const absMaxInto = (x: string, w: string | null, len: string): string => {
  const v =
    w === null
      ? `(f64.abs (f64.load ${at(x)}))`
      : `(f64.mul (f64.abs (f64.load ${at(x)})) (f64.load ${at(w)}))`;
  return `
    (local.set $r (f64.const 0))
    ${each(len, `(local.set $v ${v}) ${nanMaxInto('$r', get('$v'))}`)}`;
};

const store = (col: number, value: string): string =>
  `(f64.store (i32.add ${get('$y')} (i32.const ${col * 8})) ${value})`;

/** Bits of qpStats' $flags. */
const INEQ = 1;
const EQ = 2;
const U = 4;
const LEVEL = 8;

const VECS = [
  ['$rx', '$qz', '$z', '$p', '$u'],
  ['$s', '$lam', '$rz', '$hInv', '$h', '$gz'],
  ['$ry', '$bInv', '$b', '$nu'],
] as const;

/**
 * qpStats(rx, qz, z, p, s, lam, rz, hInv, h, gz, ry, bInv, b, nu, u,
 * level, y, work, n, m, k, flags, count): statsKernel's loop body for
 * `count` items (flags: INEQ, EQ, U, LEVEL; an absent block's vectors are
 * not read); y gets NSTATS + 1 doubles per item; work is unused.
 */
const qpStats: WasmFunc = {
  name: 'qpStats',
  params: i32(
    '$rx',
    '$qz',
    '$z',
    '$p',
    '$s',
    '$lam',
    '$rz',
    '$hInv',
    '$h',
    '$gz',
    '$ry',
    '$bInv',
    '$b',
    '$nu',
    '$u',
    '$level',
    '$y',
    '$work',
    '$n',
    '$m',
    '$k',
    '$flags',
    '$count',
  ),
  locals: [
    ...i32('$t', '$ib', '$iend', '$nb', '$mb', '$kb'),
    ...f64('$r', '$v', '$pres', '$gap', '$cert', '$gzPos', '$az', '$pz'),
  ],
  body: `${vectorBytes}
  ${eachItem(`
    (local.set $pres (f64.const 0))
    (local.set $gap (f64.const 0))
    (local.set $cert (f64.const 0))
    (local.set $gzPos (f64.const 0))
    (local.set $az (f64.const 0))
    (if (i32.and ${get('$flags')} (i32.const ${INEQ})) (then
      ${absMaxInto('$rz', '$hInv', '$m')}
      (local.set $pres ${get('$r')})
      ${dotInto('$s', '$lam', '$m')}
      (local.set $gap ${get('$r')})
      ${dotInto('$h', '$lam', '$m')}
      (local.set $cert (f64.sub ${get('$cert')} ${get('$r')}))
      ${each('$m', `(local.set $v (f64.load ${at('$gz')})) ${nanMaxInto('$gzPos', get('$v'))}`)}))
    (if (i32.and ${get('$flags')} (i32.const ${EQ})) (then
      ${absMaxInto('$ry', '$bInv', '$k')}
      (if (i32.and ${get('$flags')} (i32.const ${INEQ}))
        (then ${nanMaxInto('$pres', get('$r'))})
        (else (local.set $pres ${get('$r')})))
      ${dotInto('$b', '$nu', '$k')}
      (local.set $cert (f64.sub ${get('$cert')} ${get('$r')}))
      ${each('$k', `(local.set $v (f64.abs (f64.add (f64.load ${at('$ry')}) (f64.load ${at('$b')})))) ${nanMaxInto('$az', get('$v'))}`)}))
    ${dotInto('$p', '$z', '$n')}
    (local.set $pz ${get('$r')})
    ${store(0, get('$pres'))}
    ${absMaxInto('$rx', null, '$n')}
    ${store(1, get('$r'))}
    ${store(2, get('$gap'))}
    ${dotInto('$qz', '$z', '$n')}
    ${store(3, `(f64.add (f64.mul ${get('$r')} (f64.const 0.5)) ${get('$pz')})`)}
    (local.set $r (f64.const 0))
    (if (i32.and ${get('$flags')} (i32.const ${U})) (then ${absMaxInto('$u', null, '$n')}))
    ${store(4, get('$r'))}
    ${store(5, get('$cert'))}
    ${absMaxInto('$qz', null, '$n')}
    ${store(6, get('$r'))}
    ${store(7, get('$pz'))}
    ${store(8, get('$gzPos'))}
    ${store(9, get('$az'))}
    ${store(
      10,
      `(select (f64.load ${get('$level')}) (f64.const 0) (i32.and ${get('$flags')} (i32.const ${LEVEL})))`,
    )}
    ${VECS[0].map((v) => advance(v, '$nb')).join(' ')}
    ${VECS[1].map((v) => advance(v, '$mb')).join(' ')}
    ${VECS[2].map((v) => advance(v, '$kb')).join(' ')}
    (local.set $level (i32.add ${get('$level')} (i32.const 8)))
    (local.set $y (i32.add ${get('$y')} (i32.const ${(NSTATS + 1) * 8})))`)}`,
};

/**
 * This file's WebAssembly function (fused-kernels.ts registers them all at
 * once).
 */
export const statsWat: readonly WasmFunc[] = [qpStats];

/**
 * statsKernel in WebAssembly; false where it cannot run. Each vector is
 * read through `operand`, so the residuals qpResiduals just made (and p,
 * h, hInv, b, bInv after the solve's first read) are not copied again:
 * they are already in WebAssembly memory as mirrors.
 */
function statsWasm(
  wk: WasmKernels,
  ins: readonly CpuTensor[],
  y: CpuTensor,
  a: StatsAttrs,
): boolean {
  const q = unflatten(ins, a);
  const [nBatch, n] = ins[0].shape;
  const m = q.ineq ? q.ineq.s.shape[1] : 0;
  const k = q.eq ? q.eq.ry.shape[1] : 0;
  const flags =
    (q.ineq ? INEQ : 0) |
    (q.eq ? EQ : 0) |
    (q.u ? U : 0) |
    (q.level !== null ? LEVEL : 0);
  const no = { s: null, lam: null, rz: null, hInv: null, h: null, gz: null };
  const ineq = q.ineq ?? no;
  const eq = q.eq ?? { ry: null, bInv: null, b: null, nu: null };
  const vecs: [CpuTensor | null, number][] = [
    [q.rx, n],
    [q.qz, n],
    [q.z, n],
    [q.p, n],
    [ineq.s, m],
    [ineq.lam, m],
    [ineq.rz, m],
    [ineq.hInv, m],
    [ineq.h, m],
    [ineq.gz, m],
    [eq.ry, k],
    [eq.bInv, k],
    [eq.b, k],
    [eq.nu, k],
    [q.u, n],
    [q.level, 1],
  ];
  const [per] = mapsOf(nBatch);
  const width = NSTATS + 1;
  const Y = y.data as Data;
  return inChunks(
    wk,
    width * 8,
    0,
    nBatch,
    (s, e, out) => {
      const args: number[] = [];
      for (const [t, len] of vecs) {
        if (t === null || len === 0) {
          args.push(0);
          continue;
        }
        const [at, stride] = operand(wk, t.data as Data, per, s, e, len);
        if (at < 0 || (e - s > 1 && stride !== len * 8)) return false;
        args.push(at);
      }
      wk.fn.qpStats(...args, out, 0, n, m, k, flags, e - s);
      const mem = wk.f64();
      Y.set(mem.subarray(out >> 3, (out >> 3) + (e - s) * width), s * width);
    },
    // an operand's whole copy (when it has no mirror) must fit too
    Math.max(n, m, k, 1) * 8,
  );
}

export const statsOp: KernelOp<StatsAttrs> = defineOp<StatsAttrs>({
  name: 'qpResidualStats',
  shape: ([rx]) => [{ shape: [rx.shape[0], NSTATS + 1], dtype: rx.dtype }],
  cpu: (ins, outs, a) => {
    registerWasmKernels(statsWat);
    const wk = wasmKernels();
    if (wk === null || !statsWasm(wk, ins, outs[0], a))
      statsKernel(ins, outs, a);
  },
  decompose: statsOps,
});
