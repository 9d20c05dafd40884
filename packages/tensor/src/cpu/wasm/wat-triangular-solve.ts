/**
 * WebAssembly SIMD kernels (text format, see assemble.ts) of
 * triangularSolve: one system op(L)·X = B at a time, in place in X,
 * row-major float64; and the batched entry point ops/triangular-solve.ts
 * calls once per chunk.
 */
import type { WasmFunc } from './assemble.js';
import {
  AXPY_LOCALS,
  axpyInline,
  DOT_LOCALS,
  dotInline,
  f64,
  i32,
  suffixed,
  v128,
  withSuffix,
  type Local,
} from './wat-common.js';

/**
 * Row i of trsvDot for the system at $l, $x: x[i] = (x[i] − L[i, solved]·
 * x[solved]) / L[i,i], the solved stretch [$from, $from + $len) (shared
 * by a pair of systems; the rest is per system, DOT_ITEM).
 */
const dotRow = `
    (local.set $ri (i32.add (local.get $l) (i32.shl (i32.mul (local.get $i) (local.get $n)) (i32.const 3))))
    (local.set $xi (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 3))))
    (local.set $pa (i32.add (local.get $ri) (i32.shl (local.get $from) (i32.const 3))))
    (local.set $pb (i32.add (local.get $x) (i32.shl (local.get $from) (i32.const 3))))
    ${dotInline('$pa', '$pb', '$len', '$d')}
    (local.set $v (f64.sub (f64.load (local.get $xi)) (local.get $d)))
    (if (i32.eqz (local.get $unit)) (then
      (local.set $v (f64.div (local.get $v) (f64.load (i32.add (local.get $ri) (i32.shl (local.get $i) (i32.const 3))))))))
    (f64.store (local.get $xi) (local.get $v))
    ;; forward, after an odd row: its pair stored again whole, so that the
    ;; later rows' two-lane loads of it forward from one store (a 16-byte
    ;; load across two 8-byte stores stalls); the same values
    (if (i32.and (local.get $forward) (i32.and (local.get $i) (i32.const 1))) (then
      (v128.store (i32.sub (local.get $xi) (i32.const 8))
        (f64x2.replace_lane 1 (f64x2.splat (local.get $vp)) (local.get $v)))))
    (local.set $vp (local.get $v))`;

/** dotRow's per-system locals (the rest, and $dzero, are shared). */
const DOT_ITEM: Local[] = [
  ...i32('$ri', '$xi', '$pa', '$pb'),
  ...f64('$v', '$d', '$vp'),
  ...DOT_LOCALS.filter(([n]) => n !== '$dzero'),
];
const DOT_NAMES = ['$l', '$x', ...DOT_ITEM.map(([n]) => n)];

/** trsvDot's loop over the rows in solve order, `row` the work of row $i. */
const dotRows = (row: string): string => `
  (block $done (loop $step
    (br_if $done (i32.ge_s (local.get $s) (local.get $n)))
    (if (local.get $forward)
      (then (local.set $i (local.get $s)) (local.set $from (i32.const 0)))
      (else
        (local.set $i (i32.sub (i32.sub (local.get $n) (i32.const 1)) (local.get $s)))
        (local.set $from (i32.add (local.get $i) (i32.const 1)))))
    (local.set $len (local.get $s))
    ${row}
    (local.set $s (i32.add (local.get $s) (i32.const 1)))
    (br $step)))`;

/**
 * trsvDot(l, x, n, forward, unit): op(L)·x = x in place for a row-oriented
 * solve (L lower without transpose: forward; upper without transpose:
 * backward): x[i] = (x[i] − L[i, solved]·x[solved]) / L[i,i], the solved
 * stretch of row i being contiguous.
 */
const trsvDot: WasmFunc = {
  name: 'trsvDot',
  params: i32('$l', '$x', '$n', '$forward', '$unit'),
  locals: [...i32('$s', '$i', '$from', '$len'), ...DOT_ITEM, ...v128('$dzero')],
  body: dotRows(dotRow),
};

/**
 * trsvDot2(la, xa, lb, xb, n, forward, unit): trsvDot on two independent
 * systems of one size, row by row in turn (each row's dot waits on the
 * row before it; two systems' rows overlap). Each system gets the
 * instructions, and so the bits, trsvDot gives it.
 */
