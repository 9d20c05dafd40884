/**
 * The float32 matmul in WebAssembly SIMD (text format, see assemble.ts):
 * C = op(A)·op(B) for one product, packed and register-blocked as BLAS
 * libraries do it (Goto's loop order):
 * 1. K is cut into blocks of KC; each block of B is packed into panels of
 *    NR = 8 columns, p-major (8 consecutive floats per p), zero-padded;
 * 2. rows of A are cut into blocks of MC, each packed into panels of MR
 *    rows, p-major (MR floats per p), zero-padded;
 * 3. every MR × 8 tile of C is the micro-kernel: 2·MR f32x4 accumulators
 *    kept in registers over the whole K block, one splat of A and two
 *    loads of B per MR·8 multiply-adds.
 * Each C entry is the sum over p in order, one f32 multiply-add per term
 * (`f32x4.madd`: fused where the module is assembled with relaxed SIMD,
 * see runtime.ts, else a multiply and an add; no split accumulators), so
 * the result does not depend on the blocking, on which rows a call
 * computes, or on the thread: a split product has the same bits. It
 * differs from the JS kernel (which sums in f64) in float32's last bits.
 */
import type { WasmFunc } from './assemble.js';
import { i32, v128 } from './wat-common.js';

/**
 * Rows of a micro-tile: 4 × 8 (8 accumulators) with a separate multiply
 * and add, 6 × 8 (12) with fused multiply-add. Measured on one core at
 * 256-1024 (a tight loop, GFLOP/s): with FMA the 6-row tile is ~1.2x the
 * 4-row one (41-50 against 35-43; each FMA is one instruction where a
 * multiply and an add were two, and 12 independent sums hide its
 * latency); without FMA it is ~3% slower.
 */
export const SGEMM_MR_PLAIN = 4;
export const SGEMM_MR_FMA = 6;
/** Columns of a micro-tile (two f32x4). */
export const SGEMM_NR = 8;
/** Depth of a packed block (a B panel of KC × 8 floats is 8 KB: L1). */
export const SGEMM_KC = 256;
/**
 * Rows of a packed A block: whole MR-row panels in at most 128 rows
 * (128 × KC floats, 128 KB: L2), so only the last block of a product has
 * an edge tile.
 */
export const sgemmMc = (mr: number): number => Math.floor(128 / mr) * mr;

const get = (x: string): string => `(local.get ${x})`;
const add = (a: string, b: string): string => `(i32.add ${a} ${b})`;
const mul = (a: string, b: string): string => `(i32.mul ${a} ${b})`;

/**
 * sgemmTile(ap, bp, kc, tile, ldt, load): the MR × 8 tile at byte address
 * `tile` (row stride ldt bytes) = (load ? tile : 0) + Σ_p ap[p]ᵀ·bp[p]
 * over kc steps of the packed panels.
 */
function tileKernel(mr: number): WasmFunc {
  const rows = [...Array(mr).keys()];
  const acc = rows.flatMap((r) => [`$c${r}a`, `$c${r}b`]);
  const rowAt = (r: string): string =>
    add(get('$tile'), mul(`(i32.const ${r})`, get('$ldt')));
  const init = rows
    .map(
      (r) => `
    (local.set $c${r}a (v128.load ${rowAt(String(r))}))
    (local.set $c${r}b (v128.load offset=16 ${rowAt(String(r))}))`,
    )
    .join('');
  const zero = acc.map((c) => `(local.set ${c} ${get('$z')})`).join(' ');
  const step = rows
    .map(
      (r) => `
      (local.set $av (v128.load32_splat offset=${4 * r} ${get('$ap')}))
      (local.set $c${r}a (f32x4.madd ${get('$av')} ${get('$b0')} ${get(`$c${r}a`)}))
      (local.set $c${r}b (f32x4.madd ${get('$av')} ${get('$b1')} ${get(`$c${r}b`)}))`,
    )
    .join('');
  const store = rows
    .map(
      (r) => `
    (v128.store ${rowAt(String(r))} ${get(`$c${r}a`)})
    (v128.store offset=16 ${rowAt(String(r))} ${get(`$c${r}b`)})`,
    )
    .join('');
  return {
    name: `sgemmTile${mr}`,
    params: i32('$ap', '$bp', '$kc', '$tile', '$ldt', '$load'),
    locals: [...i32('$p'), ...v128('$z', '$av', '$b0', '$b1', ...acc)],
    body: `
  (local.set $z (f32x4.splat (f32.const 0)))
  (if ${get('$load')} (then ${init}) (else ${zero}))
  (block $done (loop $l
    (br_if $done (i32.ge_s ${get('$p')} ${get('$kc')}))
    (local.set $b0 (v128.load ${get('$bp')}))
    (local.set $b1 (v128.load offset=16 ${get('$bp')}))
    ${step}
    (local.set $ap (i32.add ${get('$ap')} (i32.const ${4 * mr})))
    (local.set $bp (i32.add ${get('$bp')} (i32.const 32)))
    (local.set $p (i32.add ${get('$p')} (i32.const 1)))
    (br $l)))
  ${store}`,
  };
}

