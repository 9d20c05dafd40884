/**
 * An iterate's residuals and the statistics the solver reads back for it
 * in one op, `qpResidualStats2`: qpResiduals (residual-kernel.ts), then
 * qpResidualStats (stats-kernel.ts) on the same chunk of items, in the
 * same WebAssembly memory. u = Gᵀlam (+ Aᵀnu), Qz and Gz, which only the
 * statistics read, never leave it; rx, rz (and ry) and the statistics do.
 * The same functions run in the same order, so it gives the two ops'
 * bits; elsewhere (no WebAssembly, float32) it runs the two ops' CPU
 * kernels, and `decompose` is their tensor-op forms. One op instead of two an iteration, and three fewer outputs.
 *
 * Glossary: n = nz, m = nIneq, k = nEq; the inputs as in qpResiduals,
 * then hInv = 1/(1 + |h|), bInv = 1/(1 + |b|) and the factorization's
 * level [nBatch, 1] (stats-kernel.ts).
 */
import {
  allocArray,
  apply,
  defineOp,
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
import { runFused } from './fused-common.js';
import { residualOp, residualWat, spread } from './residual-kernel.js';
import { statsOp, type StatsAttrs } from './stats-kernel.js';
import { NSTATS, statsFlags, statsWat } from './stats-wasm.js';

export interface ResidualStatsAttrs {
  /** Equality constraints present (A, nu, b among the inputs, bInv after hInv). */
  readonly eq: boolean;
  /** A level [nBatch, 1] is the last input (else the level column is 0). */
  readonly level: boolean;
}

/** How many inputs qpResiduals takes (the rest are the statistics'). */
const residualCount = (eq: boolean): number => (eq ? 10 : 7);

/** The statistics' attributes: both of G's blocks, u, and the rest as given. */
const statsAttrs = ({ eq, level }: ResidualStatsAttrs): StatsAttrs => ({
  ineq: true,
  eq,
  u: true,
  level,
});

function shape(
  ins: readonly TensorMeta[],
  attrs: ResidualStatsAttrs,
): TensorMeta[] {
  const { eq, level } = attrs;
  const count = residualCount(eq);
  const extra = 1 + (eq ? 1 : 0) + (level ? 1 : 0);
  if (ins.length !== count + extra) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `qpResidualStats2: takes qpResiduals' ${count} inputs, then hInv${eq ? ', bInv' : ''}${level ? ' and level' : ''}; got ${ins.length} inputs. Call it through residualsWithStats(), which orders them.`,
    );
  }
  const res = residualOp.shape(ins.slice(0, count), { eq });
  const h = ins[eq ? 7 : 6];
  const hInv = ins[count];
  const nBatch = res[0].shape[0];
  const like = (t: TensorMeta, want: TensorMeta) =>
    shapesEqual(t.shape, want.shape) && t.dtype === want.dtype;
  const bad =
    !like(hInv, h) ||
    (eq && !like(ins[count + 1], ins[9])) ||
    (level &&
      (!shapesEqual(ins[ins.length - 1].shape, [nBatch, 1]) ||
        ins[ins.length - 1].dtype !== res[0].dtype));
  if (bad) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `qpResidualStats2: hInv must be shaped and typed as h${eq ? ', bInv as b' : ''}${level ? `, level [${nBatch}, 1] of ${res[0].dtype}` : ''}; got ${ins
        .slice(count)
        .map((t) => `${t.dtype}[${t.shape.join(', ')}]`)
        .join(', ')}.`,
    );
  }
  const stats = { shape: [nBatch, NSTATS + 1], dtype: res[0].dtype };
  // rx, rz (+ ry), the statistics
  return [res[0], res[1], ...(eq ? [res[5]] : []), stats];
}

/**
 * qpResidualStats2(q, qs, g, gs, a, as, z, p, s, lam, h, nu, b, hInv,
 * bInv, level, rx, rz, ry, y, u, qz, gz, work, n, m, k, flags, count):
 * qpResiduals on the chunk, then qpStats on what it made (flags as
 * qpStats'; work is n doubles).
 */