const trsvDot2: WasmFunc = {
  name: 'trsvDot2',
  params: i32('$l', '$x', '$lB', '$xB', '$n', '$forward', '$unit'),
  locals: [
    ...i32('$s', '$i', '$from', '$len'),
    ...DOT_ITEM,
    ...suffixed(DOT_ITEM, 'B'),
    ...v128('$dzero'),
  ],
  body: dotRows(dotRow + withSuffix(dotRow, DOT_NAMES, 'B')),
};

const g = (x: string): string => `(local.get ${x})`;
/** f64 at byte address a + 8·i (i an i32 local). */
const at8 = (a: string, i: string): string =>
  `(f64.load (i32.add ${g(a)} (i32.shl ${g(i)} (i32.const 3))))`;
/** v = unit ? v : v / L[i, i] (row address r). */
const pivot = (v: string, r: string, i: string): string =>
  `(if (i32.eqz ${g('$unit')}) (then (local.set ${v} (f64.div ${g(v)} ${at8(r, i)}))))`;

/**
 * Four unknowns i0..i3 (i0 + d·k, d = ±1 the solve order) per pass of
 * trsvAxpy: each solved from the ones before it, then one sweep
 * x[j] −= L[i0,j]·y0 + … + L[i3,j]·y3 over the unsolved j, so each load and
 * store of x serves four multiply-adds (one unknown a pass was 3x slower
 * at n = 100). quadIndex finds the unknowns and the unsolved stretch
 * [$from, $from + $len) (shared by a pair of systems), quadItem does the
 * rest for the system at $l, $x.
 */
const quadIndex = `
    (local.set $i0 ${g('$s')})
    (if (i32.eqz ${g('$forward')}) (then (local.set $i0 (i32.sub (i32.sub ${g('$n')} (i32.const 1)) ${g('$s')}))))
    (local.set $i1 (i32.add ${g('$i0')} ${g('$d')}))
    (local.set $i2 (i32.add ${g('$i1')} ${g('$d')}))
    (local.set $i3 (i32.add ${g('$i2')} ${g('$d')}))
    ;; the unsolved stretch: (i0 + 4, n) forward, [0, i3) backward
    (if ${g('$forward')}
      (then (local.set $from (i32.add ${g('$s')} (i32.const 4))) (local.set $len (i32.sub ${g('$n')} ${g('$from')})))
      (else (local.set $from (i32.const 0)) (local.set $len ${g('$i3')})))`;

/** The f64x2 (lo, hi) of two f64 locals. */
const pair = (lo: string, hi: string): string =>
  `(f64x2.replace_lane 1 (f64x2.splat ${g(lo)}) ${g(hi)})`;

