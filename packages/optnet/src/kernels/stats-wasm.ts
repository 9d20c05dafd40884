/**
 * The solver's per-iteration statistics (stats-kernel.ts) as one
 * WebAssembly function, `qpStats`: scalar, with the JS loops' operations
 * in their order, so both give the same bits. It reads ~10 vectors per
 * item once and writes 11 numbers; in JS (~5 ns an element on these
 * cores) that was the largest JS kernel of a small solve.
 *
 * Glossary: n = nz, m = nIneq, k = nEq; the vectors as in stats-kernel.ts.
 */
import type { CpuTensor } from '@optnet/tensor';
import {
  f64,
  i32,
  inChunks,
  operand,
  withSuffix,
  type WasmFunc,
  type WasmKernels,
} from '@optnet/tensor/wasm';
import {
  advance,
  at,
  each,
  get,
  mapsOf,
  secondItem,
  vectorBytes,
  type Data,
} from './fused-common.js';

/** Number of statistics per item (the level column comes after them). */
export const NSTATS = 10;

/** The statistics' inputs by block (an absent block is null). */
export interface StatsBlocks<T> {
  readonly rx: T;
  readonly qz: T;
  readonly z: T;
  readonly p: T;
  readonly ineq: {
    s: T;
    lam: T;
    rz: T;
    hInv: T;
    h: T;
    gz: T;
  } | null;
  readonly eq: { ry: T; bInv: T; b: T; nu: T } | null;
  readonly u: T | null;
  readonly level: T | null;
}

/**
 * acc ← nanMax(acc, v) (the JS helper's rule: v when v > acc or v is NaN)
 * as f64.max, which gives the same for every acc these loops hold (+0 at
 * first, then only larger values or NaN, never −0), in fewer instructions
 * than a select on two comparisons (the kernel 8.5 → 7.0 µs a call at
 * [128, 10, 10]; f64x2.max on splatted values, branch-free, took 15-20).
 */
const nanMaxInto = (acc: string, v: string): string =>
  `(local.set ${acc} (f64.max ${get(acc)} ${v}))`;

/**
 * Text for one item, or for two (`both`: the text and its copy on the
 * second item's locals; loops are not doubled, their bodies are, so the
 * two items' chains run side by side, each in its own order).
 */
type Both = (text: string) => string;

/** $r ← Σ x·y over `len` (i32 local) elements, in order. */
const dotInto = (x: string, y: string, len: string, both: Both): string => `
    ${both('(local.set $r (f64.const 0))')}
    ${each(len, both(`(local.set $r (f64.add ${get('$r')} (f64.mul (f64.load ${at(x)}) (f64.load ${at(y)}))))`))}`;

/** $r ← max |x|(·w) over `len` elements, from 0, NaN kept. */
const absMaxInto = (
  x: string,
  w: string | null,
  len: string,
  both: Both,
): string => {
  const v =
    w === null
      ? `(f64.abs (f64.load ${at(x)}))`
      : `(f64.mul (f64.abs (f64.load ${at(x)})) (f64.load ${at(w)}))`;
  return `
    ${both('(local.set $r (f64.const 0))')}
    ${each(len, both(`(local.set $v ${v}) ${nanMaxInto('$r', get('$v'))}`))}`;
};

const store = (col: number, value: string): string =>
  `(f64.store (i32.add ${get('$y')} (i32.const ${col * 8})) ${value})`;

/** Bits of qpStats' $flags. */
const INEQ = 1;
const EQ = 2;
const U = 4;
const LEVEL = 8;

/**
 * qpStats' flags for the blocks present.
 * @example statsFlags({ ineq: true, eq: false, u: true, level: true });
 */
export const statsFlags = (a: {
  readonly ineq: boolean;
  readonly eq: boolean;
  readonly u: boolean;
  readonly level?: boolean;
}): number =>
  (a.ineq ? INEQ : 0) |
  (a.eq ? EQ : 0) |
  (a.u ? U : 0) |
  (a.level === true ? LEVEL : 0);

const VECS = [
  ['$rx', '$qz', '$z', '$p', '$u'],
  ['$s', '$lam', '$rz', '$hInv', '$h', '$gz'],
  ['$ry', '$bInv', '$b', '$nu'],
] as const;

/** The per-item scalars of qpStats. */
const SCALARS = ['$r', '$v', '$pres', '$gap', '$cert', '$gzPos', '$az', '$pz'];
/** The per-item pointers, each with the bytes local it moves on by. */
const BYTES: Record<string, string> = {
  ...Object.fromEntries(VECS[0].map((v) => [v, '$nb'])),
  ...Object.fromEntries(VECS[1].map((v) => [v, '$mb'])),
  ...Object.fromEntries(VECS[2].map((v) => [v, '$kb'])),
  $level: '$eight',
  $y: '$row',
};
const ITEM_PTRS = Object.keys(BYTES);
const PER_ITEM = [...ITEM_PTRS, ...SCALARS];

/** Every pointer on to the next item, and $t. */
const nextItem = `
    ${VECS[0].map((v) => advance(v, '$nb')).join(' ')}
    ${VECS[1].map((v) => advance(v, '$mb')).join(' ')}
    ${VECS[2].map((v) => advance(v, '$kb')).join(' ')}
    (local.set $level (i32.add ${get('$level')} (i32.const 8)))
    (local.set $y (i32.add ${get('$y')} (i32.const ${(NSTATS + 1) * 8})))
    (local.set $t (i32.add ${get('$t')} (i32.const 1)))`;

