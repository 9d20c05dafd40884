/**
 * WebAssembly SIMD kernels (text format, see assemble.ts) for one matrix
 * or vector at a time: dot products, Cholesky, and triangular solves. All
 * addresses are byte addresses into the module's memory; matrices are
 * row-major float64. The JS side (ops/cholesky.ts, ops/triangular-solve.ts)
 * copies a call's items in, loops over them, and copies the results out.
 */
import type { WasmFunc } from './assemble.js';

export type Local = readonly [string, 'i32' | 'f64' | 'v128'];
export const i32 = (...names: string[]): Local[] => names.map((n) => [n, 'i32'] as const);
export const f64 = (...names: string[]): Local[] => names.map((n) => [n, 'f64'] as const);
export const v128 = (...names: string[]): Local[] => names.map((n) => [n, 'v128'] as const);

/** Sum of the two lanes of an f64x2 local. */
export const hsum = (v: string): string => `(f64.add (f64x2.extract_lane 0 (local.get ${v})) (f64x2.extract_lane 1 (local.get ${v})))`;

/**
 * Inline dot product (V8 does not inline calls between wasm functions,
 * and a call costs as much as a short dot): sets `out` to Σ a[k]·b[k],
 * k < len, for byte addresses in locals `a`, `b`. Uses the locals of
 * DOT_LOCALS.
 */
export const dotInline = (a: string, b: string, len: string, out: string): string => `
    (local.set $dk (i32.const 0))
    (local.set $de4 (i32.shl (i32.and (local.get ${len}) (i32.const -4)) (i32.const 3)))
    (local.set $de2 (i32.shl (i32.and (local.get ${len}) (i32.const -2)) (i32.const 3)))
    (local.set $dp (local.get $dzero)) (local.set $dq (local.get $dzero))
    (block $dd4 (loop $dl4
      (br_if $dd4 (i32.ge_s (local.get $dk) (local.get $de4)))
      (local.set $dp (f64x2.add (local.get $dp) (f64x2.mul
        (v128.load (i32.add (local.get ${a}) (local.get $dk))) (v128.load (i32.add (local.get ${b}) (local.get $dk))))))
      (local.set $dq (f64x2.add (local.get $dq) (f64x2.mul
        (v128.load offset=16 (i32.add (local.get ${a}) (local.get $dk))) (v128.load offset=16 (i32.add (local.get ${b}) (local.get $dk))))))
      (local.set $dk (i32.add (local.get $dk) (i32.const 32)))
      (br $dl4)))
    (if (i32.lt_s (local.get $dk) (local.get $de2)) (then
      (local.set $dp (f64x2.add (local.get $dp) (f64x2.mul
        (v128.load (i32.add (local.get ${a}) (local.get $dk))) (v128.load (i32.add (local.get ${b}) (local.get $dk))))))))
    (local.set $dp (f64x2.add (local.get $dp) (local.get $dq)))
    (local.set ${out} ${hsum('$dp')})
    (if (i32.and (local.get ${len}) (i32.const 1)) (then
      (local.set ${out} (f64.add (local.get ${out}) (f64.mul
        (f64.load (i32.add (local.get ${a}) (local.get $de2))) (f64.load (i32.add (local.get ${b}) (local.get $de2))))))))`;
export const DOT_LOCALS: Local[] = [...i32('$dk', '$de4', '$de2'), ...v128('$dp', '$dq', '$dzero')];

/**
 * Inline y[k] −= alpha·x[k], k < len, for byte addresses in locals `y`,
 * `x` and an f64 local `alpha`. Uses the locals of AXPY_LOCALS.
 */