const quadItem = `
    (local.set $r0 (i32.add ${g('$l')} (i32.shl (i32.mul ${g('$i0')} ${g('$n')}) (i32.const 3))))
    (local.set $r1 (i32.add ${g('$l')} (i32.shl (i32.mul ${g('$i1')} ${g('$n')}) (i32.const 3))))
    (local.set $r2 (i32.add ${g('$l')} (i32.shl (i32.mul ${g('$i2')} ${g('$n')}) (i32.const 3))))
    (local.set $r3 (i32.add ${g('$l')} (i32.shl (i32.mul ${g('$i3')} ${g('$n')}) (i32.const 3))))
    (local.set $y0 ${at8('$x', '$i0')})
    ${pivot('$y0', '$r0', '$i0')}
    (local.set $y1 (f64.sub ${at8('$x', '$i1')} (f64.mul ${at8('$r0', '$i1')} ${g('$y0')})))
    ${pivot('$y1', '$r1', '$i1')}
    (local.set $y2 (f64.sub (f64.sub ${at8('$x', '$i2')} (f64.mul ${at8('$r0', '$i2')} ${g('$y0')}))
      (f64.mul ${at8('$r1', '$i2')} ${g('$y1')})))
    ${pivot('$y2', '$r2', '$i2')}
    (local.set $y3 (f64.sub (f64.sub (f64.sub ${at8('$x', '$i3')} (f64.mul ${at8('$r0', '$i3')} ${g('$y0')}))
      (f64.mul ${at8('$r1', '$i3')} ${g('$y1')})) (f64.mul ${at8('$r2', '$i3')} ${g('$y2')})))
    ${pivot('$y3', '$r3', '$i3')}
    (f64.store (i32.add ${g('$x')} (i32.shl ${g('$i0')} (i32.const 3))) ${g('$y0')})
    (f64.store (i32.add ${g('$x')} (i32.shl ${g('$i1')} (i32.const 3))) ${g('$y1')})
    (f64.store (i32.add ${g('$x')} (i32.shl ${g('$i2')} (i32.const 3))) ${g('$y2')})
    (f64.store (i32.add ${g('$x')} (i32.shl ${g('$i3')} (i32.const 3))) ${g('$y3')})
    ;; and again as two pairs at even indices, as later two-lane loads read
    ;; them (a 16-byte load across two 8-byte stores stalls); the same values
    (if ${g('$forward')}
      (then
        (v128.store (i32.add ${g('$x')} (i32.shl ${g('$i0')} (i32.const 3))) ${pair('$y0', '$y1')})
        (v128.store (i32.add ${g('$x')} (i32.shl ${g('$i2')} (i32.const 3))) ${pair('$y2', '$y3')}))
      (else (if (i32.eqz (i32.and ${g('$i3')} (i32.const 1))) (then
        (v128.store (i32.add ${g('$x')} (i32.shl ${g('$i3')} (i32.const 3))) ${pair('$y3', '$y2')})
        (v128.store (i32.add ${g('$x')} (i32.shl ${g('$i1')} (i32.const 3))) ${pair('$y1', '$y0')})))))
    (local.set $w0 (f64x2.splat ${g('$y0')})) (local.set $w1 (f64x2.splat ${g('$y1')}))
    (local.set $w2 (f64x2.splat ${g('$y2')})) (local.set $w3 (f64x2.splat ${g('$y3')}))
    (local.set $k (i32.shl ${g('$from')} (i32.const 3)))
    (local.set $kend (i32.shl (i32.add ${g('$from')} (i32.and ${g('$len')} (i32.const -2))) (i32.const 3)))
    (block $ud (loop $ul
      (br_if $ud (i32.ge_s ${g('$k')} ${g('$kend')}))
      (local.set $pa (i32.add ${g('$x')} ${g('$k')}))
      (v128.store ${g('$pa')} (f64x2.sub (v128.load ${g('$pa')}) (f64x2.add
        (f64x2.add (f64x2.mul (v128.load (i32.add ${g('$r0')} ${g('$k')})) ${g('$w0')})
                   (f64x2.mul (v128.load (i32.add ${g('$r1')} ${g('$k')})) ${g('$w1')}))
        (f64x2.add (f64x2.mul (v128.load (i32.add ${g('$r2')} ${g('$k')})) ${g('$w2')})
                   (f64x2.mul (v128.load (i32.add ${g('$r3')} ${g('$k')})) ${g('$w3')})))))
      (local.set $k (i32.add ${g('$k')} (i32.const 16)))
      (br $ul)))
    (if (i32.and ${g('$len')} (i32.const 1)) (then
      (local.set $pa (i32.add ${g('$x')} ${g('$kend')}))
      (f64.store ${g('$pa')} (f64.sub (f64.load ${g('$pa')}) (f64.add
        (f64.add (f64.mul (f64.load (i32.add ${g('$r0')} ${g('$kend')})) ${g('$y0')})
                 (f64.mul (f64.load (i32.add ${g('$r1')} ${g('$kend')})) ${g('$y1')}))
        (f64.add (f64.mul (f64.load (i32.add ${g('$r2')} ${g('$kend')})) ${g('$y2')})
                 (f64.mul (f64.load (i32.add ${g('$r3')} ${g('$kend')})) ${g('$y3')})))))))`;

/**
 * One unknown of trsvAxpy's last n mod 4 for the system at $l, $x: x[i]
 * divided by its pivot, then x[j] −= L[i,j]·x[i] over the unsolved
 * stretch [$from, $from + $len) (found by axpyStep, shared by a pair).
 */
