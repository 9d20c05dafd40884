/**
 * WebAssembly SIMD kernels (text format, see assemble.ts) of cholesky:
 * one matrix at a time, lower triangle, row-major float64, in place
 * (chol) or from a source with a shifted diagonal (cholShifted); and
 * their batched entry points: cholBatch, which ops/cholesky.ts calls once
 * per chunk, and cholShiftedBatch, which other packages' kernels call
 * (@optnet/optnet's qpShiftedCholesky).
 */
import type { WasmFunc } from './assemble.js';
import { f64, hsum, i32, suffixed, v128, withSuffix } from './wat-common.js';

/**
 * How a kernel reads an entry of the matrix being factored, at the byte
 * address (an expression) of its place in the factor plus a constant
 * offset: in place, or from a source at $off bytes from it.
 */
type Source = (at: string, offset: number) => string;
const inPlace: Source = (at, offset) => `(f64.load offset=${offset} ${at})`;
const fromSource: Source = (at, offset) =>
  `(f64.load offset=${offset} (i32.add ${at} (local.get $off)))`;

/**
 * L[i,j], L[i,j+1] at address (q) from their dot products s0, s1 over
 * k < j, inline (V8 does not inline calls between wasm functions); $r00,
 * $r11 are 1/L[j,j], 1/L[j+1,j+1].
 */
const cholFinish = (q: string, s0: string, s1: string, src: Source): string => `
      (local.set $li (f64.mul (f64.sub ${src(q, 0)} ${s0}) (local.get $r00)))
      (f64.store ${q} (local.get $li))
      (f64.store offset=8 ${q} (f64.mul (f64.sub (f64.sub ${src(q, 8)} ${s1})
        (f64.mul (local.get $li) (local.get $l10))) (local.get $r11)))`;

/**
 * The column-pair update of `rows` rows from i (2 or 4): their dot products
 * with rows j and j+1 over k < j, sharing the loads of rows j, j+1, each
 * accumulated as two lanes (even and odd k) and summed, then the odd k,
 * then finished (cholFinish). Every entry's arithmetic is the same
 * whatever the number of rows in a block.
 */
const cholRows = (rows: number, src: Source): string => {
  const r = Array.from({ length: rows }, (_, k) => k);
  const lines = (f: (k: number) => string) => r.map(f).join('\n      ');
  const tail = (k: number, s: string, row: string) =>
    `(local.set ${s} (f64.add (local.get ${s}) (f64.mul (f64.load (i32.add (local.get $ri${k}) (local.get $kend))) (f64.load (i32.add (local.get ${row}) (local.get $kend))))))`;
  return `
      (local.set $ri0 (i32.add (local.get $p) (i32.mul (local.get $i) (local.get $row))))
      ${r
        .slice(1)
        .map(
          (k) =>
            `(local.set $ri${k} (i32.add (local.get $ri${k - 1}) (local.get $row)))`,
        )
        .join(' ')}
      ${lines((k) => `(local.set $a${k}u (local.get $zero)) (local.set $a${k}v (local.get $zero))`)}
      (local.set $k (i32.const 0))
      (block $kd${rows} (loop $kl${rows}
        (br_if $kd${rows} (i32.ge_s (local.get $k) (local.get $kend)))
        (local.set $u (v128.load (i32.add (local.get $rj) (local.get $k))))
        (local.set $v (v128.load (i32.add (local.get $rj1) (local.get $k))))
        ${lines((k) => `(local.set $x${k} (v128.load (i32.add (local.get $ri${k}) (local.get $k))))`)}
        ${lines(
          (
            k,
          ) => `(local.set $a${k}u (f64x2.add (local.get $a${k}u) (f64x2.mul (local.get $x${k}) (local.get $u))))
        (local.set $a${k}v (f64x2.add (local.get $a${k}v) (f64x2.mul (local.get $x${k}) (local.get $v))))`,
        )}
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $kl${rows})))
      ${lines((k) => `(local.set $s${k}u ${hsum(`$a${k}u`)}) (local.set $s${k}v ${hsum(`$a${k}v`)})`)}
      (if (i32.and (local.get $j) (i32.const 1)) (then
        ${lines((k) => `${tail(k, `$s${k}u`, '$rj')}\n        ${tail(k, `$s${k}v`, '$rj1')}`)}))
      ${lines((k) => cholFinish(`(i32.add (local.get $ri${k}) (local.get $jb))`, `(local.get $s${k}u)`, `(local.get $s${k}v)`, src))}`;
};