const axpyInline = (y: string, x: string, alpha: string, len: string): string => `
    (local.set $yk (i32.const 0))
    (local.set $ye2 (i32.shl (i32.and (local.get ${len}) (i32.const -2)) (i32.const 3)))
    (local.set $yal (f64x2.splat (local.get ${alpha})))
    (block $yd (loop $yl
      (br_if $yd (i32.ge_s (local.get $yk) (local.get $ye2)))
      (local.set $yp (i32.add (local.get ${y}) (local.get $yk)))
      (v128.store (local.get $yp) (f64x2.sub (v128.load (local.get $yp))
        (f64x2.mul (local.get $yal) (v128.load (i32.add (local.get ${x}) (local.get $yk))))))
      (local.set $yk (i32.add (local.get $yk) (i32.const 16)))
      (br $yl)))
    (if (i32.and (local.get ${len}) (i32.const 1)) (then
      (local.set $yp (i32.add (local.get ${y}) (local.get $ye2)))
      (f64.store (local.get $yp) (f64.sub (f64.load (local.get $yp))
        (f64.mul (local.get ${alpha}) (f64.load (i32.add (local.get ${x}) (local.get $ye2))))))))`;
const AXPY_LOCALS: Local[] = [...i32('$yk', '$ye2', '$yp'), ...v128('$yal')];

/** dot(a, b, len) = Σ a[k]·b[k], k < len: two f64x2 accumulators, four elements a step. */
const dot: WasmFunc = {
  name: 'dot',
  params: i32('$a', '$b', '$len'),
  result: 'f64',
  locals: [...i32('$k', '$end4', '$end2'), ...v128('$p', '$q'), ...f64('$s')],
  body: `
  (local.set $end4 (i32.shl (i32.and (local.get $len) (i32.const -4)) (i32.const 3)))
  (local.set $end2 (i32.shl (i32.and (local.get $len) (i32.const -2)) (i32.const 3)))
  (block $done4 (loop $l4
    (br_if $done4 (i32.ge_s (local.get $k) (local.get $end4)))
    (local.set $p (f64x2.add (local.get $p) (f64x2.mul
      (v128.load (i32.add (local.get $a) (local.get $k))) (v128.load (i32.add (local.get $b) (local.get $k))))))
    (local.set $q (f64x2.add (local.get $q) (f64x2.mul
      (v128.load offset=16 (i32.add (local.get $a) (local.get $k))) (v128.load offset=16 (i32.add (local.get $b) (local.get $k))))))
    (local.set $k (i32.add (local.get $k) (i32.const 32)))
    (br $l4)))
  (if (i32.lt_s (local.get $k) (local.get $end2)) (then
    (local.set $p (f64x2.add (local.get $p) (f64x2.mul
      (v128.load (i32.add (local.get $a) (local.get $k))) (v128.load (i32.add (local.get $b) (local.get $k))))))))
  (local.set $p (f64x2.add (local.get $p) (local.get $q)))
  (local.set $s ${hsum('$p')})
  (if (i32.and (local.get $len) (i32.const 1)) (then
    (local.set $s (f64.add (local.get $s) (f64.mul
      (f64.load (i32.add (local.get $a) (local.get $end2))) (f64.load (i32.add (local.get $b) (local.get $end2))))))))
  (local.get $s)`,
};

/** y[k] −= alpha·x[k], k < len (y, x byte addresses). */
const axpy: WasmFunc = {
  name: 'axpy',
  params: [...i32('$y', '$x'), ...f64('$alpha'), ...i32('$len')],
  locals: [...i32('$k', '$end2', '$py'), ...v128('$al')],
  body: `
  (local.set $al (f64x2.splat (local.get $alpha)))
  (local.set $end2 (i32.shl (i32.and (local.get $len) (i32.const -2)) (i32.const 3)))
  (block $done (loop $l
    (br_if $done (i32.ge_s (local.get $k) (local.get $end2)))
    (local.set $py (i32.add (local.get $y) (local.get $k)))
    (v128.store (local.get $py) (f64x2.sub (v128.load (local.get $py))
      (f64x2.mul (local.get $al) (v128.load (i32.add (local.get $x) (local.get $k))))))
    (local.set $k (i32.add (local.get $k) (i32.const 16)))
    (br $l)))
  (if (i32.and (local.get $len) (i32.const 1)) (then
    (local.set $py (i32.add (local.get $y) (local.get $end2)))
    (f64.store (local.get $py) (f64.sub (f64.load (local.get $py))
      (f64.mul (local.get $alpha) (f64.load (i32.add (local.get $x) (local.get $end2))))))))`,
};

