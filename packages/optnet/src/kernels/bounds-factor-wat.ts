/**
 * The WebAssembly text of qpBoundsFactor (bounds-factor-kernel.ts says
 * what it computes): per item 1/h and its check, then S (from the batch's
 * one product with the pairs matrix P, or from W = diag(√(1/h))·Aᵀ item by
 * item), then the regularized Cholesky of S. Called as
 *
 *   qpBoundsFactor(qd, qds, at, ats, gc, gcs, gv, gvs, pp, pps,
 *                  s, lam, hinv, ls, lev, work, n, m, q, nbo, np,
 *                  rel, abs, b0..b4, count)
 *
 * (matrix address and stride pairs, vectors, outputs, work, dims, as
 * fused-common.ts's runFused passes them; pp = 0: no P).
 */
import { f64, i32, type WasmFunc } from '@optnet/tensor/wasm';
import { at, each, get } from './fused-common.js';

const step = (p: string, by: string): string =>
  `(local.set ${p} (i32.add ${get(p)} ${get(by)}))`;

/** hinv ← 1/(qd + (G∘G)ᵀ(lam/s)), the column sums scattered into $t. */
const hItem = `
    ${each('$n', `(f64.store ${at('$t')} (f64.const 0))`)}
    ${each(
      '$m',
      `
      (local.set $cb (i32.add ${get('$t')} (i32.shl (i32.trunc_f64_s (f64.load ${at('$gc')})) (i32.const 3))))
      (local.set $x (f64.load ${at('$gv')}))
      (f64.store ${get('$cb')} (f64.add (f64.load ${get('$cb')})
        (f64.mul (f64.mul ${get('$x')} ${get('$x')}) (f64.div (f64.load ${at('$lam')}) (f64.load ${at('$s')})))))`,
    )}
    ${each('$n', `(f64.store ${at('$hinv')} (f64.div (f64.const 1) (f64.add (f64.load ${at('$qd')}) (f64.load ${at('$t')}))))`)}`;

/**
 * The item's level slot ← 1 if every 1/h is in [0, ∞), else 0 (cholItem
 * then leaves it unfactored): with a negative 1/h, A diag(1/h) Aᵀ may be
 * indefinite, and a boost could still make it factor.
 */
const hCheck = `
    (local.set $x (f64.const 1))
    ${each(
      '$n',
      `(local.set $mx (f64.load ${at('$hinv')}))
      (if (i32.eqz (i32.and (f64.ge ${get('$mx')} (f64.const 0)) (f64.lt ${get('$mx')} (f64.const inf))))
        (then (local.set $x (f64.const 0))))`,
    )}
    (f64.store (i32.add ${get('$lev')} (i32.shl ${get('$k')} (i32.const 3))) ${get('$x')})`;

/** W ← diag(√hinv)·Aᵀ row by row, then S ← WᵀW. */
const schurItem = `
    (local.set $pa ${get('$at')})
    (local.set $pw ${get('$w')})
    (local.set $p (i32.const 0))
    (block $wd (loop $wl
      (br_if $wd (i32.ge_s ${get('$p')} ${get('$n')}))
      (local.set $x (f64.sqrt (f64.load (i32.add ${get('$hinv')} (i32.shl ${get('$p')} (i32.const 3))))))
      ${each('$q', `(f64.store ${at('$pw')} (f64.mul ${get('$x')} (f64.load ${at('$pa')})))`)}
      ${step('$pa', '$qb')} ${step('$pw', '$qb')}
      (local.set $p (i32.add ${get('$p')} (i32.const 1)))
      (br $wl)))
    (call $syrkBatch ${get('$w')} (i32.const 0) ${get('$S')} ${get('$q')} ${get('$n')} (i32.const 1))`;

/**
 * The item's row of the product 1/h·P (S's lower triangle packed row by
 * row at the start of its L_S slot, see `gramPairs`) spread into the
 * slot's rows, in place: row k moves from k(k+1)/2 to k·q, last row
 * first and each row from its end, so nothing is overwritten before it
 * is read (k·q ≥ k(k+1)/2). The upper triangle is left as it was
 * ($chol reads only the lower one; zeroUpper clears it).
 */