/** An item's statistics (or, through `both`, two items' side by side). */
const statsItem = (both: Both): string => `
    ${both(`(local.set $pres (f64.const 0))
    (local.set $gap (f64.const 0))
    (local.set $cert (f64.const 0))
    (local.set $gzPos (f64.const 0))
    (local.set $az (f64.const 0))`)}
    (if (i32.and ${get('$flags')} (i32.const ${INEQ})) (then
      ${absMaxInto('$rz', '$hInv', '$m', both)}
      ${both(`(local.set $pres ${get('$r')})`)}
      ${dotInto('$s', '$lam', '$m', both)}
      ${both(`(local.set $gap ${get('$r')})`)}
      ${dotInto('$h', '$lam', '$m', both)}
      ${both(`(local.set $cert (f64.sub ${get('$cert')} ${get('$r')}))`)}
      ${each('$m', both(`(local.set $v (f64.load ${at('$gz')})) ${nanMaxInto('$gzPos', get('$v'))}`))}))
    (if (i32.and ${get('$flags')} (i32.const ${EQ})) (then
      ${absMaxInto('$ry', '$bInv', '$k', both)}
      (if (i32.and ${get('$flags')} (i32.const ${INEQ}))
        (then ${both(nanMaxInto('$pres', get('$r')))})
        (else ${both(`(local.set $pres ${get('$r')})`)}))
      ${dotInto('$b', '$nu', '$k', both)}
      ${both(`(local.set $cert (f64.sub ${get('$cert')} ${get('$r')}))`)}
      ${each('$k', both(`(local.set $v (f64.abs (f64.add (f64.load ${at('$ry')}) (f64.load ${at('$b')})))) ${nanMaxInto('$az', get('$v'))}`))}))
    ${dotInto('$p', '$z', '$n', both)}
    ${both(`(local.set $pz ${get('$r')})
    ${store(0, get('$pres'))}`)}
    ${absMaxInto('$rx', null, '$n', both)}
    ${both(`${store(1, get('$r'))}
    ${store(2, get('$gap'))}`)}
    ${dotInto('$qz', '$z', '$n', both)}
    ${both(`${store(3, `(f64.add (f64.mul ${get('$r')} (f64.const 0.5)) ${get('$pz')})`)}
    (local.set $r (f64.const 0))`)}
    (if (i32.and ${get('$flags')} (i32.const ${U})) (then ${absMaxInto('$u', null, '$n', both)}))
    ${both(`${store(4, get('$r'))}
    ${store(5, get('$cert'))}`)}
    ${absMaxInto('$qz', null, '$n', both)}
    ${both(`${store(6, get('$r'))}
    ${store(7, get('$pz'))}
    ${store(8, get('$gzPos'))}
    ${store(9, get('$az'))}
    ${store(
      10,
      `(select (f64.load ${get('$level')}) (f64.const 0) (i32.and ${get('$flags')} (i32.const ${LEVEL})))`,
    )}`)}`;

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
    ...i32('$t', '$ib', '$iend', '$nb', '$mb', '$kb', '$eight', '$row'),
    ...f64(...SCALARS),
    ...i32(...ITEM_PTRS.map((p) => `${p}B`)),
    ...f64(...SCALARS.map((p) => `${p}B`)),
  ],
  body: `${vectorBytes}
  (local.set $eight (i32.const 8))
  (local.set $row (i32.const ${(NSTATS + 1) * 8}))
  (block $pairs (loop $pair
    (br_if $pairs (i32.ge_s (i32.add ${get('$t')} (i32.const 1)) ${get('$count')}))
    ${secondItem(ITEM_PTRS.map((p) => [p, BYTES[p]] as const))}
    ${statsItem((t) => t + withSuffix(t, PER_ITEM, 'B'))}
    ${nextItem}
    ${nextItem}
    (br $pair)))
  (block $done (loop $items
    (br_if $done (i32.ge_s ${get('$t')} ${get('$count')}))
    ${statsItem((t) => t)}
    ${nextItem}
    (br $items)))`,
};

/**
 * This file's WebAssembly function (fused-kernels.ts registers them all at
 * once).
 */
export const statsWat: readonly WasmFunc[] = [qpStats];

/** qpStats' vector operands in its order, each with its length per item. */
function operandsOf(
  q: StatsBlocks<CpuTensor>,
  n: number,
  m: number,
  k: number,
): [CpuTensor | null, number][] {
  const no = { s: null, lam: null, rz: null, hInv: null, h: null, gz: null };
  const ineq = q.ineq ?? no;
  const eq = q.eq ?? { ry: null, bInv: null, b: null, nu: null };
  return [
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
}

/**
 * The statistics (stats-kernel.ts) in WebAssembly; false where they
 * cannot run here (then the caller runs its JS loops). Each vector is
 * read through `operand`, so the residuals qpResiduals just made (and p,
 * h, hInv, b, bInv after the solve's first read) are not copied again:
 * they are already in WebAssembly memory as mirrors.
 * @example if (!statsWasm(wk, blocks, out)) runTheJsLoops();
 */
export function statsWasm(
  wk: WasmKernels,
  q: StatsBlocks<CpuTensor>,
  y: CpuTensor,
): boolean {
  const [nBatch, n] = q.rx.shape;
  const m = q.ineq ? q.ineq.s.shape[1] : 0;
  const k = q.eq ? q.eq.ry.shape[1] : 0;
  const flags = statsFlags({
    ineq: q.ineq !== null,
    eq: q.eq !== null,
    u: q.u !== null,
    level: q.level !== null,
  });
  const vecs = operandsOf(q, n, m, k);
  const [per] = mapsOf(nBatch);
  const width = NSTATS + 1;
  const Y = y.data as Data;
  // Each item's bytes of every operand and of its output row: a chunk's
  // copies (of operands without a mirror) fit one allocation each.
  const itemBytes = 8 * (width + 5 * n + 6 * m + 4 * k + 1);
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
    itemBytes,
  );
}