/**
 * The steps of one column pair j, j + 1 of chol and cholShifted (`src`
 * reads an entry of the matrix below the diagonal, `diag` a diagonal
 * entry, each at its place in the factor), split where a pair of
 * factorizations (cholShifted2) takes turns: `fail(k)` is what a pivot k
 * (an i32 expression) that is not in (0, ∞) returns, after its value is
 * stored at address 0.
 */
const colHead = (diag: Source, fail: (k: string) => string): string => `
    (local.set $rj (i32.add (local.get $p) (i32.mul (local.get $j) (local.get $row))))
    (local.set $d (f64.sub ${diag('(i32.add (local.get $rj) (local.get $jb))', 0)}
      (call $dot (local.get $rj) (local.get $rj) (local.get $j))))
    (if (i32.eqz (i32.and (f64.gt (local.get $d) (f64.const 0)) (f64.lt (local.get $d) (f64.const inf)))) (then
      (f64.store (i32.const 0) (local.get $d))
      ${fail('(local.get $j)')}))
    (local.set $l00 (f64.sqrt (local.get $d)))
    (local.set $r00 (f64.div (f64.const 1) (local.get $l00)))
    (f64.store (i32.add (local.get $rj) (local.get $jb)) (local.get $l00))`;

/** The second column of the pair (after colHead; j + 1 < n). */
const colHead2 = (
  src: Source,
  diag: Source,
  fail: (k: string) => string,
): string => `
    (local.set $rj1 (i32.add (local.get $rj) (local.get $row)))
    (local.set $l10 (f64.div (f64.sub ${src('(i32.add (local.get $rj1) (local.get $jb))', 0)}
      (call $dot (local.get $rj1) (local.get $rj) (local.get $j))) (local.get $l00)))
    (f64.store (i32.add (local.get $rj1) (local.get $jb)) (local.get $l10))
    (local.set $d (f64.sub (f64.sub ${diag('(i32.add (local.get $rj1) (local.get $jb))', 8)}
      (call $dot (local.get $rj1) (local.get $rj1) (local.get $j))) (f64.mul (local.get $l10) (local.get $l10))))
    (if (i32.eqz (i32.and (f64.gt (local.get $d) (f64.const 0)) (f64.lt (local.get $d) (f64.const inf)))) (then
      (f64.store (i32.const 0) (local.get $d))
      ${fail('(i32.add (local.get $j) (i32.const 1))')}))
    (local.set $l11 (f64.sqrt (local.get $d)))
    (local.set $r11 (f64.div (f64.const 1) (local.get $l11)))
    (f64.store offset=8 (i32.add (local.get $rj1) (local.get $jb)) (local.get $l11))`;

/** The last row below the pair when n − j − 2 is odd (row $i). */
const lastRow = (src: Source): string => `
      (local.set $ri0 (i32.add (local.get $p) (i32.mul (local.get $i) (local.get $row))))
      ${cholFinish('(i32.add (local.get $ri0) (local.get $jb))', '(call $dot (local.get $ri0) (local.get $rj) (local.get $j))', '(call $dot (local.get $ri0) (local.get $rj1) (local.get $j))', src)}`;

/**
 * The column loop of chol and cholShifted, each step's text per item from
 * `item` (the identity for one factorization; for a pair, the first
 * item's copy, then the second's).
 */
const cholColumns = (
  src: Source,
  diag: Source,
  fail: (k: string) => string,
  item: (text: string) => string,
): string => `
  (local.set $row (i32.shl (local.get $n) (i32.const 3)))
  (block $cols (loop $col
    (br_if $cols (i32.ge_s (local.get $j) (local.get $n)))
    (local.set $jb (i32.shl (local.get $j) (i32.const 3)))
    ${item(colHead(diag, fail))}
    (if (i32.eq (i32.add (local.get $j) (i32.const 1)) (local.get $n)) (then (return (i32.const -1))))
    ${item(colHead2(src, diag, fail))}
    (local.set $kend (i32.shl (i32.and (local.get $j) (i32.const -2)) (i32.const 3)))
    (local.set $i (i32.add (local.get $j) (i32.const 2)))
    (block $quads (loop $quadl
      (br_if $quads (i32.ge_s (i32.add (local.get $i) (i32.const 3)) (local.get $n)))
      ${item(cholRows(4, src))}
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $quadl)))
    (if (i32.lt_s (i32.add (local.get $i) (i32.const 1)) (local.get $n)) (then
      ${item(cholRows(2, src))}
      (local.set $i (i32.add (local.get $i) (i32.const 2)))))
    (if (i32.lt_s (local.get $i) (local.get $n)) (then
      ${item(lastRow(src))}))
    (local.set $j (i32.add (local.get $j) (i32.const 2)))
    (br $col)))
  (i32.const -1)`;