const expandItem = `
    (local.set $p ${get('$q')})
    (block $ud (loop $ul
      (br_if $ud (i32.le_s ${get('$p')} (i32.const 0)))
      (local.set $p (i32.sub ${get('$p')} (i32.const 1)))
      ;; row p: p + 1 doubles, from $pw (packed) to $jj (full), backwards
      (local.set $pw (i32.add ${get('$ls')} (i32.shl (i32.shr_u (i32.mul ${get('$p')} (i32.add ${get('$p')} (i32.const 3))) (i32.const 1)) (i32.const 3))))
      (local.set $jj (i32.add ${get('$ls')} (i32.shl (i32.add (i32.mul ${get('$p')} ${get('$q')}) ${get('$p')}) (i32.const 3))))
      (local.set $j (i32.const 0))
      (block $vd (loop $vl
        (br_if $vd (i32.gt_s ${get('$j')} ${get('$p')}))
        (f64.store ${get('$jj')} (f64.load ${get('$pw')}))
        (local.set $pw (i32.sub ${get('$pw')} (i32.const 8)))
        (local.set $jj (i32.sub ${get('$jj')} (i32.const 8)))
        (local.set $j (i32.add ${get('$j')} (i32.const 1)))
        (br $vl)))
      (br $ul)))`;

/**
 * $ls ← the regularized factor of S (the first boost that factors), $lv,
 * S's diagonal read at `diag` (its rows $q apart) and each try's S put in
 * $ls by `refill` (which may test $try).
 */
const cholItem = (diag: string, refill: string): string => `
    (local.set $mx (f64.const -inf))
    (local.set $p (i32.const 0))
    (block $md (loop $ml
      (br_if $md (i32.ge_s ${get('$p')} ${get('$q')}))
      (local.set $mx (f64.max ${get('$mx')} (f64.load (i32.add ${get(diag)} (i32.mul ${get('$p')} ${get('$dg')})))))
      (local.set $p (i32.add ${get('$p')} (i32.const 1)))
      (br $ml)))
    (local.set $unit (f64.add (f64.mul ${get('$mx')} ${get('$rel')}) ${get('$abs')}))
    (local.set $lv (i32.const -1))
    (local.set $try (i32.const 0))
    ;; a 1/h below 0, infinite or NaN (hCheck): no boost makes S a Schur complement
    (if (f64.eq (f64.load ${get('$lev')}) (f64.const 0)) (then (local.set $try ${get('$nbo')})))
    (block $td (loop $tl
      (br_if $td (i32.ge_s ${get('$try')} ${get('$nbo')}))
      ${refill}
      (local.set $x (f64.mul ${get('$unit')} (f64.load (i32.add ${get('$bw')} (i32.shl ${get('$try')} (i32.const 3))))))
      ${diagonal(`(f64.add (f64.load ${get('$cb')}) ${get('$x')})`)}
      (if (i32.lt_s (call $chol ${get('$ls')} ${get('$q')}) (i32.const 0)) (then
        (call $zeroUpper ${get('$ls')} ${get('$q')})
        (local.set $lv ${get('$try')})
        (br $td)))
      (local.set $try (i32.add ${get('$try')} (i32.const 1)))
      (br $tl)))
    (if (i32.lt_s ${get('$lv')} (i32.const 0)) (then
      ${each('$qq', `(f64.store ${at('$ls')} (f64.const 0))`)}
      ${diagonal('(f64.const 1)')}))
    (f64.store ${get('$lev')} (f64.convert_i32_s ${get('$lv')}))`;

/** Store `value` (which may read the entry at $cb) on $ls's diagonal. */
function diagonal(value: string): string {
  return `
      (local.set $p (i32.const 0))
      (block $dd (loop $dl
        (br_if $dd (i32.ge_s ${get('$p')} ${get('$q')}))
        (local.set $cb (i32.add ${get('$ls')} (i32.mul ${get('$p')} ${get('$dg')})))
        (f64.store ${get('$cb')} ${value})
        (local.set $p (i32.add ${get('$p')} (i32.const 1)))
        (br $dl)))`;
}

/** A try's S from the per-item path's copy at $S. */
const copyS = each('$qq', `(f64.store ${at('$ls')} (f64.load ${at('$S')}))`);

/**
 * A try's S in the P path: the first finds it spread in $ls; a retry (a
 * pivot failed, overwriting it) makes the item's row of 1/h·P again.
 */
const retryPacked = `
      (if (i32.gt_s ${get('$try')} (i32.const 0)) (then
        (call $dgemmPanels ${get('$hinv')} ${get('$n')} ${get('$pp')} (i32.const 0) ${get('$ls')} ${get('$qq')} (i32.const 1) ${get('$n')} ${get('$np')} (i32.const 0))
        ${expandItem}))`;

const BOOSTS = ['$b0', '$b1', '$b2', '$b3', '$b4'];
/**
 * Items whose S one $dgemm call makes (their L_S slots, 16 × 12.5 KB at
 * the Sudoku size, stay in L2 until factored).
 */