/**
 * sgemmPackB(b, ldb, transB, pc, kc, n, bp): rows [pc, pc + kc) of op(B)
 * (B stored [k, n], or [n, k] when transB; ldb its row stride in floats)
 * into panels of 8 columns at bp: panel q, step p at bp + (q·kc + p)·32,
 * columns past n zero.
 */
const packB: WasmFunc = {
  name: 'sgemmPackB',
  params: i32('$b', '$ldb', '$transB', '$pc', '$kc', '$n', '$bp'),
  locals: [...i32('$j0', '$p', '$jj', '$j', '$dst', '$src'), ['$v', 'f32']],
  body: `
  (block $panels (loop $panel
    (br_if $panels (i32.ge_s ${get('$j0')} ${get('$n')}))
    (local.set $p (i32.const 0))
    (block $ps (loop $pl
      (br_if $ps (i32.ge_s ${get('$p')} ${get('$kc')}))
      (local.set $dst ${add(get('$bp'), `(i32.shl ${add(mul(get('$j0'), get('$kc')), `(i32.shl ${get('$p')} (i32.const 3))`)} (i32.const 2))`)})
      (if (i32.and (i32.eqz ${get('$transB')}) (i32.le_s (i32.add ${get('$j0')} (i32.const 8)) ${get('$n')}))
        (then
          (local.set $src ${add(get('$b'), `(i32.shl ${add(mul(add(get('$pc'), get('$p')), get('$ldb')), get('$j0'))} (i32.const 2))`)})
          (v128.store ${get('$dst')} (v128.load ${get('$src')}))
          (v128.store offset=16 ${get('$dst')} (v128.load offset=16 ${get('$src')})))
        (else
          (local.set $jj (i32.const 0))
          (block $js (loop $jl
            (br_if $js (i32.ge_s ${get('$jj')} (i32.const 8)))
            (local.set $j (i32.add ${get('$j0')} ${get('$jj')}))
            (local.set $v (f32.const 0))
            (if (i32.lt_s ${get('$j')} ${get('$n')}) (then
              (if ${get('$transB')}
                (then (local.set $src ${add(mul(get('$j'), get('$ldb')), add(get('$pc'), get('$p')))}))
                (else (local.set $src ${add(mul(add(get('$pc'), get('$p')), get('$ldb')), get('$j'))})))
              (local.set $v (f32.load ${add(get('$b'), `(i32.shl ${get('$src')} (i32.const 2))`)}))))
            (f32.store ${add(get('$dst'), `(i32.shl ${get('$jj')} (i32.const 2))`)} ${get('$v')})
            (local.set $jj (i32.add ${get('$jj')} (i32.const 1)))
            (br $jl)))))
      (local.set $p (i32.add ${get('$p')} (i32.const 1)))
      (br $pl)))
    (local.set $j0 (i32.add ${get('$j0')} (i32.const 8)))
    (br $panel)))`,
};

/**
 * sgemmPackA(a, lda, transA, ic, mc, pc, kc, ap): rows [ic, ic + mc),
 * columns [pc, pc + kc) of op(A) (A stored [m, k], or [k, m] when transA;
 * lda its row stride in floats) into panels of MR rows at ap: panel q,
 * step p, row r at ap + ((q·kc + p)·MR + r)·4, rows past mc zero.
 */