/** y[k] /= d, k < len. */
const divide: WasmFunc = {
  name: 'divide',
  params: [...i32('$y'), ...f64('$d'), ...i32('$len')],
  locals: [...i32('$k', '$end2', '$py'), ...v128('$dv')],
  body: `
  (local.set $dv (f64x2.splat (local.get $d)))
  (local.set $end2 (i32.shl (i32.and (local.get $len) (i32.const -2)) (i32.const 3)))
  (block $done (loop $l
    (br_if $done (i32.ge_s (local.get $k) (local.get $end2)))
    (local.set $py (i32.add (local.get $y) (local.get $k)))
    (v128.store (local.get $py) (f64x2.div (v128.load (local.get $py)) (local.get $dv)))
    (local.set $k (i32.add (local.get $k) (i32.const 16)))
    (br $l)))
  (if (i32.and (local.get $len) (i32.const 1)) (then
    (local.set $py (i32.add (local.get $y) (local.get $end2)))
    (f64.store (local.get $py) (f64.div (f64.load (local.get $py)) (local.get $d)))))`,
};

/**
 * L[i,j], L[i,j+1] at address (q) from their dot products s0, s1 over
 * k < j, inline (V8 does not inline calls between wasm functions); $r00,
 * $r11 are 1/L[j,j], 1/L[j+1,j+1].
 */
const cholFinish = (q: string, s0: string, s1: string): string => `
      (local.set $li (f64.mul (f64.sub (f64.load ${q}) ${s0}) (local.get $r00)))
      (f64.store ${q} (local.get $li))
      (f64.store offset=8 ${q} (f64.mul (f64.sub (f64.sub (f64.load offset=8 ${q}) ${s1})
        (f64.mul (local.get $li) (local.get $l10))) (local.get $r11)))`;

/** The column-pair update of rows i, i+1 (see chol): four dot products sharing their loads. */
const cholRowPair = `
      (local.set $ri (i32.add (local.get $p) (i32.mul (local.get $i) (local.get $row))))
      (local.set $ri1 (i32.add (local.get $ri) (local.get $row)))
      (local.set $a0 (local.get $zero)) (local.set $a1 (local.get $zero))
      (local.set $b0 (local.get $zero)) (local.set $b1 (local.get $zero))
      (local.set $k (i32.const 0))
      (block $kd (loop $kl
        (br_if $kd (i32.ge_s (local.get $k) (local.get $kend)))
        (local.set $u (v128.load (i32.add (local.get $rj) (local.get $k))))
        (local.set $v (v128.load (i32.add (local.get $rj1) (local.get $k))))
        (local.set $x (v128.load (i32.add (local.get $ri) (local.get $k))))
        (local.set $y (v128.load (i32.add (local.get $ri1) (local.get $k))))
        (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $x) (local.get $u))))
        (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $x) (local.get $v))))
        (local.set $b0 (f64x2.add (local.get $b0) (f64x2.mul (local.get $y) (local.get $u))))
        (local.set $b1 (f64x2.add (local.get $b1) (f64x2.mul (local.get $y) (local.get $v))))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $kl)))
      (local.set $s0 ${hsum('$a0')}) (local.set $s1 ${hsum('$a1')})
      (local.set $t0 ${hsum('$b0')}) (local.set $t1 ${hsum('$b1')})
      (if (i32.and (local.get $j) (i32.const 1)) (then
        (local.set $s0 (f64.add (local.get $s0) (f64.mul (f64.load (i32.add (local.get $ri) (local.get $kend))) (f64.load (i32.add (local.get $rj) (local.get $kend))))))
        (local.set $s1 (f64.add (local.get $s1) (f64.mul (f64.load (i32.add (local.get $ri) (local.get $kend))) (f64.load (i32.add (local.get $rj1) (local.get $kend))))))
        (local.set $t0 (f64.add (local.get $t0) (f64.mul (f64.load (i32.add (local.get $ri1) (local.get $kend))) (f64.load (i32.add (local.get $rj) (local.get $kend))))))
        (local.set $t1 (f64.add (local.get $t1) (f64.mul (f64.load (i32.add (local.get $ri1) (local.get $kend))) (f64.load (i32.add (local.get $rj1) (local.get $kend))))))))
      ${cholFinish('(i32.add (local.get $ri) (local.get $jb))', '(local.get $s0)', '(local.get $s1)')}
      ${cholFinish('(i32.add (local.get $ri1) (local.get $jb))', '(local.get $t0)', '(local.get $t1)')}`;