const BLOCK = 16; // a power of two (the block test is k & (BLOCK − 1))
/** Boosts the function takes at most. */
export const MAX_BOOSTS: number = BOOSTS.length;

const qpBoundsFactor: WasmFunc = {
  name: 'qpBoundsFactor',
  params: [
    ...i32('$qd', '$qds', '$at', '$ats', '$gc', '$gcs', '$gv', '$gvs'),
    ...i32('$pp', '$pps', '$s', '$lam', '$hinv', '$ls', '$lev'),
    ...i32('$work', '$n', '$m', '$q', '$nbo', '$np'),
    ...f64('$rel', '$abs', ...BOOSTS),
    ...i32('$count'),
  ],
  locals: [
    ...i32('$k', '$ib', '$iend', '$t', '$w', '$S', '$bw', '$p', '$cb'),
    ...i32('$pa', '$pw', '$lv', '$try', '$qq', '$qb', '$nb', '$mb', '$dg'),
    ...i32('$lsb', '$h0', '$j', '$jj', '$rows'),
    ...f64('$x', '$mx', '$unit'),
  ],
  body: `
  (local.set $nb (i32.shl ${get('$n')} (i32.const 3)))
  (local.set $mb (i32.shl ${get('$m')} (i32.const 3)))
  (local.set $qb (i32.shl ${get('$q')} (i32.const 3)))
  (local.set $qq (i32.mul ${get('$q')} ${get('$q')}))
  (local.set $lsb (i32.shl ${get('$qq')} (i32.const 3)))
  (local.set $dg (i32.add ${get('$qb')} (i32.const 8)))
  ;; work: boosts (6 doubles, keeping 16-byte alignment), t (n), S, W
  (local.set $bw ${get('$work')})
  ${BOOSTS.map((b, i) => `(f64.store (i32.add ${get('$bw')} (i32.const ${8 * i})) ${get(b)})`).join(' ')}
  (local.set $t (i32.add ${get('$bw')} (i32.const 48)))
  (local.set $S (i32.add ${get('$t')} (i32.shl (i32.add ${get('$n')} (i32.and ${get('$n')} (i32.const 1))) (i32.const 3))))
  (local.set $w (i32.add ${get('$S')} ${get('$lsb')}))
  ;; 1/h of every item first: with P, all the S come from one product
  (local.set $h0 ${get('$hinv')})
  (block $hd (loop $hl
    (br_if $hd (i32.ge_s ${get('$k')} ${get('$count')}))
    ${hItem}
    ${hCheck}
    ${step('$qd', '$qds')} ${step('$gc', '$gcs')} ${step('$gv', '$gvs')}
    ${step('$s', '$mb')} ${step('$lam', '$mb')} ${step('$hinv', '$nb')}
    (local.set $k (i32.add ${get('$k')} (i32.const 1)))
    (br $hl)))
  (local.set $hinv ${get('$h0')})
  (local.set $k (i32.const 0))
  (block $done (loop $items
    (br_if $done (i32.ge_s ${get('$k')} ${get('$count')}))
    ;; with P: the packed S of the next BLOCK items, each at the start of
    ;; its L_S slot, unpacked and factored while they are in cache
    (if (i32.and (i32.ne ${get('$pp')} (i32.const 0)) (i32.eqz (i32.and ${get('$k')} (i32.const ${BLOCK - 1})))) (then
      (local.set $rows (i32.sub ${get('$count')} ${get('$k')}))
      (if (i32.gt_s ${get('$rows')} (i32.const ${BLOCK})) (then (local.set $rows (i32.const ${BLOCK}))))
      (call $dgemmPanels ${get('$hinv')} ${get('$n')} ${get('$pp')} (i32.const 0) ${get('$ls')} ${get('$qq')} ${get('$rows')} ${get('$n')} ${get('$np')} (i32.const 0))))
    (if ${get('$pp')}
      (then ${expandItem} ${cholItem('$ls', retryPacked)})
      (else ${schurItem} ${cholItem('$S', copyS)}))
    ${step('$at', '$ats')} ${step('$hinv', '$nb')} ${step('$ls', '$lsb')}
    (local.set $lev (i32.add ${get('$lev')} (i32.const 8)))
    (local.set $k (i32.add ${get('$k')} (i32.const 1)))
    (br $items)))`,
};

/** This file's WebAssembly function (fused-kernels.ts registers them all). */
export const boundsFactorWat: readonly WasmFunc[] = [qpBoundsFactor];