const qpResidualStats2: WasmFunc = {
  name: 'qpResidualStats2',
  params: i32(
    ...['$q', '$qs', '$g', '$gs', '$a', '$as'],
    ...['$z', '$p', '$s', '$lam', '$h', '$nu', '$b', '$hInv', '$bInv'],
    ...['$level', '$rx', '$rz', '$ry', '$y', '$u', '$qz', '$gz', '$work'],
    ...['$n', '$m', '$k', '$flags', '$count'],
  ),
  body: `
  (call $qpResiduals (local.get $q) (local.get $qs) (local.get $g) (local.get $gs)
    (local.get $a) (local.get $as) (local.get $z) (local.get $p) (local.get $s)
    (local.get $lam) (local.get $h) (local.get $nu) (local.get $b) (local.get $rx)
    (local.get $rz) (local.get $ry) (local.get $u) (local.get $qz) (local.get $gz)
    (local.get $work) (local.get $n) (local.get $m) (local.get $k) (local.get $count))
  (call $qpStats (local.get $rx) (local.get $qz) (local.get $z) (local.get $p)
    (local.get $s) (local.get $lam) (local.get $rz) (local.get $hInv) (local.get $h)
    (local.get $gz) (local.get $ry) (local.get $bInv) (local.get $b) (local.get $nu)
    (local.get $u) (local.get $level) (local.get $y) (i32.const 0) (local.get $n)
    (local.get $m) (local.get $k) (local.get $flags) (local.get $count))`,
};

/**
 * This file's WebAssembly function and the two it calls (fused-kernels.ts
 * registers them all at once).
 */
export const residualStatsWat: readonly WasmFunc[] = [
  ...residualWat,
  ...statsWat,
  qpResidualStats2,
];

/** The residual op's inputs and the statistics' own, by name. */
interface Parts<T> {
  readonly res: readonly T[];
  readonly hInv: T;
  readonly bInv: T | null;
  readonly level: T | null;
}

function partsOf<T>(ins: readonly T[], a: ResidualStatsAttrs): Parts<T> {
  const count = residualCount(a.eq);
  return {
    res: ins.slice(0, count),
    hInv: ins[count],
    bInv: a.eq ? ins[count + 1] : null,
    level: a.level ? ins[ins.length - 1] : null,
  };
}

/** In WebAssembly (runFused); false if its memory cannot be had. */
function runWasm(
  wk: WasmKernels,
  ins: readonly CpuTensor[],
  outs: readonly CpuTensor[],
  a: ResidualStatsAttrs,
): boolean {
  const { res, hInv, bInv, level } = partsOf(ins, a);
  const x = spread(res, a.eq);
  const [Q, G, A, z, s] = [x[0], x[1], x[2], x[3], x[5]];
  const [nBatch, n] = z!.shape;
  const m = s!.shape[1];
  const k = a.eq ? res[8].shape[1] : 0;
  const [p, lam, h, nu, b] = [x[4], x[6], x[7], x[8], x[9]];
  const stats = outs[outs.length - 1];
  return runFused(
    wk,
    'qpResidualStats2',
    nBatch,
    [
      [Q, n * n],
      [G, m * n],
      [A, k * n],
    ],
    [
      [z, n],
      [p, n],
      [s, m],
      [lam, m],
      [h, m],
      [nu, k],
      [b, k],
      [hInv, m],
      [bInv, k],
      [level, 1],
    ],
    // rx, rz, ry, the statistics; u, qz, gz: room in the chunk, never
    // copied out
    [
      [outs[0], n],
      [outs[1], m],
      [a.eq ? outs[2] : null, k],
      [stats, NSTATS + 1],
      [null, n],
      [null, n],
      [null, m],
    ],
    n,
    [n, m, k, statsFlags(statsAttrs(a))],
  );
}