const axpyOne = `
    (local.set $ri (i32.add (local.get $l) (i32.shl (i32.mul (local.get $i) (local.get $n)) (i32.const 3))))
    (local.set $xi (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 3))))
    (local.set $v (f64.load (local.get $xi)))
    (if (i32.eqz (local.get $unit)) (then
      (local.set $v (f64.div (local.get $v) (f64.load (i32.add (local.get $ri) (i32.shl (local.get $i) (i32.const 3))))))
      (f64.store (local.get $xi) (local.get $v))))
    (local.set $pa (i32.add (local.get $x) (i32.shl (local.get $from) (i32.const 3))))
    (local.set $pb (i32.add (local.get $ri) (i32.shl (local.get $from) (i32.const 3))))
    ${axpyInline('$pa', '$pb', '$v', '$len')}`;

/** The unknown $i of step $s after the quads, and its unsolved stretch. */
const axpyStep = `
    (if (local.get $forward)
      (then
        (local.set $i (local.get $s))
        (local.set $from (i32.add (local.get $s) (i32.const 1)))
        (local.set $len (i32.sub (i32.sub (local.get $n) (local.get $s)) (i32.const 1))))
      (else
        (local.set $i (i32.sub (i32.sub (local.get $n) (i32.const 1)) (local.get $s)))
        (local.set $from (i32.const 0))
        (local.set $len (local.get $i))))`;

/** The locals of one system in trsvAxpy (the rest are shared by a pair). */
const AXPY_ITEM: Local[] = [
  ...i32('$ri', '$xi', '$pa', '$pb', '$r0', '$r1', '$r2', '$r3', '$k', '$kend'),
  ...f64('$v', '$y0', '$y1', '$y2', '$y3'),
  ...v128('$w0', '$w1', '$w2', '$w3'),
  ...AXPY_LOCALS,
];
const AXPY_NAMES = ['$l', '$x', ...AXPY_ITEM.map(([n]) => n)];
const AXPY_SHARED: Local[] = i32(
  '$s',
  '$i',
  '$from',
  '$len',
  '$d',
  '$i0',
  '$i1',
  '$i2',
  '$i3',
);

/** trsvAxpy's passes: quads of unknowns, then one at a time. */
const axpyBody = (quad: string, one: string): string => `
  (local.set $d (i32.const -1))
  (if (local.get $forward) (then (local.set $d (i32.const 1))))
  (block $quads (loop $quad
    (br_if $quads (i32.ge_s (i32.add (local.get $s) (i32.const 3)) (local.get $n)))
    ${quadIndex}
    ${quad}
    (local.set $s (i32.add (local.get $s) (i32.const 4)))
    (br $quad)))
  (block $done (loop $step
    (br_if $done (i32.ge_s (local.get $s) (local.get $n)))
    ${axpyStep}
    ${one}
    (local.set $s (i32.add (local.get $s) (i32.const 1)))
    (br $step)))`;

/**
 * trsvAxpy(l, x, n, forward, unit): op(L)·x = x in place for a
 * column-oriented solve (Lᵀ with L lower: backward; with L upper:
 * forward): once x[i] is known, x[j] −= L[i,j]·x[i] over the unsolved j,
 * a contiguous stretch of row i. Four unknowns a pass (quadItem), the
 * last n mod 4 one at a time.
 */
const trsvAxpy: WasmFunc = {
  name: 'trsvAxpy',
  params: i32('$l', '$x', '$n', '$forward', '$unit'),
  locals: [...AXPY_SHARED, ...AXPY_ITEM],
  body: axpyBody(quadItem, axpyOne),
};

/**
 * trsvAxpy2(la, xa, lb, xb, n, forward, unit): trsvAxpy on two
 * independent systems of one size, pass by pass in turn (as trsvDot2):
 * each system gets the instructions, and so the bits, trsvAxpy gives it.
 */
const trsvAxpy2: WasmFunc = {
  name: 'trsvAxpy2',
  params: i32('$l', '$x', '$lB', '$xB', '$n', '$forward', '$unit'),
  locals: [...AXPY_SHARED, ...AXPY_ITEM, ...suffixed(AXPY_ITEM, 'B')],
  body: axpyBody(
    quadItem + withSuffix(quadItem, AXPY_NAMES, 'B'),
    axpyOne + withSuffix(axpyOne, AXPY_NAMES, 'B'),
  ),
};

/** The byte offsets of a chunk's `regs` f64x2 accumulators. */
const offsets = (regs: number): number[] =>
  Array.from({ length: regs }, (_, q) => q * 16);

/**
 * Row i of the solve at step $s: i itself, its solved rows [$jlo, $jhi),
 * the address $coef of its coefficient 0 (then j·$cstep on) and $xi of
 * its row of X.
 */
