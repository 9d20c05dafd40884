/**
 * WebAssembly SIMD matmul kernels (text format, see assemble.ts) for one
 * product at a time, float64, row-major, byte addresses; they overwrite C.
 * ops/matmul.ts loops over the batch items.
 */
import type { WasmFunc } from './assemble.js';
import { dotInline, DOT_LOCALS, f64, hsum, i32, v128 } from './wat-common.js';

const get = (x: string): string => `(local.get ${x})`;
const add = (a: string, b: string): string => `(i32.add ${a} ${b})`;

/*
 * The pieces gemvN and gemvNT share (locals $i, $row, $r0..$r3, $c0..$c3,
 * $s0..$s3, $p, $pend, $yi, $xl and DOT_LOCALS): rows i..i+3's addresses
 * and zeroed accumulators; their dots' sums, the odd column last, stored
 * to y; the last m mod 4 rows one dot each.
 */
const quadRows = `
    (local.set $r0 ${add(get('$a'), `(i32.mul ${get('$i')} ${get('$row')})`)})
    (local.set $r1 ${add(get('$r0'), get('$row'))})
    (local.set $r2 ${add(get('$r1'), get('$row'))})
    (local.set $r3 ${add(get('$r2'), get('$row'))})
    (local.set $c0 ${get('$dzero')}) (local.set $c1 ${get('$dzero')}) (local.set $c2 ${get('$dzero')}) (local.set $c3 ${get('$dzero')})`;
const quadSums = `
    (local.set $s0 ${hsum('$c0')}) (local.set $s1 ${hsum('$c1')}) (local.set $s2 ${hsum('$c2')}) (local.set $s3 ${hsum('$c3')})
    (if (i32.and ${get('$k')} (i32.const 1)) (then
      (local.set $xl (f64.load ${add(get('$x'), get('$pend'))}))
      (local.set $s0 (f64.add ${get('$s0')} (f64.mul (f64.load ${add(get('$r0'), get('$pend'))}) ${get('$xl')})))
      (local.set $s1 (f64.add ${get('$s1')} (f64.mul (f64.load ${add(get('$r1'), get('$pend'))}) ${get('$xl')})))
      (local.set $s2 (f64.add ${get('$s2')} (f64.mul (f64.load ${add(get('$r2'), get('$pend'))}) ${get('$xl')})))
      (local.set $s3 (f64.add ${get('$s3')} (f64.mul (f64.load ${add(get('$r3'), get('$pend'))}) ${get('$xl')})))))
    (local.set $yi ${add(get('$y'), `(i32.shl ${get('$i')} (i32.const 3))`)})
    (f64.store ${get('$yi')} ${get('$s0')})
    (f64.store offset=8 ${get('$yi')} ${get('$s1')})
    (f64.store offset=16 ${get('$yi')} ${get('$s2')})
    (f64.store offset=24 ${get('$yi')} ${get('$s3')})`;
const restRows = `
  (block $ones (loop $one
    (br_if $ones (i32.ge_s ${get('$i')} ${get('$m')}))
    (local.set $r0 ${add(get('$a'), `(i32.mul ${get('$i')} ${get('$row')})`)})
    ${dotInline('$r0', '$x', '$k', '$s0')}
    (f64.store ${add(get('$y'), `(i32.shl ${get('$i')} (i32.const 3))`)} ${get('$s0')})
    (local.set $i (i32.add ${get('$i')} (i32.const 1)))
    (br $one)))`;

/**
 * gemvN(a, x, y, m, k): y = A·x for A [m, k]: four rows a pass, each load
 * of x serving four dot products (four f64x2 accumulators); the rows left
 * over one at a time.
 */