/**
 * chol(p, n): left-looking (Crout) Cholesky in place of the n×n matrix at
 * p, lower triangle only (the upper one is neither read nor written), as
 * in ops/cholesky.ts: columns two at a time, rows two at a time below the
 * 2×2 diagonal block. Returns −1, or the first pivot j that is not in
 * (0, ∞) (NaN included), with its value stored at address 0.
 */
const chol: WasmFunc = {
  name: 'chol',
  params: i32('$p', '$n'),
  result: 'i32',
  locals: [
    ...i32('$row', '$j', '$rj', '$rj1', '$i', '$ri', '$ri1', '$k', '$kend', '$jb'),
    ...v128('$a0', '$a1', '$b0', '$b1', '$u', '$v', '$x', '$y', '$zero'),
    ...f64('$d', '$l00', '$l10', '$l11', '$r00', '$r11', '$li', '$s0', '$s1', '$t0', '$t1'),
  ],
  body: `
  (local.set $row (i32.shl (local.get $n) (i32.const 3)))
  (block $cols (loop $col
    (br_if $cols (i32.ge_s (local.get $j) (local.get $n)))
    (local.set $rj (i32.add (local.get $p) (i32.mul (local.get $j) (local.get $row))))
    (local.set $jb (i32.shl (local.get $j) (i32.const 3)))
    (local.set $d (f64.sub (f64.load (i32.add (local.get $rj) (local.get $jb)))
      (call $dot (local.get $rj) (local.get $rj) (local.get $j))))
    (if (i32.eqz (i32.and (f64.gt (local.get $d) (f64.const 0)) (f64.lt (local.get $d) (f64.const inf)))) (then
      (f64.store (i32.const 0) (local.get $d))
      (return (local.get $j))))
    (local.set $l00 (f64.sqrt (local.get $d)))
    (local.set $r00 (f64.div (f64.const 1) (local.get $l00)))
    (f64.store (i32.add (local.get $rj) (local.get $jb)) (local.get $l00))
    (if (i32.eq (i32.add (local.get $j) (i32.const 1)) (local.get $n)) (then (return (i32.const -1))))
    (local.set $rj1 (i32.add (local.get $rj) (local.get $row)))
    (local.set $l10 (f64.div (f64.sub (f64.load (i32.add (local.get $rj1) (local.get $jb)))
      (call $dot (local.get $rj1) (local.get $rj) (local.get $j))) (local.get $l00)))
    (f64.store (i32.add (local.get $rj1) (local.get $jb)) (local.get $l10))
    (local.set $d (f64.sub (f64.sub (f64.load offset=8 (i32.add (local.get $rj1) (local.get $jb)))
      (call $dot (local.get $rj1) (local.get $rj1) (local.get $j))) (f64.mul (local.get $l10) (local.get $l10))))
    (if (i32.eqz (i32.and (f64.gt (local.get $d) (f64.const 0)) (f64.lt (local.get $d) (f64.const inf)))) (then
      (f64.store (i32.const 0) (local.get $d))
      (return (i32.add (local.get $j) (i32.const 1)))))
    (local.set $l11 (f64.sqrt (local.get $d)))
    (local.set $r11 (f64.div (f64.const 1) (local.get $l11)))
    (f64.store offset=8 (i32.add (local.get $rj1) (local.get $jb)) (local.get $l11))
    (local.set $kend (i32.shl (i32.and (local.get $j) (i32.const -2)) (i32.const 3)))
    (local.set $i (i32.add (local.get $j) (i32.const 2)))
    (block $rows (loop $rowl
      (br_if $rows (i32.ge_s (i32.add (local.get $i) (i32.const 1)) (local.get $n)))
      ${cholRowPair}
      (local.set $i (i32.add (local.get $i) (i32.const 2)))
      (br $rowl)))
    (if (i32.lt_s (local.get $i) (local.get $n)) (then
      (local.set $ri (i32.add (local.get $p) (i32.mul (local.get $i) (local.get $row))))
      ${cholFinish('(i32.add (local.get $ri) (local.get $jb))', '(call $dot (local.get $ri) (local.get $rj) (local.get $j))', '(call $dot (local.get $ri) (local.get $rj1) (local.get $j))')}))
    (local.set $j (i32.add (local.get $j) (i32.const 2)))
    (br $col)))
  (i32.const -1)`,
};

