/**
 * Pieces the solver's fused WebAssembly kernels share (dual-solve-kernel.ts,
 * predict-correct-eq-kernel.ts, residual-kernel.ts): WebAssembly text
 * helpers, the steps of an item's Newton solve and its corrector
 * right-hand side, the chunked runner that feeds a kernel its operands,
 * batch maps, and the small JS loops of their fallbacks.
 */
import {
  ShapeError,
  shapesEqual,
  type CpuTensor,
  type TensorMeta,
} from '@optnet/tensor';
import {
  batchMap,
  inChunks,
  operand,
  withSuffix,
  type WasmKernels,
} from '@optnet/tensor/wasm';

export type Data = Float64Array | Float32Array;

export const get = (x: string): string => `(local.get ${x})`;
/** A loop over i < `len` (an i32 local) with byte offset $ib = 8i. */
export const each = (len: string, body: string): string => `
    (local.set $ib (i32.const 0))
    (local.set $iend (i32.shl ${get(len)} (i32.const 3)))
    (block $ed (loop $el
      (br_if $ed (i32.ge_s ${get('$ib')} ${get('$iend')}))
      ${body}
      (local.set $ib (i32.add ${get('$ib')} (i32.const 8)))
      (br $el)))`;
/**
 * Elementwise operations on the element at $ib of each vector (F64) or on
 * it and the next (F64X2): `lanes` writes a loop body once for both.
 */
export interface LaneOps {
  load(v: string): string;
  store(v: string, x: string): string;
  /** A scalar local, as a value of this width. */
  scalar(x: string): string;
  add(a: string, b: string): string;
  sub(a: string, b: string): string;
  mul(a: string, b: string): string;
  div(a: string, b: string): string;
  neg(a: string): string;
  /** a where the flag at vector `flag` is nonzero, else b (bits exact). */
  pick(flag: string, a: string, b: string): string;
}

const F64: LaneOps = {
  load: (v) => `(f64.load ${at(v)})`,
  store: (v, x) => `(f64.store ${at(v)} ${x})`,
  scalar: (x) => get(x),
  add: (a, b) => `(f64.add ${a} ${b})`,
  sub: (a, b) => `(f64.sub ${a} ${b})`,
  mul: (a, b) => `(f64.mul ${a} ${b})`,
  div: (a, b) => `(f64.div ${a} ${b})`,
  neg: (a) => `(f64.neg ${a})`,
  pick: (flag, a, b) =>
    `(select ${a} ${b} (f64.ne (f64.load ${at(flag)}) (f64.const 0)))`,
};

const F64X2: LaneOps = {
  load: (v) => `(v128.load ${at(v)})`,
  store: (v, x) => `(v128.store ${at(v)} ${x})`,
  scalar: (x) => `(f64x2.splat ${get(x)})`,
  add: (a, b) => `(f64x2.add ${a} ${b})`,
  sub: (a, b) => `(f64x2.sub ${a} ${b})`,
  mul: (a, b) => `(f64x2.mul ${a} ${b})`,
  div: (a, b) => `(f64x2.div ${a} ${b})`,
  neg: (a) => `(f64x2.neg ${a})`,
  pick: (flag, a, b) =>
    `(v128.bitselect ${a} ${b} (f64x2.ne (v128.load ${at(flag)}) (f64x2.splat (f64.const 0))))`,
};

/**
 * \`body\` for each element i < \`len\` (an i32 local) of the vectors it
 * names: two at a time in f64x2 lanes, then an odd last one alone. Every
 * element gets the arithmetic a scalar loop gives it (the lanes are
 * independent IEEE operations), so the same bits; and no branch on the
 * data (a pick is a bitselect).
 * @example lanes('$m', (o) => o.store('$d', o.sub(o.load('$a'), o.load('$b'))));
 */
export const lanes = (len: string, body: (o: LaneOps) => string): string => `
    (local.set $ib (i32.const 0))
    (local.set $iend (i32.shl (i32.and ${get(len)} (i32.const -2)) (i32.const 3)))
    (block $vd (loop $vl
      (br_if $vd (i32.ge_s ${get('$ib')} ${get('$iend')}))
      ${body(F64X2)}
      (local.set $ib (i32.add ${get('$ib')} (i32.const 16)))
      (br $vl)))
    (if (i32.and ${get(len)} (i32.const 1)) (then ${body(F64)}))`;