const gemvN: WasmFunc = {
  name: 'gemvN',
  params: i32('$a', '$x', '$y', '$m', '$k'),
  locals: [
    ...i32('$i', '$row', '$r0', '$r1', '$r2', '$r3', '$p', '$pend', '$yi'),
    ...v128('$u', '$c0', '$c1', '$c2', '$c3'),
    ...f64('$s0', '$s1', '$s2', '$s3', '$xl'),
    ...DOT_LOCALS,
  ],
  body: `
  (local.set $row (i32.shl ${get('$k')} (i32.const 3)))
  (local.set $pend (i32.shl (i32.and ${get('$k')} (i32.const -2)) (i32.const 3)))
  (block $quads (loop $quad
    (br_if $quads (i32.ge_s (i32.add ${get('$i')} (i32.const 3)) ${get('$m')}))
    ${quadRows}
    (local.set $p (i32.const 0))
    (block $pd (loop $pl
      (br_if $pd (i32.ge_s ${get('$p')} ${get('$pend')}))
      (local.set $u (v128.load ${add(get('$x'), get('$p'))}))
      (local.set $c0 (f64x2.add ${get('$c0')} (f64x2.mul (v128.load ${add(get('$r0'), get('$p'))}) ${get('$u')})))
      (local.set $c1 (f64x2.add ${get('$c1')} (f64x2.mul (v128.load ${add(get('$r1'), get('$p'))}) ${get('$u')})))
      (local.set $c2 (f64x2.add ${get('$c2')} (f64x2.mul (v128.load ${add(get('$r2'), get('$p'))}) ${get('$u')})))
      (local.set $c3 (f64x2.add ${get('$c3')} (f64x2.mul (v128.load ${add(get('$r3'), get('$p'))}) ${get('$u')})))
      (local.set $p (i32.add ${get('$p')} (i32.const 16)))
      (br $pl)))
    ${quadSums}
    (local.set $i (i32.add ${get('$i')} (i32.const 4)))
    (br $quad)))
${restRows}`,
};

/**
 * Zeros len float64s at byte address (local) `at`, using $zk, $zend and a zero
 * v128 $zv.
 */
const zeroInline = (at: string, len: string): string => `
    (local.set $zk ${get(at)})
    (local.set $zend ${add(get(at), `(i32.shl ${get(len)} (i32.const 3))`)})
    (block $zd (loop $zl
      (br_if $zd (i32.ge_s (i32.add ${get('$zk')} (i32.const 8)) ${get('$zend')}))
      (v128.store ${get('$zk')} ${get('$zv')})
      (local.set $zk (i32.add ${get('$zk')} (i32.const 16)))
      (br $zl)))
    (if (i32.lt_s ${get('$zk')} ${get('$zend')}) (then (f64.store ${get('$zk')} (f64.const 0))))`;
const ZERO_LOCALS = [...i32('$zk', '$zend'), ...v128('$zv')];

/**
 * Pairwise sum tree of terms (1, 2 or 4: t0, t0 + t1, (t0 + t1) + (t2 + t3))
 * with the add instruction `op`.
 */
function sumTree(op: string, terms: readonly string[]): string {
  if (terms.length === 1) return terms[0];
  const half = terms.length / 2;
  return `(${op} ${sumTree(op, terms.slice(0, half))} ${sumTree(op, terms.slice(half))})`;
}

/**
 * C[i,:] += Σ a_r·B[p_r,:] for the rows of B at the byte-address locals
 * `rows` with the splatted factors `ws` (1, 2 or 4 of each), C's row at
 * $ci over n columns (locals $j, $jend2 set by the caller's row loop), the
 * odd column last: one load and store of C per len(rows) multiply-adds.
 */
function rowUpdate(ws: readonly string[], rows: readonly string[]): string {
  const vec = ws.map(
    (w, r) =>
      `(f64x2.mul ${get(w)} (v128.load ${add(get(rows[r]), get('$j'))}))`,
  );
  const one = ws.map(
    (w, r) =>
      `(f64.mul (f64x2.extract_lane 0 ${get(w)}) (f64.load ${add(get(rows[r]), get('$jend2'))}))`,
  );
  return `
      (local.set $j (i32.const 0))
      (block $jd (loop $jl
        (br_if $jd (i32.ge_s ${get('$j')} ${get('$jend2')}))
        (local.set $cp ${add(get('$ci'), get('$j'))})
        (v128.store ${get('$cp')} (f64x2.add (v128.load ${get('$cp')}) ${sumTree('f64x2.add', vec)}))
        (local.set $j (i32.add ${get('$j')} (i32.const 16)))
        (br $jl)))
      (if (i32.and ${get('$n')} (i32.const 1)) (then
        (local.set $cp ${add(get('$ci'), get('$jend2'))})
        (f64.store ${get('$cp')} (f64.add (f64.load ${get('$cp')}) ${sumTree('f64.add', one)}))))`;
}
const rowUpdate1 = rowUpdate(['$a0'], ['$bp']);
const rowUpdate2 = rowUpdate(['$a0', '$a1'], ['$bp', '$bq']);
const rowUpdate4 = rowUpdate(
  ['$a0', '$a1', '$a2', '$a3'],
  ['$bp', '$bq', '$br', '$bs'],
);

