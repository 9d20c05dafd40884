/**
 * Comparisons of float32 (and int32) arrays into bool bytes, and the
 * bool → float32 cast, in WebAssembly SIMD (text format, see
 * assemble.ts), four elements at a time with the same broadcast reads and
 * last-vector spill as the binary kernels (wat-f32-elementwise.ts).
 */
import type { WasmFunc } from './assemble.js';
import { i32, v128 } from './wat-common.js';

const get = (x: string): string => `(local.get ${x})`;

/** The comparisons with a kernel: [name, f32x4 instruction, i32x4 one]. */
const COMPARES: readonly (readonly [string, string, string])[] = [
  ['equal', 'f32x4.eq', 'i32x4.eq'],
  ['notEqual', 'f32x4.ne', 'i32x4.ne'],
  ['less', 'f32x4.lt', 'i32x4.lt_s'],
  ['lessEqual', 'f32x4.le', 'i32x4.le_s'],
  ['greater', 'f32x4.gt', 'i32x4.gt_s'],
  ['greaterEqual', 'f32x4.ge', 'i32x4.ge_s'],
];

/** The comparison names with kernels (cmp_<name>_f32, cmp_<name>_i32). */
export const COMPARE_KERNELS: readonly string[] = COMPARES.map(([n]) => n);

/**
 * cmp_<name>_<t>(a, ra, vA, b, rb, vB, y, rows, m): y[r, j] = a(r, j) op
 * b(r, j) ? 1 : 0, bytes, with the operands read as f32b_<op> reads them.
 * Four lanes of all-ones masks narrow to four bytes, masked to 1.
 */
function compare(name: string, ins: string, t: string): WasmFunc {
  const inner = (va: boolean, vb: boolean): string => `
      (block $jd (loop $jl
        (br_if $jd (i32.ge_s ${get('$j')} ${get('$m')}))
        ${va ? `(local.set $va (v128.load (i32.add ${get('$pa')} (i32.shl ${get('$j')} (i32.const 2)))))` : ''}
        ${vb ? `(local.set $vb (v128.load (i32.add ${get('$pb')} (i32.shl ${get('$j')} (i32.const 2)))))` : ''}
        (local.set $c (${ins} ${get('$va')} ${get('$vb')}))
        (local.set $c (i16x8.narrow_i32x4_s ${get('$c')} ${get('$c')}))
        (local.set $c (v128.and (i8x16.narrow_i16x8_s ${get('$c')} ${get('$c')}) ${get('$one')}))
        (i32.store (i32.add ${get('$py')} ${get('$j')}) (i32x4.extract_lane 0 ${get('$c')}))
        (local.set $j (i32.add ${get('$j')} (i32.const 4)))
        (br $jl)))`;
  return {
    name: `cmp_${name}_${t}`,
    params: i32('$a', '$ra', '$vA', '$b', '$rb', '$vB', '$y', '$rows', '$m'),
    locals: [
      ...i32('$r', '$j', '$pa', '$pb', '$py'),
      ...v128('$va', '$vb', '$c', '$one'),
    ],
    body: `
  (local.set $one (i32x4.splat (i32.const 0x01010101)))
  (block $rd (loop $rl
    (br_if $rd (i32.ge_s ${get('$r')} ${get('$rows')}))
    (local.set $pa (i32.add ${get('$a')} (i32.mul ${get('$r')} ${get('$ra')})))
    (local.set $pb (i32.add ${get('$b')} (i32.mul ${get('$r')} ${get('$rb')})))
    (local.set $py (i32.add ${get('$y')} (i32.mul ${get('$r')} ${get('$m')})))
    (local.set $va (v128.load32_splat ${get('$pa')}))
    (local.set $vb (v128.load32_splat ${get('$pb')}))
    (local.set $j (i32.const 0))
    (if ${get('$vA')}
      (then (if ${get('$vB')} (then ${inner(true, true)}) (else ${inner(true, false)})))
      (else ${inner(false, true)}))
    (local.set $r (i32.add ${get('$r')} (i32.const 1)))
    (br $rl)))`,
  };
}

/** boolToF32(x, y, n): y[i] = x[i] (bytes 0/1) as float32, n rounded up to 4. */
const boolToF32: WasmFunc = {
  name: 'boolToF32',
  params: i32('$x', '$y', '$n'),
  locals: i32('$k'),
  body: `
  (block $done (loop $l
    (br_if $done (i32.ge_s ${get('$k')} ${get('$n')}))
    (v128.store (i32.add ${get('$y')} (i32.shl ${get('$k')} (i32.const 2)))
      (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u
        (v128.load32_zero (i32.add ${get('$x')} ${get('$k')}))))))
    (local.set $k (i32.add ${get('$k')} (i32.const 4)))
    (br $l)))`,
};

export const f32CompareWat: readonly WasmFunc[] = [
  ...COMPARES.flatMap(([n, f, i]) => [
    compare(n, f, 'f32'),
    compare(n, i, 'i32'),
  ]),
  boolToF32,
];