/** $nb, $mb, $kb ← the bytes of one item's n-, m- and k-vector. */
export const vectorBytes: string = `
  (local.set $nb (i32.shl ${get('$n')} (i32.const 3)))
  (local.set $mb (i32.shl ${get('$m')} (i32.const 3)))
  (local.set $kb (i32.shl ${get('$k')} (i32.const 3)))`;
/** `body` for each item $t < $count (an i32 local from 0). */
export const eachItem = (body: string): string => `
  (block $done (loop $items
    (br_if $done (i32.ge_s ${get('$t')} ${get('$count')}))
    ${body}
    (local.set $t (i32.add ${get('$t')} (i32.const 1)))
    (br $items)))`;
/** The byte-address local `p` moved on by local `by` (the next item's). */
export const advance = (p: string, by: string): string =>
  `(local.set ${p} (i32.add ${get(p)} ${get(by)}))`;
/** f64 at vector `v` (a byte-address local), element $ib. */
export const at = (v: string): string => `(i32.add ${get(v)} ${get('$ib')})`;

/** A call of $trsvDot or $trsvAxpy (five plain arguments). */
const SOLVE_CALL = /\(call \$(trsvDot|trsvAxpy) ((?:\([^()]*\)\s*){5})\)/g;

/**
 * The item-loop body `text` for two items at once: the second item's copy
 * runs on its own locals (`names`, each with a B suffix), the two copies
 * alternate between the triangular solves, and each pair of solves (one
 * per item, the same size) is one $trsvDot2 or $trsvAxpy2 call, so the
 * two latency-bound solves run side by side. Every item gets the same
 * instructions, and so the same bits, as in `text`; the locals not in
 * `names` (sizes, loop counters) are shared, which holds because each
 * copy sets them before use between two solves.
 * @example const body = pairItems(itemText, ['$t', '$lq', ...]);
 */
export function pairItems(text: string, names: readonly string[]): string {
  const second = withSuffix(text, names, 'B');
  const calls = (t: string) => [...t.matchAll(SOLVE_CALL)];
  const [a, b] = [calls(text), calls(second)];
  const rest = (t: string) => t.split(SOLVE_CALL).filter((_, i) => i % 3 === 0);
  const [ra, rb] = [rest(text), rest(second)];
  const args = (m: RegExpMatchArray) =>
    (m[2].match(/\([^()]*\)/g) ?? []).map((x) => x.trim());
  let out = ra[0] + rb[0];
  a.forEach((ma, i) => {
    const [x, y] = [args(ma), args(b[i])];
    if (x.slice(2).join() !== y.slice(2).join())
      throw new Error(
        `pairItems: the two items' ${ma[1]} calls differ in size or order (${x.slice(2).join(' ')} against ${y.slice(2).join(' ')}); share those locals.`,
      );
    out += `(call $${ma[1]}2 ${x[0]} ${x[1]} ${y[0]} ${y[1]} ${x.slice(2).join(' ')})`;
    out += ra[i + 1] + rb[i + 1];
  });
  return out;
}

/**
 * An item loop over $k < $count that takes items two at a time
 * (pairItems: `item` for both, their triangular solves side by side),
 * then a last odd item alone. `next` moves every per-item pointer on by
 * one item and $k by one; `second` sets the second item's pointers (the
 * `names` with a B suffix) from the first's.
 * @example const body = pairedItemLoop(item, next, second, PER_ITEM);
 */
export const pairedItemLoop = (
  item: string,
  next: string,
  second: string,
  names: readonly string[],
): string => `
  (block $pairs (loop $pair
    (br_if $pairs (i32.ge_s (i32.add ${get('$k')} (i32.const 1)) ${get('$count')}))
    ${second}
    ${pairItems(item, names)}
    ${next}
    ${next}
    (br $pair)))
  (block $done (loop $items
    (br_if $done (i32.ge_s ${get('$k')} ${get('$count')}))
    ${item}
    ${next}
    (br $items)))`;

/**
 * The B item's pointers from the first's: [pointer, by] pairs, `by` the
 * local holding a matrix's stride or a vector's bytes per item.
 * @example const second = secondItem([['$lq', '$lqs'], ['$rx', '$nb']]);
 */