/**
 * gemm(a, b, c, m, k, n, transA): C = op(A)·B with B [k, n] row-major,
 * A [m, k] (or [k, m] stored when transA). Row i of C accumulates
 * A(i,p)·B[p,:] two p at a time, SIMD across the columns of B and C.
 */
const gemm: WasmFunc = {
  name: 'gemm',
  params: i32('$a', '$b', '$c', '$m', '$k', '$n', '$transA'),
  locals: [
    ...i32(
      '$i',
      '$p',
      '$j',
      '$jend2',
      '$ci',
      '$cp',
      '$bp',
      '$bq',
      '$si',
      '$sp',
      '$ai',
      '$rowb',
    ),
    ...v128('$a0', '$a1'),
    ...ZERO_LOCALS,
  ],
  body: `
  (local.set $rowb (i32.shl ${get('$n')} (i32.const 3)))
  (local.set $jend2 (i32.shl (i32.and ${get('$n')} (i32.const -2)) (i32.const 3)))
  ;; byte strides of i and p in the stored A
  (if ${get('$transA')}
    (then (local.set $si (i32.const 8)) (local.set $sp (i32.shl ${get('$m')} (i32.const 3))))
    (else (local.set $si (i32.shl ${get('$k')} (i32.const 3))) (local.set $sp (i32.const 8))))
  (block $rows (loop $rowl
    (br_if $rows (i32.ge_s ${get('$i')} ${get('$m')}))
    (local.set $ci ${add(get('$c'), `(i32.mul ${get('$i')} ${get('$rowb')})`)})
    ${zeroInline('$ci', '$n')}
    (local.set $ai ${add(get('$a'), `(i32.mul ${get('$i')} ${get('$si')})`)})
    (local.set $p (i32.const 0))
    (block $pd (loop $pl
      (br_if $pd (i32.ge_s (i32.add ${get('$p')} (i32.const 1)) ${get('$k')}))
      (local.set $a0 (f64x2.splat (f64.load ${add(get('$ai'), `(i32.mul ${get('$p')} ${get('$sp')})`)})))
      (local.set $a1 (f64x2.splat (f64.load ${add(get('$ai'), `(i32.mul (i32.add ${get('$p')} (i32.const 1)) ${get('$sp')})`)})))
      (local.set $bp ${add(get('$b'), `(i32.mul ${get('$p')} ${get('$rowb')})`)})
      (local.set $bq ${add(get('$bp'), get('$rowb'))})
      ${rowUpdate2}
      (local.set $p (i32.add ${get('$p')} (i32.const 2)))
      (br $pl)))
    (if (i32.lt_s ${get('$p')} ${get('$k')}) (then
      (local.set $a0 (f64x2.splat (f64.load ${add(get('$ai'), `(i32.mul ${get('$p')} ${get('$sp')})`)})))
      (local.set $bp ${add(get('$b'), `(i32.mul ${get('$p')} ${get('$rowb')})`)})
      ${rowUpdate1}))
    (local.set $i (i32.add ${get('$i')} (i32.const 1)))
    (br $rowl)))`,
};

/**
 * gemmDot(a, b, c, m, k, n): C = A·Bᵀ with A [m, k] and B [n, k]
 * row-major: every entry a dot product of two contiguous rows.
 */