/**
 * The body of chol and cholShifted: `src` reads an entry of the matrix
 * below the diagonal, `diag` a diagonal entry (each at its place in the
 * factor); a pivot that is not in (0, ∞) returns its index.
 */
const cholBody = (src: Source, diag: Source): string =>
  cholColumns(
    src,
    diag,
    (k) => `(return ${k})`,
    (t) => t,
  );

/** The loop structure's locals (shared by the two items of a pair). */
const CHOL_SHARED = [
  ...i32('$row', '$j', '$i', '$kend', '$jb'),
  ...v128('$zero'),
];
/** One factorization's own locals (the second of a pair has B copies). */
const CHOL_ITEM = [
  ...i32('$rj', '$rj1', '$k'),
  ...i32('$ri0', '$ri1', '$ri2', '$ri3'),
  ...v128('$u', '$v', '$x0', '$x1', '$x2', '$x3'),
  ...v128('$a0u', '$a0v', '$a1u', '$a1v', '$a2u', '$a2v', '$a3u', '$a3v'),
  ...f64('$d', '$l00', '$l10', '$l11', '$r00', '$r11', '$li'),
  ...f64('$s0u', '$s0v', '$s1u', '$s1v', '$s2u', '$s2v', '$s3u', '$s3v'),
];
const CHOL_LOCALS = [...CHOL_SHARED, ...CHOL_ITEM];

/**
 * chol(p, n): left-looking (Crout) Cholesky in place of the n×n matrix at
 * p, lower triangle only (the upper one is neither read nor written), with
 * the arithmetic of ops/cholesky.ts: columns two at a time; below the 2×2
 * diagonal block, rows four at a time, then two, then one (each entry's
 * sum is the same whichever block it falls in). Returns −1, or the first
 * pivot j that is not in (0, ∞) (NaN included), with its value stored at
 * address 0.
 */
const chol: WasmFunc = {
  name: 'chol',
  params: i32('$p', '$n'),
  result: 'i32',
  locals: CHOL_LOCALS,
  body: cholBody(inPlace, inPlace),
};

/**
 * cholShifted(p, n, off, dv, shift): chol of S = A + diag(d) + shift·I
 * into the n×n factor at p, where A is read at p + off (its lower
 * triangle; A is left as it is) and d at dv: each diagonal entry is
 * (A_jj + d_j) + shift, as addDiagonal and then the shift would make it
 * in float64. The same arithmetic as chol on a copy of S; returns as chol
 * does.
 */
const shiftedDiag: Source = (at, offset) =>
  `(f64.add (f64.add ${fromSource(at, offset)} (f64.load offset=${offset} (i32.add (local.get $dv) (local.get $jb)))) (local.get $shift))`;

const cholShifted: WasmFunc = {
  name: 'cholShifted',
  params: [...i32('$p', '$n', '$off', '$dv'), ...f64('$shift')],
  result: 'i32',
  locals: CHOL_LOCALS,
  body: cholBody(fromSource, shiftedDiag),
};

/** cholShifted's per-factorization names (params and CHOL_ITEM). */
const SHIFTED_ITEM = [
  '$p',
  '$off',
  '$dv',
  '$shift',
  ...CHOL_ITEM.map(([n]) => n),
];

/**
 * cholShifted2(p, off, dv, shift, pB, offB, dvB, shiftB, n): cholShifted
 * on two items of one size, column pair by column pair in turn (the
 * pivots' square roots and divisions wait on each other within an item;
 * two items' overlap). Each item gets cholShifted's instructions, and so
 * its bits. Returns −1, or −2 where either item has a pivot not in
 * (0, ∞): then the caller factors the two one at a time, for the report.
 */
const cholShifted2: WasmFunc = {
  name: 'cholShifted2',
  params: [
    ...i32('$p', '$off', '$dv'),
    ...f64('$shift'),
    ...i32('$pB', '$offB', '$dvB'),
    ...f64('$shiftB'),
    ...i32('$n'),
  ],
  result: 'i32',
  locals: [...CHOL_LOCALS, ...suffixed(CHOL_ITEM, 'B')],
  body: cholColumns(
    fromSource,
    shiftedDiag,
    () => '(return (i32.const -2))',
    (t) => t + withSuffix(t, SHIFTED_ITEM, 'B'),
  ),
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
 * The item loop of cholBatch and cholShiftedBatch: `factor` (a call that
 * returns a pivot index or −1) per item, the first failure reported,
 * each factor's upper triangle zeroed, then `next` moves the operands on.
 */
const itemLoop = (factor: string, next: string): string => `
  (local.set $size (i32.shl (i32.mul (local.get $n) (local.get $n)) (i32.const 3)))
  (block $done (loop $items
    (br_if $done (i32.ge_s (local.get $t) (local.get $count)))
    (local.set $j ${factor})
    (if (i32.ge_s (local.get $j) (i32.const 0)) (then
      (i32.store (i32.const 8) (local.get $j))
      (return (local.get $t))))
    (call $zeroUpper (local.get $p) (local.get $n))
    (local.set $p (i32.add (local.get $p) (local.get $size)))
    ${next}
    (local.set $t (i32.add (local.get $t) (i32.const 1)))
    (br $items)))
  (i32.const -1)`;

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
  body: itemLoop('(call $chol (local.get $p) (local.get $n))', ''),
};