export const secondItem = (
  strided: readonly (readonly [string, string])[],
): string =>
  strided
    .map(([p, by]) => `(local.set ${p}B (i32.add ${get(p)} ${get(by)}))`)
    .join('\n    ');

/**
 * The work vectors of a pair of items: `layout` lists each vector's local
 * and the local holding its bytes, in order; the first item's start at
 * $work, the second item's (B locals) right after the first's last.
 * @example const setup = pairWork([['$t', '$nb'], ['$zp', '$mb']]);
 */
export const pairWork = (
  layout: readonly (readonly [string, string])[],
): string => {
  const chain = (start: string, sfx: string): string[] =>
    layout.map(([v], i) => {
      const at =
        i === 0
          ? start
          : `(i32.add ${get(layout[i - 1][0] + sfx)} ${get(layout[i - 1][1])})`;
      return `(local.set ${v}${sfx} ${at})`;
    });
  const [last, bytes] = layout[layout.length - 1];
  return [
    ...chain(get('$work'), ''),
    ...chain(`(i32.add ${get(last)} ${get(bytes)})`, 'B'),
  ].join('\n  ');
};

/*
 * The steps of one item's Newton solve in the dual reduction (see
 * dual-solve-kernel.ts), on the locals of the kernels that splice them
 * in: matrices $lq, $wg, $g, $ls; vectors $t, $zp, $lam, $sol, $ina, $rz.
 */

/**
 * t ← L_Q⁻¹rx and zp ← rz − W_Gᵀt (solver/kkt/dual.ts rxParts), for the
 * vector at `rx`.
 */
export const rxPartsItem = (rx: string): string => `
    ${lanes('$n', (o) => o.store('$t', o.load(rx)))}
    (call $trsvDot ${get('$lq')} ${get('$t')} ${get('$n')} (i32.const 1) (i32.const 0))
    (call $gemvT ${get('$wg')} ${get('$t')} ${get('$zp')} ${get('$m')} ${get('$n')})
    ${lanes('$m', (o) => o.store('$zp', o.sub(o.load('$rz'), o.load('$zp'))))}`;

/** ds ← rc/lam (kept until finishItem) and dlam ← zPart − rc/lam. */
export const splitRcItem = (rc: string, dlam: string, ds: string): string =>
  lanes(
    '$m',
    (o) => `
      ${o.store(ds, o.div(o.load(rc), o.load('$lam')))}
      ${o.store(dlam, o.sub(o.load('$zp'), o.load(ds)))}`,
  );

/** dlam ← S⁻¹dlam with S = L_S·L_Sᵀ. */
export const cholSolveItem = (dlam: string): string => `
    (call $trsvDot ${get('$ls')} ${get(dlam)} ${get('$m')} (i32.const 1) (i32.const 0))
    (call $trsvAxpy ${get('$ls')} ${get(dlam)} ${get('$m')} (i32.const 0) (i32.const 0))`;

/** dz ← t + W_G·dlam. */
export const backItem = (dlam: string, dz: string): string => `
    (call $gemvN ${get('$wg')} ${get(dlam)} ${get(dz)} ${get('$n')} ${get('$m')})
    ${lanes('$n', (o) => o.store(dz, o.add(o.load('$t'), o.load(dz))))}`;

/**
 * dz ← −L_Q⁻ᵀdz, and ds by row: −(rz + G·dz) where inactive, else
 * −(rc/lam + (s/lam)∘dlam) with rc/lam read from ds (splitRcItem); `gw`
 * is m doubles of work.
 */
export const finishItem = (
  dz: string,
  dlam: string,
  ds: string,
  gw: string,
): string => `
    (call $trsvAxpy ${get('$lq')} ${get(dz)} ${get('$n')} (i32.const 0) (i32.const 0))
    ${lanes('$n', (o) => o.store(dz, o.neg(o.load(dz))))}
    (call $gemvN ${get('$g')} ${get(dz)} ${get(gw)} ${get('$m')} ${get('$n')})
    ${lanes('$m', (o) =>
      o.store(
        ds,
        o.pick(
          '$ina',
          o.neg(o.add(o.load('$rz'), o.load(gw))),
          o.neg(o.add(o.load(ds), o.mul(o.load('$sol'), o.load(dlam)))),
        ),
      ),
    )}`;

