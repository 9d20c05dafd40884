/**
 * Float32 reductions and softmax rows in WebAssembly SIMD (text format,
 * see assemble.ts). Sums accumulate in float64 (two f64x2 lanes from each
 * pair of floats), as the JS kernels' sums do, and round once.
 */
import type { WasmFunc } from './assemble.js';
import { f64, hsum, i32, v128 } from './wat-common.js';
import { EXP_LOCALS, EXP_SETUP, expInline } from './wat-f32-math.js';

const get = (x: string): string => `(local.get ${x})`;
const at = (p: string, j: string): string => `(i32.add ${get(p)} ${get(j)})`;

/** Horizontal max of an f32x4 local (NaN if any lane is NaN). */
const hmax = (v: string): string =>
  `(f32.max (f32.max (f32x4.extract_lane 0 ${get(v)}) (f32x4.extract_lane 1 ${get(v)}))
    (f32.max (f32x4.extract_lane 2 ${get(v)}) (f32x4.extract_lane 3 ${get(v)})))`;

/**
 * Statements: $s (f64) = Σ f(x[j]) over the row at $p of $m floats, where
 * `f` maps the f32x4 local $v to $v (exp of x − max for softmax, or
 * nothing): whole vectors in two f64x2 sums, the tail one float at a time.
 */
const rowSum = (f: string): string => `
      (local.set $s0 ${get('$zero')}) (local.set $s1 ${get('$zero')})
      (local.set $j (i32.const 0))
      (block $sd (loop $sl
        (br_if $sd (i32.ge_s ${get('$j')} ${get('$end4')}))
        (local.set $v (v128.load ${at('$p', '$j')}))
        ${f}
        (local.set $s0 (f64x2.add ${get('$s0')} (f64x2.promote_low_f32x4 ${get('$v')})))
        (local.set $v (f32x4.replace_lane 0 ${get('$v')} (f32x4.extract_lane 2 ${get('$v')})))
        (local.set $v (f32x4.replace_lane 1 ${get('$v')} (f32x4.extract_lane 3 ${get('$v')})))
        (local.set $s1 (f64x2.add ${get('$s1')} (f64x2.promote_low_f32x4 ${get('$v')})))
        (local.set $j (i32.add ${get('$j')} (i32.const 16)))
        (br $sl)))
      (local.set $s0 (f64x2.add ${get('$s0')} ${get('$s1')}))
      (local.set $s ${hsum('$s0')})
      (block $td (loop $tl
        (br_if $td (i32.ge_s ${get('$j')} ${get('$end')}))
        (local.set $v (v128.load32_splat ${at('$p', '$j')}))
        ${f}
        (local.set $s (f64.add ${get('$s')} (f64.promote_f32 (f32x4.extract_lane 0 ${get('$v')}))))
        (local.set $j (i32.add ${get('$j')} (i32.const 4)))
        (br $tl)))`;

/**
 * Statements: $mx (f32) = max of the row at $p (NaN if any is NaN). The
 * vectors fold with pmax (one x86 maxps; f32x4.max's NaN and ±0 rules
 * cost V8 several instructions more) and NaN lanes are or-ed into $vn
 * apart: the pass ran ~4x faster.
 */
const rowMax = `
      (local.set $vm (f32x4.splat (f32.const -inf)))
      (local.set $vn ${get('$zero')})
      (local.set $j (i32.const 0))
      (block $md (loop $ml
        (br_if $md (i32.ge_s ${get('$j')} ${get('$end4')}))
        (local.set $v (v128.load ${at('$p', '$j')}))
        (local.set $vm (f32x4.pmax ${get('$vm')} ${get('$v')}))
        (local.set $vn (v128.or ${get('$vn')} (f32x4.ne ${get('$v')} ${get('$v')})))
        (local.set $j (i32.add ${get('$j')} (i32.const 16)))
        (br $ml)))
      (local.set $mx ${hmax('$vm')})
      (if (v128.any_true ${get('$vn')}) (then (local.set $mx (f32.const nan))))
      (block $td (loop $tl
        (br_if $td (i32.ge_s ${get('$j')} ${get('$end')}))
        (local.set $mx (f32.max ${get('$mx')} (f32.load ${at('$p', '$j')})))
        (local.set $j (i32.add ${get('$j')} (i32.const 4)))
        (br $tl)))`;

const ROW_LOCALS = [
  ...i32('$r', '$j', '$p', '$q', '$end', '$end4'),
  ...v128('$v', '$vm', '$vn', '$s0', '$s1', '$zero'),
  ...f64('$s'),
  ['$mx', 'f32'] as const,
];

