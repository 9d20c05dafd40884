/**
 * WebAssembly SIMD kernels (text format, see assemble.ts) of
 * triangularSolve: one system op(L)·X = B at a time, in place in X,
 * row-major float64; and the batched entry point ops/triangular-solve.ts
 * calls once per chunk.
 */
import type { WasmFunc } from './assemble.js';
import { AXPY_LOCALS, axpyInline, DOT_LOCALS, dotInline, f64, i32 } from './wat-common.js';

/**
 * trsvDot(l, x, n, forward, unit): op(L)·x = x in place for a row-oriented
 * solve (L lower without transpose: forward; upper without transpose:
 * backward): x[i] = (x[i] − L[i, solved]·x[solved]) / L[i,i], the solved
 * stretch of row i being contiguous.
 */
const trsvDot: WasmFunc = {
  name: 'trsvDot',
  params: i32('$l', '$x', '$n', '$forward', '$unit'),
  locals: [...i32('$s', '$i', '$ri', '$from', '$len', '$xi', '$pa', '$pb'), ...f64('$v', '$d'), ...DOT_LOCALS],
  body: `
  (block $done (loop $step
    (br_if $done (i32.ge_s (local.get $s) (local.get $n)))
    (if (local.get $forward)
      (then (local.set $i (local.get $s)) (local.set $from (i32.const 0)))
      (else
        (local.set $i (i32.sub (i32.sub (local.get $n) (i32.const 1)) (local.get $s)))
        (local.set $from (i32.add (local.get $i) (i32.const 1)))))
    (local.set $len (local.get $s))
    (local.set $ri (i32.add (local.get $l) (i32.shl (i32.mul (local.get $i) (local.get $n)) (i32.const 3))))
    (local.set $xi (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 3))))
    (local.set $pa (i32.add (local.get $ri) (i32.shl (local.get $from) (i32.const 3))))
    (local.set $pb (i32.add (local.get $x) (i32.shl (local.get $from) (i32.const 3))))
    ${dotInline('$pa', '$pb', '$len', '$d')}
    (local.set $v (f64.sub (f64.load (local.get $xi)) (local.get $d)))
    (if (i32.eqz (local.get $unit)) (then
      (local.set $v (f64.div (local.get $v) (f64.load (i32.add (local.get $ri) (i32.shl (local.get $i) (i32.const 3))))))))
    (f64.store (local.get $xi) (local.get $v))
    (local.set $s (i32.add (local.get $s) (i32.const 1)))
    (br $step)))`,
};

/**
 * trsvAxpy(l, x, n, forward, unit): op(L)·x = x in place for a
 * column-oriented solve (Lᵀ with L lower: backward; with L upper:
 * forward): once x[i] is known, x[j] −= L[i,j]·x[i] over the unsolved j,
 * a contiguous stretch of row i.
 */
const trsvAxpy: WasmFunc = {
  name: 'trsvAxpy',
  params: i32('$l', '$x', '$n', '$forward', '$unit'),
  locals: [...i32('$s', '$i', '$ri', '$from', '$len', '$xi', '$pa', '$pb'), ...f64('$v'), ...AXPY_LOCALS],
  body: `
  (block $done (loop $step
    (br_if $done (i32.ge_s (local.get $s) (local.get $n)))
    (if (local.get $forward)
      (then
        (local.set $i (local.get $s))
        (local.set $from (i32.add (local.get $s) (i32.const 1)))
        (local.set $len (i32.sub (i32.sub (local.get $n) (local.get $s)) (i32.const 1))))
      (else
        (local.set $i (i32.sub (i32.sub (local.get $n) (i32.const 1)) (local.get $s)))
        (local.set $from (i32.const 0))
        (local.set $len (local.get $i))))
    (local.set $ri (i32.add (local.get $l) (i32.shl (i32.mul (local.get $i) (local.get $n)) (i32.const 3))))
    (local.set $xi (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 3))))
    (local.set $v (f64.load (local.get $xi)))
    (if (i32.eqz (local.get $unit)) (then
      (local.set $v (f64.div (local.get $v) (f64.load (i32.add (local.get $ri) (i32.shl (local.get $i) (i32.const 3))))))
      (f64.store (local.get $xi) (local.get $v))))
    (local.set $pa (i32.add (local.get $x) (i32.shl (local.get $from) (i32.const 3))))
    (local.set $pb (i32.add (local.get $ri) (i32.shl (local.get $from) (i32.const 3))))
    ${axpyInline('$pa', '$pb', '$v', '$len')}
    (local.set $s (i32.add (local.get $s) (i32.const 1)))
    (br $step)))`,
};