const gemmDot: WasmFunc = {
  name: 'gemmDot',
  params: i32('$a', '$b', '$c', '$m', '$k', '$n'),
  locals: [
    ...i32('$i', '$j', '$ai', '$bj', '$row'),
    ...f64('$s'),
    ...DOT_LOCALS,
  ],
  body: `
  (local.set $row (i32.shl ${get('$k')} (i32.const 3)))
  (block $rows (loop $rowl
    (br_if $rows (i32.ge_s ${get('$i')} ${get('$m')}))
    (local.set $ai ${add(get('$a'), `(i32.mul ${get('$i')} ${get('$row')})`)})
    (local.set $j (i32.const 0))
    (block $cols (loop $coll
      (br_if $cols (i32.ge_s ${get('$j')} ${get('$n')}))
      (local.set $bj ${add(get('$b'), `(i32.mul ${get('$j')} ${get('$row')})`)})
      ${dotInline('$ai', '$bj', '$k', '$s')}
      (f64.store ${add(get('$c'), `(i32.shl (i32.add (i32.mul ${get('$i')} ${get('$n')}) ${get('$j')}) (i32.const 3))`)} ${get('$s')})
      (local.set $j (i32.add ${get('$j')} (i32.const 1)))
      (br $coll)))
    (local.set $i (i32.add ${get('$i')} (i32.const 1)))
    (br $rowl)))`,
};

/**
 * gemvT(a, x, y, m, k): y = Aᵀx for A stored [k, m]: y accumulates
 * x[p]·A[p,:] two rows p at a time, SIMD across y.
 */
const gemvT: WasmFunc = {
  name: 'gemvT',
  params: i32('$a', '$x', '$y', '$m', '$k'),
  locals: [
    ...i32('$p', '$j', '$jend2', '$ci', '$cp', '$bp', '$bq', '$rowb', '$n'),
    ...v128('$a0', '$a1'),
    ...ZERO_LOCALS,
  ],
  body: `
  (local.set $n ${get('$m')})
  (local.set $ci ${get('$y')})
  (local.set $rowb (i32.shl ${get('$m')} (i32.const 3)))
  (local.set $jend2 (i32.shl (i32.and ${get('$m')} (i32.const -2)) (i32.const 3)))
  ${zeroInline('$y', '$m')}
  (block $pd (loop $pl
    (br_if $pd (i32.ge_s (i32.add ${get('$p')} (i32.const 1)) ${get('$k')}))
    (local.set $a0 (f64x2.splat (f64.load ${add(get('$x'), `(i32.shl ${get('$p')} (i32.const 3))`)})))
    (local.set $a1 (f64x2.splat (f64.load offset=8 ${add(get('$x'), `(i32.shl ${get('$p')} (i32.const 3))`)})))
    (local.set $bp ${add(get('$a'), `(i32.mul ${get('$p')} ${get('$rowb')})`)})
    (local.set $bq ${add(get('$bp'), get('$rowb'))})
    ${rowUpdate2}
    (local.set $p (i32.add ${get('$p')} (i32.const 2)))
    (br $pl)))
  (if (i32.lt_s ${get('$p')} ${get('$k')}) (then
    (local.set $a0 (f64x2.splat (f64.load ${add(get('$x'), `(i32.shl ${get('$p')} (i32.const 3))`)})))
    (local.set $bp ${add(get('$a'), `(i32.mul ${get('$p')} ${get('$rowb')})`)})
    ${rowUpdate1}))`,
};

/**
 * gemvNT(a, x, y, w, u, m, k): y = A·x and u = Aᵀ·w for A [m, k] in one
 * pass over A (a QP's Gz and Gᵀlam): each block of four rows serves both
 * the four dot products and the update of u, so A is loaded once instead
 * of twice. The same bits as gemvN(a, x, y, m, k) then gemvT(a, w, u, k, m):
 * the dots accumulate as gemvN's, and u takes the rows in gemvT's pairs,
 * (u + (w₀A₀ + w₁A₁)) + (w₂A₂ + w₃A₃). u must not overlap A, x or w.
 */
