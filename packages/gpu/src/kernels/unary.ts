/**
 * The unary elementwise kernels: one typed row each, an expression of `x`
 * per storage type, through the elementwise template. Rows follow the
 * reference kernels' definitions where WGSL's builtins differ (log1p,
 * tanh and softplus written stably; NaN kept by sign; sqrt and log of a
 * negative number NaN, as builtins may return anything there).
 */
import type { NoAttrs, UnaryName } from '@optnet/tensor';
import type { GpuKernel } from '../types.js';
import { elementwise } from './elementwise.js';

/** An expression per storage type (i32 only for the numeric ops). */
interface UnaryRow {
  readonly f32: string;
  readonly i32?: string;
}

/** log(1 + x) accurate near 0: log(u)·x/(u − 1) with u = 1 + x rounded. */
const LOG1P = `
fn log1p_(x: f32) -> f32 {
  let u = 1.0 + x;
  if (u == 1.0 || x == inf_f32()) { return x; }
  return log(u) * x / (u - 1.0);
}`;

const rows: Record<UnaryName, UnaryRow> = {
  neg: { f32: '-x', i32: '-x' },
  abs: { f32: 'abs(x)', i32: 'abs(x)' },
  sign: { f32: 'select(sign(x), x, is_nan(x))', i32: 'sign(x)' },
  square: { f32: 'x * x', i32: 'x * x' },
  exp: { f32: 'exp(x)' },
  log: {
    f32: 'select(select(log(x), -inf_f32(), x == 0.0), nan_f32(), x < 0.0)',
  },
  log1p: { f32: 'select(log1p_(x), nan_f32(), x < -1.0)' },
  sqrt: { f32: 'select(sqrt(x), nan_f32(), x < 0.0)' },
  rsqrt: { f32: 'select(1.0 / sqrt(x), nan_f32(), x < 0.0)' },
  reciprocal: { f32: '1.0 / x' },
  sin: { f32: 'sin(x)' },
  cos: { f32: 'cos(x)' },
  // tanh = sign(x)·(1 − e)/(1 + e), e = exp(−2|x|): no overflow.
  tanh: { f32: 'tanh_(x)' },
  // σ(x) without overflow: e^x / (1 + e^x) for x < 0.
  sigmoid: {
    f32: 'select(exp(x) / (1.0 + exp(x)), 1.0 / (1.0 + exp(-x)), x >= 0.0)',
  },
  // max(x, 0) + log1p(e^−|x|), stable both ways.
  softplus: { f32: 'select(0.0, x, x > 0.0) + log1p_(exp(-abs(x)))' },
  // max(x, 0) with NaN kept and −0 → 0, as the reference kernel.
  relu: { f32: 'select(0.0, x, x > 0.0 || is_nan(x))', i32: 'max(x, 0)' },
};

const TANH = `
fn tanh_(x: f32) -> f32 {
  let e = exp(-2.0 * abs(x));
  let t = (1.0 - e) / (1.0 + e);
  return select(-t, t, x >= 0.0 || is_nan(x));
}`;

function unaryKernel(name: UnaryName): GpuKernel<NoAttrs> {
  const row = rows[name];
  return (ctx, [x], [y]) =>
    elementwise(ctx, {
      label: name,
      operands: [{ name: 'x', tensor: x }],
      out: y,
      expr: x.dtype === 'int32' ? row.i32! : row.f32,
      helpers: LOG1P + TANH,
    });
}

/** The unary kernels, one per UnaryName. */
export const unaryKernels: { readonly [K in UnaryName]: GpuKernel<NoAttrs> } =
  Object.fromEntries(
    Object.keys(rows).map((n) => [n, unaryKernel(n as UnaryName)]),
  ) as { [K in UnaryName]: GpuKernel<NoAttrs> };
