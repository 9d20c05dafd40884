/**
 * Building blocks of the WebAssembly SIMD kernels (text format, see
 * assemble.ts): local-declaration helpers, inline loops that kernels
 * splice into their bodies (V8 does not inline calls between wasm
 * functions, and a call costs as much as a short loop), and the small
 * vector functions every kernel file may call. Addresses are byte
 * addresses into the module's memory; data is float64.
 */
import type { WasmFunc } from './assemble.js';

/**
 * A local of a WasmFunc: [`$name`, type].
 * @example
 * const acc: Local = ['$acc', 'f64'];
 */
export type Local = readonly [string, 'i32' | 'f64' | 'v128'];

/**
 * i32 locals with these names.
 * @example
 * const locals = [...i32('$i', '$n'), ...f64('$s')];
 */
export const i32 = (...names: string[]): Local[] =>
  names.map((n) => [n, 'i32'] as const);

/**
 * f64 locals with these names.
 * @example
 * f64('$s', '$t'); // [['$s', 'f64'], ['$t', 'f64']]
 */
export const f64 = (...names: string[]): Local[] =>
  names.map((n) => [n, 'f64'] as const);

/**
 * v128 (SIMD) locals with these names.
 * @example
 * v128('$acc'); // [['$acc', 'v128']]
 */
export const v128 = (...names: string[]): Local[] =>
  names.map((n) => [n, 'v128'] as const);

/**
 * `text` with each local (or param) in `names` renamed to itself plus
 * `suffix`: the same instructions on a second set of locals, so a kernel
 * can run one snippet for two independent items side by side (their
 * dependency chains then overlap in the CPU).
 * @example
 * withSuffix('(local.get $x)', ['$x'], 'B'); // '(local.get $xB)'
 */
export const withSuffix = (
  text: string,
  names: readonly string[],
  suffix: string,
): string => {
  if (names.length === 0) return text;
  const alt = names.map((n) => n.slice(1)).join('|');
  return text.replace(
    new RegExp(`\\$(${alt})(?![\\w.$])`, 'g'),
    (_, n: string) => `$${n}${suffix}`,
  );
};

/**
 * The same locals with each name suffixed (for withSuffix).
 * @example
 * suffixed(i32('$x'), 'B'); // [['$xB', 'i32']]
 */
export const suffixed = (locals: readonly Local[], suffix: string): Local[] =>
  locals.map(([n, t]) => [n + suffix, t] as const);

/**
 * Sum of the two lanes of an f64x2 local (text to splice into a body).
 * @example
 * const body = `(local.set $s ${hsum('$acc')})`;
 */
export const hsum = (v: string): string =>
  `(f64.add (f64x2.extract_lane 0 (local.get ${v})) (f64x2.extract_lane 1 (local.get ${v})))`;

/**
 * Inline dot product (V8 does not inline calls between wasm functions,
 * and a call costs as much as a short dot): sets `out` to Σ a[k]·b[k],
 * k < len, for byte addresses in locals `a`, `b`. Uses the locals of
 * DOT_LOCALS.
 * @example
 * const dot2: WasmFunc = {
 *   name: 'myDot', result: 'f64',
 *   params: [['$a', 'i32'], ['$b', 'i32'], ['$n', 'i32']],
 *   locals: [...DOT_LOCALS, ...f64('$s')],
 *   body: `${dotInline('$a', '$b', '$n', '$s')} (local.get $s)`,
 * };
 */
export const dotInline = (
  a: string,
  b: string,
  len: string,
  out: string,
): string => `
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
/**
 * The locals dotInline uses: add them to the function's `locals`.
 * @example
 * const locals = [...DOT_LOCALS, ...f64('$s')];
 */
export const DOT_LOCALS: Local[] = [
  ...i32('$dk', '$de4', '$de2'),
  ...v128('$dp', '$dq', '$dzero'),
];

/**
 * Inline y[k] −= alpha·x[k], k < len, for byte addresses in locals `y`,
 * `x` and an f64 local `alpha`. Uses the locals of AXPY_LOCALS.
 * @example
 * const axpy: WasmFunc = {
 *   name: 'myAxpy',
 *   params: [['$y', 'i32'], ['$x', 'i32'], ['$al', 'f64'], ['$n', 'i32']],
 *   locals: AXPY_LOCALS,
 *   body: axpyInline('$y', '$x', '$al', '$n'),
 * };
 */
export const axpyInline = (
  y: string,
  x: string,
  alpha: string,
  len: string,
): string => `
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
/**
 * The locals axpyInline uses: add them to the function's `locals`.
 * @example
 * const locals = [...AXPY_LOCALS, ...i32('$row')];
 */
export const AXPY_LOCALS: Local[] = [
  ...i32('$yk', '$ye2', '$yp'),
  ...v128('$yal'),
];

/**
 * dot(a, b, len) = Σ a[k]·b[k], k < len: dotInline as a function (for short,
 * non-hot dots).
 */
const dot: WasmFunc = {
  name: 'dot',
  params: i32('$a', '$b', '$len'),
  result: 'f64',
  locals: [...f64('$s'), ...DOT_LOCALS],
  body: `${dotInline('$a', '$b', '$len', '$s')}
  (local.get $s)`,
};

/**
 * finite(p, len): 1 if the len float64s at p are all finite, else 0 (x·0 is 0
 * exactly for finite x).
 */
const finite: WasmFunc = {
  name: 'finite',
  params: i32('$p', '$len'),
  result: 'i32',
  locals: [
    ...i32('$k', '$end4', '$end'),
    ...v128('$z', '$y', '$w'),
    ...f64('$s'),
  ],
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

export const commonWat: readonly WasmFunc[] = [finite, dot];