const gemvNT: WasmFunc = {
  name: 'gemvNT',
  params: i32('$a', '$x', '$y', '$w', '$u', '$m', '$k'),
  locals: [
    ...i32('$i', '$row', '$r0', '$r1', '$r2', '$r3', '$p', '$pend', '$yi'),
    ...i32('$j', '$jend2', '$ci', '$cp', '$bp', '$bq', '$n'),
    ...v128('$z', '$v0', '$v1', '$v2', '$v3', '$c0', '$c1', '$c2', '$c3'),
    ...v128('$a0', '$a1', '$a2', '$a3'),
    ...f64('$s0', '$s1', '$s2', '$s3', '$xl'),
    ...DOT_LOCALS,
    ...ZERO_LOCALS,
  ],
  body: `
  (local.set $n ${get('$k')})
  (local.set $ci ${get('$u')})
  (local.set $row (i32.shl ${get('$k')} (i32.const 3)))
  (local.set $pend (i32.shl (i32.and ${get('$k')} (i32.const -2)) (i32.const 3)))
  (local.set $jend2 ${get('$pend')})
  ${zeroInline('$u', '$k')}
  (block $quads (loop $quad
    (br_if $quads (i32.ge_s (i32.add ${get('$i')} (i32.const 3)) ${get('$m')}))
    ${quadRows}
    (local.set $yi ${add(get('$w'), `(i32.shl ${get('$i')} (i32.const 3))`)})
    (local.set $a0 (f64x2.splat (f64.load ${get('$yi')})))
    (local.set $a1 (f64x2.splat (f64.load offset=8 ${get('$yi')})))
    (local.set $a2 (f64x2.splat (f64.load offset=16 ${get('$yi')})))
    (local.set $a3 (f64x2.splat (f64.load offset=24 ${get('$yi')})))
    (local.set $p (i32.const 0))
    (block $pd (loop $pl
      (br_if $pd (i32.ge_s ${get('$p')} ${get('$pend')}))
      (local.set $z (v128.load ${add(get('$x'), get('$p'))}))
      (local.set $v0 (v128.load ${add(get('$r0'), get('$p'))}))
      (local.set $v1 (v128.load ${add(get('$r1'), get('$p'))}))
      (local.set $v2 (v128.load ${add(get('$r2'), get('$p'))}))
      (local.set $v3 (v128.load ${add(get('$r3'), get('$p'))}))
      (local.set $c0 (f64x2.add ${get('$c0')} (f64x2.mul ${get('$v0')} ${get('$z')})))
      (local.set $c1 (f64x2.add ${get('$c1')} (f64x2.mul ${get('$v1')} ${get('$z')})))
      (local.set $c2 (f64x2.add ${get('$c2')} (f64x2.mul ${get('$v2')} ${get('$z')})))
      (local.set $c3 (f64x2.add ${get('$c3')} (f64x2.mul ${get('$v3')} ${get('$z')})))
      (local.set $cp ${add(get('$u'), get('$p'))})
      (v128.store ${get('$cp')} (f64x2.add
        (f64x2.add (v128.load ${get('$cp')})
          (f64x2.add (f64x2.mul ${get('$a0')} ${get('$v0')}) (f64x2.mul ${get('$a1')} ${get('$v1')})))
        (f64x2.add (f64x2.mul ${get('$a2')} ${get('$v2')}) (f64x2.mul ${get('$a3')} ${get('$v3')}))))
      (local.set $p (i32.add ${get('$p')} (i32.const 16)))
      (br $pl)))
    ${quadSums}
    (if (i32.and ${get('$k')} (i32.const 1)) (then
      (local.set $cp ${add(get('$u'), get('$pend'))})
      (f64.store ${get('$cp')} (f64.add
        (f64.add (f64.load ${get('$cp')})
          (f64.add
            (f64.mul (f64x2.extract_lane 0 ${get('$a0')}) (f64.load ${add(get('$r0'), get('$pend'))}))
            (f64.mul (f64x2.extract_lane 0 ${get('$a1')}) (f64.load ${add(get('$r1'), get('$pend'))}))))
        (f64.add
          (f64.mul (f64x2.extract_lane 0 ${get('$a2')}) (f64.load ${add(get('$r2'), get('$pend'))}))
          (f64.mul (f64x2.extract_lane 0 ${get('$a3')}) (f64.load ${add(get('$r3'), get('$pend'))})))))))
    (local.set $i (i32.add ${get('$i')} (i32.const 4)))
    (br $quad)))
  ;; the last m mod 4 rows: u as gemvT (a pair, then a single row), y as gemvN
  (local.set $p ${get('$i')})
  (if (i32.lt_s (i32.add ${get('$p')} (i32.const 1)) ${get('$m')}) (then
    (local.set $a0 (f64x2.splat (f64.load ${add(get('$w'), `(i32.shl ${get('$p')} (i32.const 3))`)})))
    (local.set $a1 (f64x2.splat (f64.load offset=8 ${add(get('$w'), `(i32.shl ${get('$p')} (i32.const 3))`)})))
    (local.set $bp ${add(get('$a'), `(i32.mul ${get('$p')} ${get('$row')})`)})
    (local.set $bq ${add(get('$bp'), get('$row'))})
    ${rowUpdate2}
    (local.set $p (i32.add ${get('$p')} (i32.const 2)))))
  (if (i32.lt_s ${get('$p')} ${get('$m')}) (then
    (local.set $a0 (f64x2.splat (f64.load ${add(get('$w'), `(i32.shl ${get('$p')} (i32.const 3))`)})))
    (local.set $bp ${add(get('$a'), `(i32.mul ${get('$p')} ${get('$row')})`)})
    ${rowUpdate1}))
${restRows}`,
};