/**
 * trsm(l, x, n, k, forward, unit, trans): op(L)·X = X in place for X
 * row-major [n, k], k ≥ 2, by rows of X (SIMD across the k columns).
 * Without transpose, row i takes X[i,:] −= L[i,j]·X[j,:] for each solved
 * j, then divides; with transpose, row i divides first and then updates
 * every unsolved row j with L[i,j] (row i of L read contiguously).
 */
const trsm: WasmFunc = {
  name: 'trsm',
  params: i32('$l', '$x', '$n', '$k', '$forward', '$unit', '$trans'),
  locals: i32('$s', '$i', '$j', '$jlo', '$jhi', '$ri', '$xi', '$rowx'),
  body: `
  (local.set $rowx (i32.shl (local.get $k) (i32.const 3)))
  (block $done (loop $step
    (br_if $done (i32.ge_s (local.get $s) (local.get $n)))
    (local.set $i (local.get $s))
    (if (i32.eqz (local.get $forward)) (then (local.set $i (i32.sub (i32.sub (local.get $n) (i32.const 1)) (local.get $s)))))
    (local.set $ri (i32.add (local.get $l) (i32.shl (i32.mul (local.get $i) (local.get $n)) (i32.const 3))))
    (local.set $xi (i32.add (local.get $x) (i32.mul (local.get $i) (local.get $rowx))))
    ;; j range: solved rows without transpose, unsolved rows with it
    (if (i32.eq (local.get $forward) (local.get $trans))
      (then (local.set $jlo (i32.add (local.get $i) (i32.const 1))) (local.set $jhi (local.get $n)))
      (else (local.set $jlo (i32.const 0)) (local.set $jhi (local.get $i))))
    (if (i32.eqz (local.get $trans)) (then
      (local.set $j (local.get $jlo))
      (block $jd (loop $jl
        (br_if $jd (i32.ge_s (local.get $j) (local.get $jhi)))
        (call $axpy (local.get $xi) (i32.add (local.get $x) (i32.mul (local.get $j) (local.get $rowx)))
          (f64.load (i32.add (local.get $ri) (i32.shl (local.get $j) (i32.const 3)))) (local.get $k))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $jl)))))
    (if (i32.eqz (local.get $unit)) (then
      (call $divide (local.get $xi) (f64.load (i32.add (local.get $ri) (i32.shl (local.get $i) (i32.const 3)))) (local.get $k))))
    (if (local.get $trans) (then
      (local.set $j (local.get $jlo))
      (block $jd2 (loop $jl2
        (br_if $jd2 (i32.ge_s (local.get $j) (local.get $jhi)))
        (call $axpy (i32.add (local.get $x) (i32.mul (local.get $j) (local.get $rowx))) (local.get $xi)
          (f64.load (i32.add (local.get $ri) (i32.shl (local.get $j) (i32.const 3)))) (local.get $k))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $jl2)))))
    (local.set $s (i32.add (local.get $s) (i32.const 1)))
    (br $step)))`,
};

/**
 * trsBatch(l, lstride, x, n, k, count, forward, unit, trans): the solve
 * of one item (trsvDot, trsvAxpy or trsm, as ops/triangular-solve.ts
 * picks them) for `count` items: item t's L at l + t·lstride (0: one L
 * for all), its X ([n, k]) right after item t−1's.
 */
const trsBatch: WasmFunc = {
  name: 'trsBatch',
  params: i32('$l', '$lstride', '$x', '$n', '$k', '$count', '$forward', '$unit', '$trans'),
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

export const triangularSolveWat: readonly WasmFunc[] = [trsBatch, trsvDot, trsvAxpy, trsm];