/** Loop over rows: $p = row r of x, $end/$end4 its byte length (whole vectors). */
const overRows = (body: string, exp = false): string => `
  ${exp ? EXP_SETUP : ''}
  (local.set $end (i32.shl ${get('$m')} (i32.const 2)))
  (local.set $end4 (i32.shl (i32.and ${get('$m')} (i32.const -4)) (i32.const 2)))
  (block $rd (loop $rl
    (br_if $rd (i32.ge_s ${get('$r')} ${get('$rows')}))
    (local.set $p (i32.add ${get('$x')} (i32.mul ${get('$r')} ${get('$end')})))
    ${body}
    (local.set $r (i32.add ${get('$r')} (i32.const 1)))
    (br $rl)))`;

/** f32SumRows(x, y, rows, m): y[r] = Σ_j x[r, j]. */
const sumRows: WasmFunc = {
  name: 'f32SumRows',
  params: i32('$x', '$y', '$rows', '$m'),
  locals: ROW_LOCALS,
  body: overRows(`${rowSum('')}
    (f32.store (i32.add ${get('$y')} (i32.shl ${get('$r')} (i32.const 2))) (f32.demote_f64 ${get('$s')}))`),
};

/** f32MaxRows(x, y, rows, m): y[r] = max_j x[r, j], m ≥ 1. */
const maxRows: WasmFunc = {
  name: 'f32MaxRows',
  params: i32('$x', '$y', '$rows', '$m'),
  locals: ROW_LOCALS,
  body: overRows(`${rowMax}
    (f32.store (i32.add ${get('$y')} (i32.shl ${get('$r')} (i32.const 2))) ${get('$mx')})`),
};

/**
 * f32SumCols(x, y, rows, m, acc): y[j] = Σ_r x[r, j], accumulated in the
 * float64s at acc (m rounded up to 2, 16-aligned), then rounded.
 */
const sumCols: WasmFunc = {
  name: 'f32SumCols',
  params: i32('$x', '$y', '$rows', '$m', '$acc'),
  locals: [...i32('$r', '$j', '$p', '$q', '$end'), ...v128('$zero')],
  body: `
  (local.set $end (i32.shl (i32.and (i32.add ${get('$m')} (i32.const 1)) (i32.const -2)) (i32.const 3)))
  (block $zd (loop $zl
    (br_if $zd (i32.ge_s ${get('$j')} ${get('$end')}))
    (v128.store ${at('$acc', '$j')} ${get('$zero')})
    (local.set $j (i32.add ${get('$j')} (i32.const 16)))
    (br $zl)))
  (local.set $p ${get('$x')})
  (block $rd (loop $rl
    (br_if $rd (i32.ge_s ${get('$r')} ${get('$rows')}))
    (local.set $j (i32.const 0))
    (local.set $q ${get('$p')})
    (block $jd (loop $jl
      (br_if $jd (i32.ge_s ${get('$j')} ${get('$end')}))
      (v128.store ${at('$acc', '$j')} (f64x2.add (v128.load ${at('$acc', '$j')})
        (f64x2.promote_low_f32x4 (v128.load64_zero ${get('$q')}))))
      (local.set $q (i32.add ${get('$q')} (i32.const 8)))
      (local.set $j (i32.add ${get('$j')} (i32.const 16)))
      (br $jl)))
    (local.set $p (i32.add ${get('$p')} (i32.shl ${get('$m')} (i32.const 2))))
    (local.set $r (i32.add ${get('$r')} (i32.const 1)))
    (br $rl)))
  (local.set $j (i32.const 0))
  (block $od (loop $ol
    (br_if $od (i32.ge_s ${get('$j')} ${get('$m')}))
    (f32.store (i32.add ${get('$y')} (i32.shl ${get('$j')} (i32.const 2)))
      (f32.demote_f64 (f64.load (i32.add ${get('$acc')} (i32.shl ${get('$j')} (i32.const 3))))))
    (local.set $j (i32.add ${get('$j')} (i32.const 1)))
    (br $ol)))`,
};

/**
 * f32SoftmaxStats(x, st, rows, m): per row r, st[3r] = its max (0 when
 * −Inf, so an all −Inf row gives NaN, as the JS kernel) and
 * st[3r + 1] = Σ_j e^(x[r,j] − max), float64s; st[3r + 2] is left for
 * the caller (ln of the sum, for logSoftmax).
 */
const softmaxStats: WasmFunc = {
  name: 'f32SoftmaxStats',
  params: i32('$x', '$st', '$rows', '$m'),
  locals: [...ROW_LOCALS, ...v128('$vmx'), ...EXP_LOCALS],
  body: overRows(
    `${rowMax}
    (if (f32.eq ${get('$mx')} (f32.const -inf)) (then (local.set $mx (f32.const 0))))
    (local.set $vmx (f32x4.splat ${get('$mx')}))
    ${rowSum(expInline(`(f32x4.sub ${get('$v')} ${get('$vmx')})`, '$v'))}
    (local.set $q (i32.add ${get('$st')} (i32.mul ${get('$r')} (i32.const 24))))
    (f64.store ${get('$q')} (f64.promote_f32 ${get('$mx')}))
    (f64.store offset=8 ${get('$q')} ${get('$s')})`,
    true,
  ),
};