/** zeroUpper(p, n): zeros the strict upper triangle of the n×n matrix at p. */
const zeroUpper: WasmFunc = {
  name: 'zeroUpper',
  params: i32('$p', '$n'),
  locals: i32('$i', '$q', '$end'),
  body: `
  (block $done (loop $rows
    (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
    (local.set $q (i32.add (local.get $p) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (i32.add (local.get $i) (i32.const 1))) (i32.const 3))))
    (local.set $end (i32.add (local.get $p) (i32.shl (i32.mul (i32.add (local.get $i) (i32.const 1)) (local.get $n)) (i32.const 3))))
    (block $rd (loop $cols
      (br_if $rd (i32.ge_s (local.get $q) (local.get $end)))
      (f64.store (local.get $q) (f64.const 0))
      (local.set $q (i32.add (local.get $q) (i32.const 8)))
      (br $cols)))
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (br $rows)))`,
};

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

/** finite(p, len): 1 if the len float64s at p are all finite, else 0 (x·0 is 0 exactly for finite x). */
const finite: WasmFunc = {
  name: 'finite',
  params: i32('$p', '$len'),
  result: 'i32',
  locals: [...i32('$k', '$end4', '$end'), ...v128('$z', '$y', '$w'), ...f64('$s')],
  body: `
  (local.set $end4 (i32.shl (i32.and (local.get $len) (i32.const -4)) (i32.const 3)))
  (local.set $end (i32.shl (local.get $len) (i32.const 3)))
  (block $done (loop $l
    (br_if $done (i32.ge_s (local.get $k) (local.get $end4)))
    (local.set $z (f64x2.add (local.get $z) (f64x2.mul (v128.load (i32.add (local.get $p) (local.get $k))) (local.get $w))))
    (local.set $y (f64x2.add (local.get $y) (f64x2.mul (v128.load offset=16 (i32.add (local.get $p) (local.get $k))) (local.get $w))))
    (local.set $k (i32.add (local.get $k) (i32.const 32)))
    (br $l)))
  (local.set $z (f64x2.add (local.get $z) (local.get $y)))
  (local.set $s ${hsum('$z')})
  (block $tail (loop $t
    (br_if $tail (i32.ge_s (local.get $k) (local.get $end)))
    (local.set $s (f64.add (local.get $s) (f64.mul (f64.load (i32.add (local.get $p) (local.get $k))) (f64.const 0))))
    (local.set $k (i32.add (local.get $k) (i32.const 8)))
    (br $t)))
  (f64.eq (local.get $s) (f64.const 0))`,
};

/**
 * cholBatch(p, n, count): chol on `count` n×n matrices stored one after
 * another from p, each with its upper triangle zeroed. Returns −1, or the
 * first failing item, with its pivot's value at address 0 and its index
 * (an i32) at address 8.
 */
const cholBatch: WasmFunc = {
  name: 'cholBatch',
  params: i32('$p', '$n', '$count'),
  result: 'i32',
  locals: i32('$t', '$j', '$size'),
  body: `
  (local.set $size (i32.shl (i32.mul (local.get $n) (local.get $n)) (i32.const 3)))
  (block $done (loop $items
    (br_if $done (i32.ge_s (local.get $t) (local.get $count)))
    (local.set $j (call $chol (local.get $p) (local.get $n)))
    (if (i32.ge_s (local.get $j) (i32.const 0)) (then
      (i32.store (i32.const 8) (local.get $j))
      (return (local.get $t))))
    (call $zeroUpper (local.get $p) (local.get $n))
    (local.set $p (i32.add (local.get $p) (local.get $size)))
    (local.set $t (i32.add (local.get $t) (i32.const 1)))
    (br $items)))
  (i32.const -1)`,
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

export const linalgWat: readonly WasmFunc[] = [cholBatch, trsBatch, finite, dot, axpy, divide, chol, zeroUpper, trsvDot, trsvAxpy, trsm];