/**
 * cholShiftedBatch(p, src, srcStride, n, dv, shifts, count): cholShifted
 * for `count` items: item t's factor at p + t·n²·8 from A at src +
 * t·srcStride (0: one shared A), d at dv + t·n·8 and its shift the f64 at
 * shifts + 8t; each factor's upper triangle zeroed. Returns −1, or the
 * first failing item, as cholBatch.
 */
const cholShiftedBatch: WasmFunc = {
  name: 'cholShiftedBatch',
  params: i32('$p', '$src', '$srcStride', '$n', '$dv', '$shifts', '$count'),
  result: 'i32',
  locals: i32('$t', '$j', '$size', '$nb', '$pB', '$srcB', '$dvB'),
  body: `
  (local.set $size (i32.shl (i32.mul (local.get $n) (local.get $n)) (i32.const 3)))
  (local.set $nb (i32.shl (local.get $n) (i32.const 3)))
  ;; two items at a time (cholShifted2); where either fails, the two again
  ;; one at a time, so the first failure is the one reported (A is read at
  ;; src, never factored in place, so the second try reads it whole)
  (block $pairs (loop $pair
    (br_if $pairs (i32.ge_s (i32.add (local.get $t) (i32.const 1)) (local.get $count)))
    (local.set $pB (i32.add (local.get $p) (local.get $size)))
    (local.set $srcB (i32.add (local.get $src) (local.get $srcStride)))
    (local.set $dvB (i32.add (local.get $dv) (local.get $nb)))
    (local.set $j (call $cholShifted2
      (local.get $p) (i32.sub (local.get $src) (local.get $p)) (local.get $dv) (f64.load (local.get $shifts))
      (local.get $pB) (i32.sub (local.get $srcB) (local.get $pB)) (local.get $dvB) (f64.load offset=8 (local.get $shifts))
      (local.get $n)))
    (if (i32.eq (local.get $j) (i32.const -2)) (then
      (local.set $j (call $cholShifted (local.get $p) (local.get $n)
        (i32.sub (local.get $src) (local.get $p)) (local.get $dv) (f64.load (local.get $shifts))))
      (if (i32.ge_s (local.get $j) (i32.const 0)) (then
        (i32.store (i32.const 8) (local.get $j))
        (return (local.get $t))))
      (local.set $j (call $cholShifted (local.get $pB) (local.get $n)
        (i32.sub (local.get $srcB) (local.get $pB)) (local.get $dvB) (f64.load offset=8 (local.get $shifts))))
      (if (i32.ge_s (local.get $j) (i32.const 0)) (then
        (i32.store (i32.const 8) (local.get $j))
        (return (i32.add (local.get $t) (i32.const 1)))))))
    (call $zeroUpper (local.get $p) (local.get $n))
    (call $zeroUpper (local.get $pB) (local.get $n))
    (local.set $p (i32.add (local.get $pB) (local.get $size)))
    (local.set $src (i32.add (local.get $srcB) (local.get $srcStride)))
    (local.set $dv (i32.add (local.get $dvB) (local.get $nb)))
    (local.set $shifts (i32.add (local.get $shifts) (i32.const 16)))
    (local.set $t (i32.add (local.get $t) (i32.const 2)))
    (br $pair)))
  ${itemLoop(
    `(call $cholShifted (local.get $p) (local.get $n)
      (i32.sub (local.get $src) (local.get $p)) (local.get $dv) (f64.load (local.get $shifts)))`,
    `(local.set $src (i32.add (local.get $src) (local.get $srcStride)))
    (local.set $dv (i32.add (local.get $dv) (local.get $nb)))
    (local.set $shifts (i32.add (local.get $shifts) (i32.const 8)))`,
  )}`,
};

export const choleskyWat: readonly WasmFunc[] = [
  cholBatch,
  chol,
  zeroUpper,
  cholShifted,
  cholShifted2,
  cholShiftedBatch,
];