/**
 * mmBatch(a, astride, b, bstride, c, m, k, n, count, transA, transB): the
 * product of one item (gemvN, gemvT, gemm or gemmDot, as ops/matmul.ts
 * picks them) for `count` items: item t's A at a + t·astride, B at
 * b + t·bstride (a stride 0: shared), C right after item t−1's.
 */
const mmBatch: WasmFunc = {
  name: 'mmBatch',
  params: i32(
    '$a',
    '$astride',
    '$b',
    '$bstride',
    '$c',
    '$m',
    '$k',
    '$n',
    '$count',
    '$transA',
    '$transB',
  ),
  locals: i32('$t', '$csize'),
  body: `
  (local.set $csize (i32.shl (i32.mul ${get('$m')} ${get('$n')}) (i32.const 3)))
  (block $done (loop $items
    (br_if $done (i32.ge_s ${get('$t')} ${get('$count')}))
    (if (i32.eq ${get('$n')} (i32.const 1))
      (then (if ${get('$transA')}
        (then (call $gemvT ${get('$a')} ${get('$b')} ${get('$c')} ${get('$m')} ${get('$k')}))
        (else (call $gemvN ${get('$a')} ${get('$b')} ${get('$c')} ${get('$m')} ${get('$k')}))))
      (else (if ${get('$transB')}
        (then (call $gemmDot ${get('$a')} ${get('$b')} ${get('$c')} ${get('$m')} ${get('$k')} ${get('$n')}))
        (else (call $gemm ${get('$a')} ${get('$b')} ${get('$c')} ${get('$m')} ${get('$k')} ${get('$n')} ${get('$transA')})))))
    (local.set $a ${add(get('$a'), get('$astride'))})
    (local.set $b ${add(get('$b'), get('$bstride'))})
    (local.set $c ${add(get('$c'), get('$csize'))})
    (local.set $t (i32.add ${get('$t')} (i32.const 1)))
    (br $items)))`,
};

/**
 * syrkBatch(a, astride, c, m, k, count): C = AᵀA for `count` stored
 * [k, m] matrices A (item t at a + t·astride), each C [m, m] right after
 * the previous: the upper triangle accumulates A[p,i]·A[p,i:m] four rows p
 * at a time (half the flops of gemm), then is mirrored, so C is exactly
 * symmetric.
 */