/**
 * The statistics op's inputs (stats-kernel.ts's order) from the residual
 * op's, in the equality layout `x` (spread), and what it made.
 */
function statsInputs<T>(
  x: readonly (T | null)[],
  [rx, rz, u, qz, gz, ry]: readonly (T | undefined)[],
  hInv: T,
  bInv: T | null,
  level: T | null,
): T[] {
  const [, , , z, p, s, lam, h, nu, b] = x;
  const flat = [rx!, qz!, z!, p!, s!, lam!, rz!, hInv, h!, gz!];
  if (ry !== undefined) flat.push(ry, bInv!, b!, nu!);
  flat.push(u!);
  if (level !== null) flat.push(level);
  return flat;
}

/**
 * The two ops' CPU kernels (each its WebAssembly or JS form), u, qz and
 * gz in arrays of their own.
 */
function runJs(
  ins: readonly CpuTensor[],
  outs: readonly CpuTensor[],
  a: ResidualStatsAttrs,
): void {
  const { res, hInv, bInv, level } = partsOf(ins, a);
  const x = spread(res, a.eq);
  const [nBatch, n] = x[3]!.shape;
  const m = x[5]!.shape[1];
  const vec = (len: number): CpuTensor => ({
    shape: [nBatch, len],
    dtype: x[3]!.dtype,
    data: allocArray(x[3]!.dtype, nBatch * len),
  });
  const [rx, rz] = outs;
  const made = [rx, rz, vec(n), vec(n), vec(m), ...(a.eq ? [outs[2]] : [])];
  residualOp.cpu(res, made, { eq: a.eq });
  const flat = statsInputs(x, made, hInv, bInv, level);
  statsOp.cpu(flat, [outs[outs.length - 1]], statsAttrs(a));
}

/** The tensor-op form: the two ops' decompositions. */
function ops(ins: readonly Tensor[], a: ResidualStatsAttrs): Tensor[] {
  const { res, hInv, bInv, level } = partsOf(ins, a);
  const made = residualOp.decompose!(res, { eq: a.eq });
  const flat = statsInputs(spread(res, a.eq), made, hInv, bInv, level);
  const [stats] = statsOp.decompose!(flat, statsAttrs(a));
  const [rx, rz, , , , ry] = made;
  return [rx, rz, ...(a.eq ? [ry] : []), stats];
}

export const residualStatsOp: KernelOp<ResidualStatsAttrs> =
  defineOp<ResidualStatsAttrs>({
    name: 'qpResidualStats2',
    shape,
    cpu: (ins, outs, a) => {
      registerWasmKernels(residualStatsWat);
      const wk = wasmKernels();
      // float32: the two ops' kernels, which round u, Qz and Gz to float32
      // between them (in one WebAssembly call the statistics would read
      // them unrounded: other bits)
      const f64 = ins[0].dtype === 'float64';
      if (wk === null || !f64 || !runWasm(wk, ins, outs, a))
        runJs(ins, outs, a);
    },
    decompose: ops,
    // Every element of every output is written, on every path.
    fillsOutputs: true,
  });

/**
 * The residuals (residual-kernel.ts) and the statistics (stats-kernel.ts)
 * at (z, s, lam, nu) in one op: [rx, rz, (ry,) stats], stats
 * [nBatch, NSTATS + 1] with `level`'s column last (0 when null).
 * @example
 * const [rx, rz, stats] = residualsWithStats(Q, G, null, z, p, s, lam, h, null, null, hInv, null, level);
 */
export function residualsWithStats(
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
  hInv: Tensor,
  bInv: Tensor | null,
  level: Tensor | null,
): Tensor[] {
  const eq = A !== null && nu !== null && b !== null && bInv !== null;
  const ins = eq
    ? [Q, G, A, z, p, s, lam, h, nu, b, hInv, bInv]
    : [Q, G, z, p, s, lam, h, hInv];
  if (level !== null) ins.push(level);
  return apply(residualStatsOp, ins, { eq, level: level !== null });
}