/**
 * The whole solve of the current item for the rc vector at `rc` (see
 * dual-solve-kernel.ts), into dz, dlam, ds (ds holds rc/lam until the
 * last step); `gw` is m doubles of work.
 */
export const dualSolveItem = (
  rc: string,
  dz: string,
  dlam: string,
  ds: string,
  gw: string,
): string =>
  splitRcItem(rc, dlam, ds) +
  cholSolveItem(dlam) +
  backItem(dlam, dz) +
  finishItem(dz, dlam, ds, gw);

/**
 * r ← x < r ? x : r (a NaN x leaves r), as f64x2.pmin computes it: one
 * minpd instead of a compare and branch, which mispredicts on ratios of
 * mixed signs (an nz 10 fwd+bwd took 0.975 of its time with this).
 */
const pminInto = (r: string, x: string): string =>
  `(local.set ${r} (f64x2.extract_lane 0 (f64x2.pmin (f64x2.splat ${get(r)}) (f64x2.splat ${get(x)}))))`;

/**
 * $alpha ← the longest step to the boundary of the current item along
 * (ds, dlam), as step-kernels.ts's boundaryStep: 1/max(−r, 1) with
 * r = min_i min(ds_i/s_i, dlam_i/lam_i), NaN if a ratio is NaN (locals
 * $r, $a, $b, $nan).
 */
export const boundaryStepItem = (ds: string, dlam: string): string => `
    (local.set $r (f64.const inf))
    (local.set $nan (i32.const 0))
    ${each(
      '$m',
      `
      (local.set $a (f64.div (f64.load ${at(ds)}) (f64.load ${at('$s')})))
      (local.set $b (f64.div (f64.load ${at(dlam)}) (f64.load ${at('$lam')})))
      (local.set $nan (i32.or ${get('$nan')} (i32.or (f64.ne ${get('$a')} ${get('$a')}) (f64.ne ${get('$b')} ${get('$b')}))))
      ${pminInto('$r', '$a')}
      ${pminInto('$r', '$b')}`,
    )}
    (local.set $alpha (f64.div (f64.const 1) (f64.max (f64.neg ${get('$r')}) (f64.const 1))))
    (if ${get('$nan')} (then (local.set $alpha (f64.const nan))))`;

/**
 * The f64 locals boundaryStepItem and centerItem use (a kernel that
 * splices them in declares these; a pair's second item, B copies).
 */
export const CENTER_SCALARS: readonly string[] = [
  '$r',
  '$a',
  '$b',
  '$alpha',
  '$sl',
  '$sla',
  '$si',
  '$li',
  '$mf',
  '$mu',
  '$sig',
];

/**
 * Mehrotra's corrector right-hand side for the current item into `rc`
 * from the affine direction (dsa, dlama): the same arithmetic, in the
 * same order, as qpCentering's kernel (step-kernels.ts), so the fused
 * step gives the same bits as the separate kernels.
 */
export const centerItem: string = `
    ${boundaryStepItem('$dsa', '$dlama')}
    (local.set $sl (f64.const 0))
    (local.set $sla (f64.const 0))
    ${each(
      '$m',
      `
      (local.set $si (f64.load ${at('$s')}))
      (local.set $li (f64.load ${at('$lam')}))
      (local.set $sl (f64.add ${get('$sl')} (f64.mul ${get('$si')} ${get('$li')})))
      (local.set $sla (f64.add ${get('$sla')} (f64.mul
        (f64.add ${get('$si')} (f64.mul (f64.load ${at('$dsa')}) ${get('$alpha')}))
        (f64.add ${get('$li')} (f64.mul (f64.load ${at('$dlama')}) ${get('$alpha')})))))`,
    )}
    (local.set $mf (f64.convert_i32_s ${get('$m')}))
    (local.set $mu (f64.div ${get('$sl')} ${get('$mf')}))
    (local.set $sig (f64.max (f64.min (f64.div (f64.div ${get('$sla')} ${get('$mf')}) ${get('$mu')}) (f64.const 1)) (f64.const 0)))
    (local.set $sig (f64.mul (f64.mul (f64.mul ${get('$sig')} ${get('$sig')}) ${get('$sig')}) ${get('$mu')}))
    ${lanes('$m', (o) =>
      o.store(
        '$rca',
        o.sub(
          o.add(
            o.mul(o.load('$s'), o.load('$lam')),
            o.mul(o.load('$dsa'), o.load('$dlama')),
          ),
          o.scalar('$sig'),
        ),
      ),
    )}`;