const rowSetup = `
      (local.set $i ${g('$s')})
      (local.set $jlo (i32.const 0))
      (local.set $jhi ${g('$i')})
      (if (i32.eqz ${g('$forward')}) (then
        (local.set $i (i32.sub (i32.sub ${g('$n')} (i32.const 1)) ${g('$s')}))
        (local.set $jlo (i32.add ${g('$i')} (i32.const 1)))
        (local.set $jhi ${g('$n')})))
      (local.set $coef (i32.add ${g('$l')} (i32.shl (i32.mul ${g('$i')} ${g('$n')}) (i32.const 3))))
      (if ${g('$trans')} (then (local.set $coef (i32.add ${g('$l')} (i32.shl ${g('$i')} (i32.const 3))))))
      (local.set $xi (i32.add ${g('$x')} (i32.mul ${g('$i')} ${g('$rowx')})))
      (local.set $pj (i32.add (i32.add ${g('$x')} (i32.mul ${g('$jlo')} ${g('$rowx')})) ${g('$c')}))
      (local.set $pl (i32.add ${g('$coef')} (i32.mul ${g('$jlo')} ${g('$cstep')})))
      (local.set $pi (i32.add ${g('$xi')} ${g('$c')}))
      (local.set $j ${g('$jlo')})`;

/** The pivot op(L)[i, i] (for `unit`, not read). */
const pivotAt = `(f64.load (i32.add ${g('$coef')} (i32.mul ${g('$i')} ${g('$cstep')})))`;

/**
 * The solve of X's column chunks of 2·regs doubles from byte $c while
 * they fit, one chunk at a time (its column block of X stays in cache):
 * row by row in solve order, the row's chunk is held in `regs` registers
 * while every solved row subtracts its coefficient times its own chunk,
 * then divided by the pivot and stored once.
 */
const chunkPass = (regs: number, name: string): string => {
  const acc = offsets(regs);
  const bytes = regs * 16;
  return `
  (block $${name}d (loop $${name}l
    (br_if $${name}d (i32.gt_s (i32.add ${g('$c')} (i32.const ${bytes})) ${g('$kb')}))
    (local.set $s (i32.const 0))
    (block $${name}sd (loop $${name}sl
      (br_if $${name}sd (i32.ge_s ${g('$s')} ${g('$n')}))
      ${rowSetup}
      ${acc.map((o, q) => `(local.set $a${q} (v128.load offset=${o} ${g('$pi')}))`).join(' ')}
      (block $${name}jd (loop $${name}jl
        (br_if $${name}jd (i32.ge_s ${g('$j')} ${g('$jhi')}))
        (local.set $w (f64x2.splat (f64.load ${g('$pl')})))
        ${acc.map((o, q) => `(local.set $a${q} (f64x2.sub ${g(`$a${q}`)} (f64x2.mul ${g('$w')} (v128.load offset=${o} ${g('$pj')}))))`).join('\n        ')}
        (local.set $pj (i32.add ${g('$pj')} ${g('$rowx')}))
        (local.set $pl (i32.add ${g('$pl')} ${g('$cstep')}))
        (local.set $j (i32.add ${g('$j')} (i32.const 1)))
        (br $${name}jl)))
      (if (i32.eqz ${g('$unit')}) (then
        (local.set $w (f64x2.splat ${pivotAt}))
        ${acc.map((_, q) => `(local.set $a${q} (f64x2.div ${g(`$a${q}`)} ${g('$w')}))`).join(' ')}))
      ${acc.map((o, q) => `(v128.store offset=${o} ${g('$pi')} ${g(`$a${q}`)})`).join(' ')}
      (local.set $s (i32.add ${g('$s')} (i32.const 1)))
      (br $${name}sl)))
    (local.set $c (i32.add ${g('$c')} (i32.const ${bytes})))
    (br $${name}l)))`;
};

/**
 * trsm(l, x, n, k, forward, unit, trans): op(L)·X = X in place for X
 * row-major [n, k], k ≥ 2, by rows of X (SIMD across the k columns): row
 * i takes X[i,:] −= op(L)[i,j]·X[j,:] for each solved j (op(L)[i,j] is
 * L[i,j], a row of L, or with transpose L[j,i], a column), then divides
 * by the pivot. Column chunks of 16, then 8, 4, 2 and 1 go one after
 * the other (chunkPass).
 */
