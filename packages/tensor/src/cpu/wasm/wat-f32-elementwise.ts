/**
 * Float32 elementwise kernels in WebAssembly SIMD (text format, see
 * assemble.ts), four lanes at a time. Loops run over whole vectors: the
 * last one of an array (or of a row) may read up to 12 bytes past its
 * end and write up to 12 bytes past the output's, which the caller
 * allocates with room for that (cpu/kernels/elementwise-f32.ts); rows are
 * written in order, so a row's spill into the next row's first floats is
 * overwritten by that row.
 */
import type { WasmFunc } from './assemble.js';
import { i32, v128 } from './wat-common.js';
import {
  EXP_LOCALS,
  EXP_SETUP,
  expInline,
  maxOf,
  minOf,
} from './wat-f32-math.js';

const get = (x: string): string => `(local.get ${x})`;
const one = '(f32x4.splat (f32.const 1))';

/**
 * The unary float32 ops with a kernel, as statements setting `$r` from the
 * vector `$v` (locals of EXP_LOCALS free to use).
 */
const UNARY: Record<string, string> = {
  neg: `(local.set $r (f32x4.neg ${get('$v')}))`,
  abs: `(local.set $r (f32x4.abs ${get('$v')}))`,
  // f32x4.max: NaN if either is, and max(−0, 0) = 0
  relu: `(local.set $r (f32x4.max ${get('$v')} (f32x4.splat (f32.const 0))))`,
  square: `(local.set $r (f32x4.mul ${get('$v')} ${get('$v')}))`,
  sqrt: `(local.set $r (f32x4.sqrt ${get('$v')}))`,
  rsqrt: `(local.set $r (f32x4.div ${one} (f32x4.sqrt ${get('$v')})))`,
  reciprocal: `(local.set $r (f32x4.div ${one} ${get('$v')}))`,
  exp: expInline(get('$v'), '$r'),
  // σ(x) = 1 / (1 + e^−x): e^−x overflows to +Inf for x < −88.7, giving 0
  sigmoid: `${expInline(`(f32x4.neg ${get('$v')})`, '$r')}
    (local.set $r (f32x4.div ${one} (f32x4.add ${one} ${get('$r')})))`,
};

/** The unary op names that have a float32 kernel (f32u_<name>). */
export const F32_UNARY: readonly string[] = Object.keys(UNARY);

/** f32u_<op>(x, y, n): y[i] = op(x[i]), i < n rounded up to 4. */
function unary(name: string): WasmFunc {
  return {
    name: `f32u_${name}`,
    params: i32('$x', '$y', '$n'),
    locals: [...i32('$k', '$end'), ...v128('$v', '$r'), ...EXP_LOCALS],
    body: `
  ${EXP_SETUP}
  (local.set $end (i32.shl ${get('$n')} (i32.const 2)))
  (block $done (loop $l
    (br_if $done (i32.ge_s ${get('$k')} ${get('$end')}))
    (local.set $v (v128.load (i32.add ${get('$x')} ${get('$k')})))
    ${UNARY[name]}
    (v128.store (i32.add ${get('$y')} ${get('$k')}) ${get('$r')})
    (local.set $k (i32.add ${get('$k')} (i32.const 16)))
    (br $l)))`,
  };
}

/** The binary float32 ops with a kernel: `$va op $vb` as an f32x4 expression. */
const BINARY: Record<string, string> = {
  add: `(f32x4.add ${get('$va')} ${get('$vb')})`,
  sub: `(f32x4.sub ${get('$va')} ${get('$vb')})`,
  mul: `(f32x4.mul ${get('$va')} ${get('$vb')})`,
  div: `(f32x4.div ${get('$va')} ${get('$vb')})`,
  maximum: maxOf(get('$va'), get('$vb')),
  minimum: minOf(get('$va'), get('$vb')),
};

/** The binary op names that have a float32 kernel (f32b_<name>). */
export const F32_BINARY: readonly string[] = Object.keys(BINARY);

/**
 * f32b_<op>(a, ra, va, b, rb, vb, y, rows, m): y[r, j] = a(r, j) op b(r, j)
 * for rows × m outputs, where an operand with v = 1 is read as a vector
 * (its row r at a + r·ra bytes), with v = 0 as one float per row (at
 * a + r·ra) splat across it: same shapes, a scalar (ra = 0), a row vector
 * repeated (ra = 0, v = 1), a column [rows, 1] (ra = 4, v = 0).
 */
function binary(name: string): WasmFunc {
  const inner = (va: boolean, vb: boolean): string => `
      (block $jd (loop $jl
        (br_if $jd (i32.ge_s ${get('$j')} ${get('$end')}))
        ${va ? `(local.set $va (v128.load (i32.add ${get('$pa')} ${get('$j')})))` : ''}
        ${vb ? `(local.set $vb (v128.load (i32.add ${get('$pb')} ${get('$j')})))` : ''}
        (v128.store (i32.add ${get('$py')} ${get('$j')}) ${BINARY[name]})
        (local.set $j (i32.add ${get('$j')} (i32.const 16)))
        (br $jl)))`;
  return {
    name: `f32b_${name}`,
    params: i32('$a', '$ra', '$vA', '$b', '$rb', '$vB', '$y', '$rows', '$m'),
    locals: [
      ...i32('$r', '$j', '$end', '$pa', '$pb', '$py'),
      ...v128('$va', '$vb'),
    ],
    body: `
  (local.set $end (i32.shl ${get('$m')} (i32.const 2)))
  (block $rd (loop $rl
    (br_if $rd (i32.ge_s ${get('$r')} ${get('$rows')}))
    (local.set $pa (i32.add ${get('$a')} (i32.mul ${get('$r')} ${get('$ra')})))
    (local.set $pb (i32.add ${get('$b')} (i32.mul ${get('$r')} ${get('$rb')})))
    (local.set $py (i32.add ${get('$y')} (i32.mul ${get('$r')} ${get('$end')})))
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

export const f32ElementwiseWat: readonly WasmFunc[] = [
  ...F32_UNARY.map(unary),
  ...F32_BINARY.map(binary),
];