/**
 * k·x as a new Float64Array (a loop: Float64Array.from with a map function
 * took 6.5 µs for 128 entries, this 0.6 µs).
 * @example scaledCopy(unit.data, boosts[0]);
 */
export function scaledCopy(x: ArrayLike<number>, k: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] * k;
  return out;
}

/**
 * [identity, all-zero] batch maps of length nBatch (per-item and shared
 * operands).
 */
export function mapsOf(nBatch: number): [Int32Array, Int32Array] {
  return [batchMap([nBatch], [nBatch]), batchMap([], [nBatch])];
}

/** x = L⁻¹x in place, L lower n×n at `lo` (a dot per unknown). */
export function forwardSolve(
  l: Data,
  lo: number,
  n: number,
  x: Float64Array,
): void {
  for (let i = 0; i < n; i++) {
    const r = lo + i * n;
    let s = 0;
    for (let j = 0; j < i; j++) s += l[r + j] * x[j];
    x[i] = (x[i] - s) / l[r + i];
  }
}

/** x = L⁻ᵀx in place (once x[i] is known, row i of L updates x[0..i)). */
export function backSolveT(
  l: Data,
  lo: number,
  n: number,
  x: Float64Array,
): void {
  for (let i = n - 1; i >= 0; i--) {
    const r = lo + i * n;
    const xi = x[i] / l[r + i];
    x[i] = xi;
    for (let j = 0; j < i; j++) x[j] -= l[r + j] * xi;
  }
}

/** y = M·x for the r×c matrix M at `mo`. */
export function matVec(
  M: Data,
  mo: number,
  r: number,
  c: number,
  x: Float64Array,
  y: Float64Array,
): void {
  for (let i = 0; i < r; i++) {
    let s = 0;
    for (let j = 0; j < c; j++) s += M[mo + i * c + j] * x[j];
    y[i] = s;
  }
}

/**
 * An operand of a fused kernel with its size per item; null: absent (passed as
 * 0).
 */
export type Operand = readonly [CpuTensor | null, number];

/**
 * Runs the WebAssembly function `fn` over the batch in chunks, called as
 * fn(matrix address and stride pairs..., input vectors..., outputs...,
 * work, ...dims, items): matrices (shared or per item) from their mirrors
 * or copied items, input vectors [nBatch, len] copied in, outputs
 * [nBatch, len] copied out (a null output still gets its slot), and
 * `work` doubles of scratch. With `active` (one flag per item), fn runs
 * on each run of consecutive active items only and the other items'
 * outputs are 0, or what `fills[i]` writes into output i's zeroed slot
 * (an identity factor, say, so their solves stay finite). False if its
 * memory cannot be had (then the caller runs its JS loops).
 */