function packA(mr: number): WasmFunc {
  return {
    name: `sgemmPackA${mr}`,
    params: i32('$a', '$lda', '$transA', '$ic', '$mc', '$pc', '$kc', '$ap'),
    locals: i32('$i0', '$r', '$i', '$p', '$src', '$step', '$dst', '$end'),
    body: `
  (block $panels (loop $panel
    (br_if $panels (i32.ge_s ${get('$i0')} ${get('$mc')}))
    (local.set $r (i32.const 0))
    (block $rs (loop $rl
      (br_if $rs (i32.ge_s ${get('$r')} (i32.const ${mr})))
      (local.set $i (i32.add ${get('$i0')} ${get('$r')}))
      ;; row i of the panel: p-th float at dst + p·MR·4
      (local.set $dst ${add(get('$ap'), `(i32.shl ${add(mul(get('$i0'), get('$kc')), get('$r'))} (i32.const 2))`)})
      (local.set $end ${add(get('$dst'), `(i32.mul ${get('$kc')} (i32.const ${4 * mr}))`)})
      (if (i32.lt_s ${get('$i')} ${get('$mc')})
        (then
          (if ${get('$transA')}
            (then
              (local.set $src ${add(get('$a'), `(i32.shl ${add(mul(get('$pc'), get('$lda')), add(get('$ic'), get('$i')))} (i32.const 2))`)})
              (local.set $step (i32.shl ${get('$lda')} (i32.const 2))))
            (else
              (local.set $src ${add(get('$a'), `(i32.shl ${add(mul(add(get('$ic'), get('$i')), get('$lda')), get('$pc'))} (i32.const 2))`)})
              (local.set $step (i32.const 4))))
          (block $ps (loop $pl
            (br_if $ps (i32.ge_s ${get('$dst')} ${get('$end')}))
            (f32.store ${get('$dst')} (f32.load ${get('$src')}))
            (local.set $src (i32.add ${get('$src')} ${get('$step')}))
            (local.set $dst (i32.add ${get('$dst')} (i32.const ${4 * mr})))
            (br $pl))))
        (else
          (block $zs (loop $zl
            (br_if $zs (i32.ge_s ${get('$dst')} ${get('$end')}))
            (f32.store ${get('$dst')} (f32.const 0))
            (local.set $dst (i32.add ${get('$dst')} (i32.const ${4 * mr})))
            (br $zl)))))
      (local.set $r (i32.add ${get('$r')} (i32.const 1)))
      (br $rl)))
    (local.set $i0 (i32.add ${get('$i0')} (i32.const ${mr})))
    (br $panel)))`,
  };
}

/**
 * Copies the rows × cols corner of an MR × 8 tile between C (byte address
 * `$cp`, row stride `$ldc` floats) and the 8-float-stride tile at `$tmp`:
 * `toTmp` picks the direction.
 */
function tileCopy(toTmp: boolean): string {
  const c = add(
    get('$cp'),
    `(i32.shl ${add(mul(get('$r'), get('$ldc')), get('$j'))} (i32.const 2))`,
  );
  const t = add(
    get('$tmp'),
    `(i32.shl ${add(`(i32.shl ${get('$r')} (i32.const 3))`, get('$j'))} (i32.const 2))`,
  );
  const [to, from] = toTmp ? [t, c] : [c, t];
  return `
        (local.set $r (i32.const 0))
        (block $rd (loop $rl
          (br_if $rd (i32.ge_s ${get('$r')} ${get('$mrv')}))
          (local.set $j (i32.const 0))
          (block $jd (loop $jl
            (br_if $jd (i32.ge_s ${get('$j')} ${get('$nrv')}))
            (f32.store ${to} (f32.load ${from}))
            (local.set $j (i32.add ${get('$j')} (i32.const 1)))
            (br $jl)))
          (local.set $r (i32.add ${get('$r')} (i32.const 1)))
          (br $rl)))`;
}

/**
 * sgemm{MR}(a, lda, transA, b, ldb, transB, c, ldc, m, k, n, ap, bp, tmp):
 * C [m, n] (row stride ldc floats) = op(A)·op(B), k ≥ 1. Scratch: ap
 * sgemmMc(MR)·KC floats, bp KC·(n rounded up to 8) floats, tmp MR·8 floats (all
 * 16-byte aligned).
 */
