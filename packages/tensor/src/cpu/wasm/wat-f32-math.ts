/**
 * f32x4 building blocks for the float32 elementwise kernels (text format,
 * see assemble.ts): exp as a splice-in statement (WebAssembly has no exp
 * instruction), and the NaN-propagating maximum and minimum of the JS
 * kernels.
 */
import { v128, type Local } from './wat-common.js';

const get = (x: string): string => `(local.get ${x})`;
const splat = (c: number): string => `(f32x4.splat (f32.const ${c}))`;

/**
 * Sets v128 local `out` to e^x lane by lane for the f32x4 expression `x`
 * (Cody–Waite reduction x = n·ln2 + r, |r| ≤ ln2/2, then Cephes' degree-6
 * polynomial for e^r, scaled by 2^n as 2^⌊n/2⌋·2^(n−⌊n/2⌋) so that each
 * factor is a normal float and results below 2^−126 round as subnormals):
 * within 2 ulp of the rounded e^x. x is clamped to [−104, 89], where
 * e^x is 0 and +Inf in float32; NaN stays NaN (pmin/pmax keep their first
 * operand). n comes from the float's bits: x·log2(e) + 1.5·2^23 rounds to
 * an integer n held in the low mantissa bits. Uses EXP_LOCALS.
 * @example
 * const body = `${expInline('(v128.load (local.get $p))', '$y')}`;
 */
export const expInline = (x: string, out: string): string => `
    (local.set $ex (f32x4.pmax (f32x4.pmin ${x} ${get('$k89')}) ${get('$k104')}))
    (local.set $en (f32x4.add (f32x4.mul ${get('$ex')} ${get('$klog2e')}) ${get('$kmagic')}))
    (local.set $ei (i32x4.sub ${get('$en')} ${get('$kbits')}))
    (local.set $en (f32x4.sub ${get('$en')} ${get('$kmagic')}))
    (local.set $ey (f32x4.sub (f32x4.sub ${get('$ex')} (f32x4.mul ${get('$en')} ${get('$kln2hi')}))
      (f32x4.mul ${get('$en')} ${get('$kln2lo')})))
    (local.set $ep (f32x4.add (f32x4.mul ${get('$kp0')} ${get('$ey')}) ${get('$kp1')}))
    (local.set $ep (f32x4.add (f32x4.mul ${get('$ep')} ${get('$ey')}) ${get('$kp2')}))
    (local.set $ep (f32x4.add (f32x4.mul ${get('$ep')} ${get('$ey')}) ${get('$kp3')}))
    (local.set $ep (f32x4.add (f32x4.mul ${get('$ep')} ${get('$ey')}) ${get('$kp4')}))
    (local.set $ep (f32x4.add (f32x4.mul ${get('$ep')} ${get('$ey')}) ${get('$kp5')}))
    (local.set $ep (f32x4.add (f32x4.add (f32x4.mul (f32x4.mul ${get('$ep')} ${get('$ey')}) ${get('$ey')}) ${get('$ey')}) ${get('$kone')}))
    ;; 2^n in two halves: n1 = n >> 1, n2 = n − n1, each (k + 127) << 23
    (local.set $eh (i32x4.shr_s ${get('$ei')} (i32.const 1)))
    (local.set $ep (f32x4.mul ${get('$ep')} (i32x4.shl (i32x4.add ${get('$eh')} ${get('$k127')}) (i32.const 23))))
    (local.set ${out} (f32x4.mul ${get('$ep')} (i32x4.shl (i32x4.add (i32x4.sub ${get('$ei')} ${get('$eh')}) ${get('$k127')}) (i32.const 23))))`;

/**
 * Statements to run once before a loop that splices expInline: its
 * constants, splat into locals (V8 would otherwise rebuild each splat on
 * every iteration).
 * @example const body = `${EXP_SETUP} (loop ...)`;
 */
export const EXP_SETUP: string = `
    (local.set $k89 ${splat(89)})
    (local.set $k104 ${splat(-104)})
    (local.set $klog2e ${splat(1.4426950408889634)})
    (local.set $kmagic ${splat(12582912)})
    (local.set $kln2hi ${splat(0.693359375)})
    (local.set $kln2lo ${splat(-2.1219444e-4)})
    (local.set $kp0 ${splat(1.98756915e-4)})
    (local.set $kp1 ${splat(1.3981999507e-3)})
    (local.set $kp2 ${splat(8.3334519073e-3)})
    (local.set $kp3 ${splat(4.1665795894e-2)})
    (local.set $kp4 ${splat(1.6666665459e-1)})
    (local.set $kp5 ${splat(5.0000001201e-1)})
    (local.set $kone ${splat(1)})
    (local.set $kbits (i32x4.splat (i32.const 0x4b400000)))
    (local.set $k127 (i32x4.splat (i32.const 127)))`;

/**
 * The locals expInline uses.
 * @example const locals = [...EXP_LOCALS, ...v128('$y')];
 */
export const EXP_LOCALS: Local[] = v128(
  '$ex',
  '$ey',
  '$en',
  '$ep',
  '$ei',
  '$eh',
  '$k89',
  '$k104',
  '$klog2e',
  '$kmagic',
  '$kln2hi',
  '$kln2lo',
  '$kp0',
  '$kp1',
  '$kp2',
  '$kp3',
  '$kp4',
  '$kp5',
  '$kone',
  '$kbits',
  '$k127',
);

/**
 * max(a, b) as the JS kernels compute it (a > b || a is NaN ? a : b), for
 * f32x4 expressions `a`, `b` (each evaluated once: pass locals).
 * @example const m = maxOf('(local.get $a)', '(local.get $b)');
 */
export const maxOf = (a: string, b: string): string =>
  `(v128.bitselect ${a} (f32x4.pmax ${b} ${a}) (f32x4.ne ${a} ${a}))`;

/**
 * min(a, b) as the JS kernels compute it (a < b || a is NaN ? a : b).
 * @example const m = minOf('(local.get $a)', '(local.get $b)');
 */
export const minOf = (a: string, b: string): string =>
  `(v128.bitselect ${a} (f32x4.pmin ${b} ${a}) (f32x4.ne ${a} ${a}))`;
