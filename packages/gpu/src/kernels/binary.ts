/**
 * The binary elementwise kernels (inputs broadcast): one typed row each.
 * Rows match the reference kernels where WGSL differs from JS: maximum
 * and minimum propagate NaN; int32 division by 0 is 0 (JS: ±Inf stored
 * to an Int32Array); pow of a negative base follows Math.pow (an odd
 * integer exponent keeps the sign, a fractional one is NaN), and int32 pow
 * multiplies exactly.
 */
import type { BinaryName, NoAttrs } from '@optnet/tensor';
import type { GpuKernel } from '../types.js';
import { elementwise } from './elementwise.js';

interface BinaryRow {
  readonly f32: string;
  readonly i32: string;
}

const POW = `
fn pow_f(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (is_nan(a) || is_nan(b)) { return nan_f32(); }
  if (a == 0.0) { return select(inf_f32(), 0.0, b > 0.0); }
  let m = pow(abs(a), b);
  if (a > 0.0) { return m; }
  if (floor(b) != b) { return nan_f32(); }
  let odd = abs(b) < 16777216.0 && b - 2.0 * floor(b * 0.5) == 1.0;
  return select(m, -m, odd);
}
fn pow_i(a: i32, b: i32) -> i32 {
  if (b < 0) {
    // 1/a^|b| truncated: only ±1 survive
    if (a == 1) { return 1; }
    if (a == -1) { return select(1, -1, (b & 1) != 0); }
    return 0;
  }
  var r: i32 = 1;
  var x = a;
  var e = b;
  loop {
    if (e == 0) { break; }
    if ((e & 1) != 0) { r = r * x; }
    x = x * x;
    e = e >> 1u;
  }
  return r;
}`;

const rows: Record<BinaryName, BinaryRow> = {
  add: { f32: 'a + b', i32: 'a + b' },
  sub: { f32: 'a - b', i32: 'a - b' },
  mul: { f32: 'a * b', i32: 'a * b' },
  div: { f32: 'a / b', i32: 'select(a / b, 0, b == 0)' },
  pow: { f32: 'pow_f(a, b)', i32: 'pow_i(a, b)' },
  maximum: { f32: 'select(b, a, a > b || is_nan(a))', i32: 'max(a, b)' },
  minimum: { f32: 'select(b, a, a < b || is_nan(a))', i32: 'min(a, b)' },
};

function binaryKernel(name: BinaryName): GpuKernel<NoAttrs> {
  const row = rows[name];
  return (ctx, [a, b], [y]) =>
    elementwise(ctx, {
      label: name,
      operands: [
        { name: 'a', tensor: a },
        { name: 'b', tensor: b },
      ],
      out: y,
      expr: a.dtype === 'float32' ? row.f32 : row.i32,
      helpers: name === 'pow' ? POW : '',
    });
}

/** The binary kernels, one per BinaryName. */
export const binaryKernels: {
  readonly [K in BinaryName]: GpuKernel<NoAttrs>;
} = Object.fromEntries(
  Object.keys(rows).map((n) => [n, binaryKernel(n as BinaryName)]),
) as { [K in BinaryName]: GpuKernel<NoAttrs> };