/**
 * f32SoftmaxApply(x, y, st, rows, m, log): y = (x − st[3r]) − st[3r + 2]
 * (log; st[3r + 2] = ln st[3r + 1]) or e^(x − st[3r]) / st[3r + 1]
 * (softmax), row by row. Both terms of the log form are ≤ 0, so nothing
 * cancels: x − (max + ln Σ) rounded to float32 first would lose the
 * small outputs near the row's max.
 */
const softmaxApply: WasmFunc = {
  name: 'f32SoftmaxApply',
  params: i32('$x', '$y', '$st', '$rows', '$m', '$log'),
  locals: [...ROW_LOCALS, ...i32('$py'), ...v128('$va', '$vb'), ...EXP_LOCALS],
  body: overRows(
    `
    (local.set $q (i32.add ${get('$st')} (i32.mul ${get('$r')} (i32.const 24))))
    (local.set $py (i32.add ${get('$y')} (i32.mul ${get('$r')} ${get('$end')})))
    (local.set $va (f32x4.splat (f32.demote_f64 (f64.load ${get('$q')}))))
    (if ${get('$log')}
      (then (local.set $vb (f32x4.splat (f32.demote_f64 (f64.load offset=16 ${get('$q')})))))
      (else (local.set $vb (f32x4.splat (f32.demote_f64 (f64.load offset=8 ${get('$q')}))))))
    (local.set $j (i32.const 0))
    (block $jd (loop $jl
      (br_if $jd (i32.ge_s ${get('$j')} ${get('$end')}))
      (local.set $v (v128.load ${at('$p', '$j')}))
      (if ${get('$log')}
        (then (local.set $v (f32x4.sub (f32x4.sub ${get('$v')} ${get('$va')}) ${get('$vb')})))
        (else
          ${expInline(`(f32x4.sub ${get('$v')} ${get('$va')})`, '$v')}
          (local.set $v (f32x4.div ${get('$v')} ${get('$vb')}))))
      (v128.store ${at('$py', '$j')} ${get('$v')})
      (local.set $j (i32.add ${get('$j')} (i32.const 16)))
      (br $jl)))`,
    true,
  ),
};

/**
 * f32SoftmaxCeGrad(x, g, y, st, rows, m): softmax cross-entropy's
 * gradient before its label entries, y[r, j] = e^(x[r, j] − m_r)·g_r/s_r,
 * one row at a time while it is in cache: (1) the max m_r (0 when −∞, as
 * f32SoftmaxStats), (2) e^(x − m_r) stored to y and summed into s_r
 * (float64), (3) y scaled by g_r/s_r (float64, rounded once). st[3r] and
 * st[3r + 1] get m_r and s_r, for the label entries the caller writes.
 * Whole vectors are stored, so each row's last one spills up to 3 floats
 * into the next row (written after) or the scratch's slack.
 */
const softmaxCeGrad: WasmFunc = {
  name: 'f32SoftmaxCeGrad',
  params: i32('$x', '$g', '$y', '$st', '$rows', '$m'),
  locals: [...ROW_LOCALS, ...i32('$py'), ...v128('$vmx'), ...EXP_LOCALS],
  body: overRows(
    `${rowMax}
    (if (f32.eq ${get('$mx')} (f32.const -inf)) (then (local.set $mx (f32.const 0))))
    (local.set $vmx (f32x4.splat ${get('$mx')}))
    (local.set $py (i32.add ${get('$y')} (i32.mul ${get('$r')} ${get('$end')})))
    ${rowSum(`${expInline(`(f32x4.sub ${get('$v')} ${get('$vmx')})`, '$v')}
        (v128.store ${at('$py', '$j')} ${get('$v')})`)}
    (local.set $q (i32.add ${get('$st')} (i32.mul ${get('$r')} (i32.const 24))))
    (f64.store ${get('$q')} (f64.promote_f32 ${get('$mx')}))
    (f64.store offset=8 ${get('$q')} ${get('$s')})
    (local.set $vmx (f32x4.splat (f32.demote_f64 (f64.div
      (f64.promote_f32 (f32.load (i32.add ${get('$g')} (i32.shl ${get('$r')} (i32.const 2)))))
      ${get('$s')}))))
    (local.set $j (i32.const 0))
    (block $jd (loop $jl
      (br_if $jd (i32.ge_s ${get('$j')} ${get('$end')}))
      (v128.store ${at('$py', '$j')} (f32x4.mul (v128.load ${at('$py', '$j')}) ${get('$vmx')}))
      (local.set $j (i32.add ${get('$j')} (i32.const 16)))
      (br $jl)))`,
    true,
  ),
};

export const f32ReduceWat: readonly WasmFunc[] = [
  sumRows,
  maxRows,
  sumCols,
  softmaxStats,
  softmaxApply,
  softmaxCeGrad,
];