const syrkBatch: WasmFunc = {
  name: 'syrkBatch',
  params: i32('$a', '$astride', '$c', '$m', '$k', '$count'),
  locals: [
    ...i32(
      '$t',
      '$i',
      '$p',
      '$j',
      '$jend2',
      '$ci',
      '$cp',
      '$bp',
      '$bq',
      '$br',
      '$bs',
      '$rowb',
      '$n',
      '$len',
      '$row',
      '$ai',
      '$q',
    ),
    ...v128('$a0', '$a1', '$a2', '$a3'),
    ...ZERO_LOCALS,
  ],
  body: `
  (local.set $rowb (i32.shl ${get('$m')} (i32.const 3)))
  (block $done (loop $items
    (br_if $done (i32.ge_s ${get('$t')} ${get('$count')}))
    (local.set $len (i32.mul ${get('$m')} ${get('$m')}))
    ${zeroInline('$c', '$len')}
    (local.set $i (i32.const 0))
    (block $rows (loop $rowl
      (br_if $rows (i32.ge_s ${get('$i')} ${get('$m')}))
      ;; C[i, i:m] over n = m − i columns
      (local.set $n (i32.sub ${get('$m')} ${get('$i')}))
      (local.set $jend2 (i32.shl (i32.and ${get('$n')} (i32.const -2)) (i32.const 3)))
      (local.set $ci ${add(get('$c'), `(i32.shl (i32.add (i32.mul ${get('$i')} ${get('$m')}) ${get('$i')}) (i32.const 3))`)})
      (local.set $ai ${add(get('$a'), `(i32.shl ${get('$i')} (i32.const 3))`)})
      (local.set $p (i32.const 0))
      (block $pd4 (loop $pl4
        (br_if $pd4 (i32.ge_s (i32.add ${get('$p')} (i32.const 3)) ${get('$k')}))
        (local.set $bp ${add(get('$ai'), `(i32.mul ${get('$p')} ${get('$rowb')})`)})
        (local.set $bq ${add(get('$bp'), get('$rowb'))})
        (local.set $br ${add(get('$bq'), get('$rowb'))})
        (local.set $bs ${add(get('$br'), get('$rowb'))})
        (local.set $a0 (f64x2.splat (f64.load ${get('$bp')})))
        (local.set $a1 (f64x2.splat (f64.load ${get('$bq')})))
        (local.set $a2 (f64x2.splat (f64.load ${get('$br')})))
        (local.set $a3 (f64x2.splat (f64.load ${get('$bs')})))
        ${rowUpdate4}
        (local.set $p (i32.add ${get('$p')} (i32.const 4)))
        (br $pl4)))
      (block $pd (loop $pl
        (br_if $pd (i32.ge_s (i32.add ${get('$p')} (i32.const 1)) ${get('$k')}))
        (local.set $bp ${add(get('$ai'), `(i32.mul ${get('$p')} ${get('$rowb')})`)})
        (local.set $bq ${add(get('$bp'), get('$rowb'))})
        (local.set $a0 (f64x2.splat (f64.load ${get('$bp')})))
        (local.set $a1 (f64x2.splat (f64.load ${get('$bq')})))
        ${rowUpdate2}
        (local.set $p (i32.add ${get('$p')} (i32.const 2)))
        (br $pl)))
      (if (i32.lt_s ${get('$p')} ${get('$k')}) (then
        (local.set $bp ${add(get('$ai'), `(i32.mul ${get('$p')} ${get('$rowb')})`)})
        (local.set $a0 (f64x2.splat (f64.load ${get('$bp')})))
        ${rowUpdate1}))
      (local.set $i (i32.add ${get('$i')} (i32.const 1)))
      (br $rowl)))
    ;; mirror: C[i, j] = C[j, i] for j < i
    (local.set $i (i32.const 1))
    (block $md (loop $ml
      (br_if $md (i32.ge_s ${get('$i')} ${get('$m')}))
      (local.set $j (i32.const 0))
      (block $jd3 (loop $jl3
        (br_if $jd3 (i32.ge_s ${get('$j')} ${get('$i')}))
        (f64.store ${add(get('$c'), `(i32.shl (i32.add (i32.mul ${get('$i')} ${get('$m')}) ${get('$j')}) (i32.const 3))`)}
          (f64.load ${add(get('$c'), `(i32.shl (i32.add (i32.mul ${get('$j')} ${get('$m')}) ${get('$i')}) (i32.const 3))`)}))
        (local.set $j (i32.add ${get('$j')} (i32.const 1)))
        (br $jl3)))
      (local.set $i (i32.add ${get('$i')} (i32.const 1)))
      (br $ml)))
    (local.set $a ${add(get('$a'), get('$astride'))})
    (local.set $c ${add(get('$c'), `(i32.shl ${get('$len')} (i32.const 3))`)})
    (local.set $t (i32.add ${get('$t')} (i32.const 1)))
    (br $items)))`,
};

export const matmulWat: readonly WasmFunc[] = [
  syrkBatch,
  mmBatch,
  gemvN,
  gemvT,
  gemvNT,
  gemm,
  gemmDot,
];