const trsm: WasmFunc = {
  name: 'trsm',
  params: i32('$l', '$x', '$n', '$k', '$forward', '$unit', '$trans'),
  locals: [
    ...i32(
      '$s',
      '$i',
      '$j',
      '$jlo',
      '$jhi',
      '$xi',
      '$rowx',
      '$kb',
      '$c',
      '$pi',
      '$pj',
      '$pl',
      '$coef',
      '$cstep',
    ),
    ...f64('$v'),
    ...v128('$w', ...offsets(8).map((_, q) => `$a${q}`)),
  ],
  body: `
  (local.set $rowx (i32.shl ${g('$k')} (i32.const 3)))
  (local.set $kb ${g('$rowx')})
  ;; coefficient j of row i at $coef + j·$cstep: L[i, j] or L[j, i]
  (local.set $cstep (i32.const 8))
  (if ${g('$trans')} (then (local.set $cstep (i32.shl ${g('$n')} (i32.const 3)))))
  ${chunkPass(8, 'c16')}
  ${chunkPass(4, 'c8')}
  ${chunkPass(2, 'c4')}
  ${chunkPass(1, 'c2')}
  ;; an odd last column
  (if (i32.lt_s ${g('$c')} ${g('$kb')}) (then
    (local.set $s (i32.const 0))
    (block $c1sd (loop $c1sl
      (br_if $c1sd (i32.ge_s ${g('$s')} ${g('$n')}))
      ${rowSetup}
      (local.set $v (f64.load ${g('$pi')}))
      (block $c1jd (loop $c1jl
        (br_if $c1jd (i32.ge_s ${g('$j')} ${g('$jhi')}))
        (local.set $v (f64.sub ${g('$v')} (f64.mul (f64.load ${g('$pl')}) (f64.load ${g('$pj')}))))
        (local.set $pj (i32.add ${g('$pj')} ${g('$rowx')}))
        (local.set $pl (i32.add ${g('$pl')} ${g('$cstep')}))
        (local.set $j (i32.add ${g('$j')} (i32.const 1)))
        (br $c1jl)))
      (if (i32.eqz ${g('$unit')}) (then (local.set $v (f64.div ${g('$v')} ${pivotAt}))))
      (f64.store ${g('$pi')} ${g('$v')})
      (local.set $s (i32.add ${g('$s')} (i32.const 1)))
      (br $c1sl)))))`,
};

/**
 * trsBatch(l, lstride, x, n, k, count, forward, unit, trans): the solve
 * of one item (trsvDot, trsvAxpy or trsm, as ops/triangular-solve.ts
 * picks them) for `count` items: item t's L at l + t·lstride (0: one L
 * for all), its X ([n, k]) right after item t−1's.
 */
const trsBatch: WasmFunc = {
  name: 'trsBatch',
  params: i32(
    '$l',
    '$lstride',
    '$x',
    '$n',
    '$k',
    '$count',
    '$forward',
    '$unit',
    '$trans',
  ),
  locals: i32('$t', '$xsize'),
  body: `
  (local.set $xsize (i32.shl (i32.mul (local.get $n) (local.get $k)) (i32.const 3)))
  (block $done (loop $items
    (br_if $done (i32.ge_s (local.get $t) (local.get $count)))
    (if (i32.gt_s (local.get $k) (i32.const 1))
      (then (call $trsm (local.get $l) (local.get $x) (local.get $n) (local.get $k) (local.get $forward) (local.get $unit) (local.get $trans)))
      (else (if (local.get $trans)
        (then (call $trsvAxpy (local.get $l) (local.get $x) (local.get $n) (local.get $forward) (local.get $unit)))
        (else (call $trsvDot (local.get $l) (local.get $x) (local.get $n) (local.get $forward) (local.get $unit))))))
    (local.set $l (i32.add (local.get $l) (local.get $lstride)))
    (local.set $x (i32.add (local.get $x) (local.get $xsize)))
    (local.set $t (i32.add (local.get $t) (i32.const 1)))
    (br $items)))`,
};

export const triangularSolveWat: readonly WasmFunc[] = [
  trsBatch,
  trsvDot,
  trsvDot2,
  trsvAxpy,
  trsvAxpy2,
  trsm,
];