export function runFused(
  wk: WasmKernels,
  fn: string,
  nBatch: number,
  mats: readonly Operand[],
  vecs: readonly Operand[],
  outs: readonly Operand[],
  work: number,
  dims: readonly number[],
  active: ArrayLike<number> | null = null,
  fills: readonly (Fill | null)[] = [],
): boolean {
  const [per, shared] = mapsOf(nBatch);
  const lengths = (list: readonly Operand[]) =>
    list.reduce((sum, [, len]) => sum + len, 0);
  // work is counted per item (used once per chunk) so any chunk has room for it
  const perItem = lengths(vecs) + lengths(outs) + work;
  // Per-item matrices are copied for each item of a chunk, so they bound
  // its length; a shared one is copied once, whatever the chunk.
  const maxMat = Math.max(
    1,
    ...mats.map(([t, size]) => (t !== null && t.shape.length === 3 ? size : 1)),
  );
  return inChunks(
    wk,
    perItem * 8,
    0,
    nBatch,
    (s, e, chunk) => {
      const matArgs: number[] = [];
      for (const [t, size] of mats) {
        const [at, stride] =
          t === null
            ? [0, 0]
            : operand(
                wk,
                t.data as Data,
                t.shape.length === 3 ? per : shared,
                s,
                e,
                size,
              );
        if (at < 0) return false;
        matArgs.push(at, stride);
      }
      const c = e - s;
      const mem = wk.f64();
      let p = chunk >> 3;
      const take = (len: number): number => ((p += len), (p - len) * 8);
      const vecArgs = vecs.map(([t, len]) => {
        const a = take(c * len);
        if (t !== null)
          mem.set(
            (t.data as Data | Uint8Array).subarray(s * len, e * len),
            a >> 3,
          );
        return a;
      });
      const outArgs = outs.map(([, len]) => take(c * len));
      const workAt = take(work);
      if (active === null) {
        wk.fn[fn](...matArgs, ...vecArgs, ...outArgs, workAt, ...dims, c);
      } else {
        const lens = [...vecs, ...outs].map(([, len]) => len * 8);
        for (const [a, b] of activeRuns(active, s, e)) {
          const at = (x: number, i: number) => x + (a - s) * lens[i];
          const mArgs = matArgs.map((x, i) =>
            i % 2 === 0 ? x + (a - s) * matArgs[i + 1] : x,
          );
          const vo = [...vecArgs, ...outArgs].map(at);
          wk.fn[fn](...mArgs, ...vo, workAt, ...dims, b - a);
        }
        fillInactive(mem, outs, outArgs, active, s, e, fills);
      }
      outs.forEach(([t, len], i) => {
        if (t === null) return;
        const out = t.data as Data;
        out.set(
          mem.subarray(outArgs[i] >> 3, (outArgs[i] >> 3) + c * len),
          s * len,
        );
        // A float64 output made in one chunk stays there as its mirror: the
        // next kernel that reads it (a factor, then its solves) copies
        // nothing.
        if (out instanceof Float64Array && s === 0 && e === nBatch)
          wk.remember(out, outArgs[i]);
      });
    },
    maxMat * 8,
  );
}

/**
 * The maximal runs [a, b) of items in [s, e) whose flag is set (null: all
 * set, one run).
 * @example activeRuns(new Uint8Array([1, 1, 0, 1]), 0, 4); // [[0, 2], [3, 4]]
 */
export function activeRuns(
  active: ArrayLike<number> | null,
  s: number,
  e: number,
): [number, number][] {
  if (active === null) return [[s, e]];
  const runs: [number, number][] = [];
  for (let t = s; t < e; t++) {
    if (!active[t]) continue;
    const a = t;
    while (t < e && active[t]) t++;
    runs.push([a, t]);
  }
  return runs;
}

/**
 * The m × m identity written at offset `o` of `a`.
 * @example identityAt(L, t * m * m, m); // item t's factor ← I
 */
export function identityAt(a: Data, o: number, m: number): void {
  a.fill(0, o, o + m * m);
  for (let i = 0; i < m; i++) a[o + i * (m + 1)] = 1;
}

/**
 * What runFused writes into a left-out item's zeroed output slot.
 * @example const unitFill: Fill = (slot) => slot.fill(1);
 */
export type Fill = (slot: Float64Array) => void;

/**
 * Zeros in the output slots of the items whose flag is clear, then each
 * output's fill, if any.
 */
function fillInactive(
  mem: Float64Array,
  outs: readonly Operand[],
  outArgs: readonly number[],
  active: ArrayLike<number>,
  s: number,
  e: number,
  fills: readonly (Fill | null)[],
): void {
  for (let t = s; t < e; t++) {
    if (active[t]) continue;
    outs.forEach(([, len], i) => {
      const o = (outArgs[i] >> 3) + (t - s) * len;
      mem.fill(0, o, o + len);
      fills[i]?.(mem.subarray(o, o + len));
    });
  }
}

/**
 * A fused solve's inputs and its optional last input `active` (bool
 * [nBatch, 1]: the items to compute; the others' outputs are 0 where the
 * kernel honors it), split; the extra input's shape is checked.
 * @example const [core, active] = splitActive('qpPredictCorrect', ins, 10, nBatch);
 */
export function splitActive<T extends TensorMeta>(
  op: string,
  ins: readonly T[],
  count: number,
  nBatch: number,
): [T[], T | null] {
  if (ins.length !== count + 1) return [[...ins], null];
  const a = ins[count];
  if (a.dtype !== 'bool' || !shapesEqual(a.shape, [nBatch, 1])) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `${op}: active must be bool [nBatch, 1] = [${nBatch}, 1]; got ${a.dtype}[${a.shape.join(', ')}].`,
    );
  }
  return [ins.slice(0, count), a];
}
