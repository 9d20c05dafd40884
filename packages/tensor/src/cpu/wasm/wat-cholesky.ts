/**
 * WebAssembly SIMD kernels (text format, see assemble.ts) of cholesky:
 * one matrix at a time, lower triangle, row-major float64, in place; and
 * the batched entry point ops/cholesky.ts calls once per chunk.
 */
import type { WasmFunc } from './assemble.js';
import { f64, hsum, i32, v128 } from './wat-common.js';

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

/**
 * The column-pair update of rows i, i+1 (see chol): four dot products sharing
 * their loads.
 */
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
    ...i32(
      '$row',
      '$j',
      '$rj',
      '$rj1',
      '$i',
      '$ri',
      '$ri1',
      '$k',
      '$kend',
      '$jb',
    ),
    ...v128('$a0', '$a1', '$b0', '$b1', '$u', '$v', '$x', '$y', '$zero'),
    ...f64(
      '$d',
      '$l00',
      '$l10',
      '$l11',
      '$r00',
      '$r11',
      '$li',
      '$s0',
      '$s1',
      '$t0',
      '$t1',
    ),
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

export const choleskyWat: readonly WasmFunc[] = [cholBatch, chol, zeroUpper];