function driver(mr: number): WasmFunc {
  const tile = (at: string, ldt: string): string =>
    `(call $sgemmTile${mr} ${add(get('$ap'), `(i32.shl ${mul(get('$i0'), get('$kc'))} (i32.const 2))`)}
        ${add(get('$bp'), `(i32.shl ${mul(get('$j0'), get('$kc'))} (i32.const 2))`)}
        ${get('$kc')} ${at} ${ldt} ${get('$load')})`;
  return {
    name: `sgemm${mr}`,
    params: i32(
      '$a',
      '$lda',
      '$transA',
      '$b',
      '$ldb',
      '$transB',
      '$c',
      '$ldc',
      '$m',
      '$k',
      '$n',
      '$ap',
      '$bp',
      '$tmp',
    ),
    locals: i32(
      '$pc',
      '$kc',
      '$ic',
      '$mc',
      '$i0',
      '$j0',
      '$cp',
      '$mrv',
      '$nrv',
      '$load',
      '$r',
      '$j',
    ),
    body: `
  (block $kd (loop $kl
    (br_if $kd (i32.ge_s ${get('$pc')} ${get('$k')}))
    (local.set $kc (i32.sub ${get('$k')} ${get('$pc')}))
    (if (i32.gt_s ${get('$kc')} (i32.const ${SGEMM_KC})) (then (local.set $kc (i32.const ${SGEMM_KC}))))
    (local.set $load (i32.gt_s ${get('$pc')} (i32.const 0)))
    (call $sgemmPackB ${get('$b')} ${get('$ldb')} ${get('$transB')} ${get('$pc')} ${get('$kc')} ${get('$n')} ${get('$bp')})
    (local.set $ic (i32.const 0))
    (block $md (loop $ml
      (br_if $md (i32.ge_s ${get('$ic')} ${get('$m')}))
      (local.set $mc (i32.sub ${get('$m')} ${get('$ic')}))
      (if (i32.gt_s ${get('$mc')} (i32.const ${sgemmMc(mr)})) (then (local.set $mc (i32.const ${sgemmMc(mr)}))))
      (call $sgemmPackA${mr} ${get('$a')} ${get('$lda')} ${get('$transA')} ${get('$ic')} ${get('$mc')} ${get('$pc')} ${get('$kc')} ${get('$ap')})
      (local.set $j0 (i32.const 0))
      (block $jd0 (loop $jl0
        (br_if $jd0 (i32.ge_s ${get('$j0')} ${get('$n')}))
        (local.set $nrv (i32.sub ${get('$n')} ${get('$j0')}))
        (if (i32.gt_s ${get('$nrv')} (i32.const 8)) (then (local.set $nrv (i32.const 8))))
        (local.set $i0 (i32.const 0))
        (block $id0 (loop $il0
          (br_if $id0 (i32.ge_s ${get('$i0')} ${get('$mc')}))
          (local.set $mrv (i32.sub ${get('$mc')} ${get('$i0')}))
          (if (i32.gt_s ${get('$mrv')} (i32.const ${mr})) (then (local.set $mrv (i32.const ${mr}))))
          (local.set $cp ${add(get('$c'), `(i32.shl ${add(mul(add(get('$ic'), get('$i0')), get('$ldc')), get('$j0'))} (i32.const 2))`)})
          (if (i32.and (i32.eq ${get('$mrv')} (i32.const ${mr})) (i32.eq ${get('$nrv')} (i32.const 8)))
            (then ${tile(get('$cp'), `(i32.shl ${get('$ldc')} (i32.const 2))`)})
            (else
              (if ${get('$load')} (then ${tileCopy(true)}))
              ${tile(get('$tmp'), '(i32.const 32)')}
              ${tileCopy(false)}))
          (local.set $i0 (i32.add ${get('$i0')} (i32.const ${mr})))
          (br $il0)))
        (local.set $j0 (i32.add ${get('$j0')} (i32.const 8)))
        (br $jl0)))
      (local.set $ic (i32.add ${get('$ic')} ${get('$mc')}))
      (br $ml)))
    (local.set $pc (i32.add ${get('$pc')} ${get('$kc')}))
    (br $kl)))`,
  };
}

export const sgemmWat: readonly WasmFunc[] = [
  packB,
  ...[SGEMM_MR_PLAIN, SGEMM_MR_FMA].flatMap((mr) => [
    tileKernel(mr),
    packA(mr),
    driver(mr),
  ]),
];
