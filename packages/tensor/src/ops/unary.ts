/**
 * Unary elementwise primitives, one typed row each. `float` rows accept
 * float32/float64 only; `numeric` rows also accept int32.
 */
import { assertFloat, type DType } from '../dtype.js';
import { DTypeError } from '../errors.js';
import { defineOp, type KernelOp, type TensorMeta } from '../op.js';

export type NoAttrs = Record<string, never>;

interface UnaryRow {
  readonly cpu: (x: number) => number;
  readonly domain: 'float' | 'numeric';
}

export type UnaryName =
  | 'neg' | 'abs' | 'sign' | 'square' | 'exp' | 'log' | 'log1p' | 'sqrt'
  | 'rsqrt' | 'reciprocal' | 'sin' | 'cos' | 'tanh' | 'sigmoid' | 'softplus';

const rows: Record<UnaryName, UnaryRow> = {
  neg: { cpu: (x) => -x, domain: 'numeric' },
  abs: { cpu: (x) => Math.abs(x), domain: 'numeric' },
  sign: { cpu: (x) => Math.sign(x), domain: 'numeric' },
  square: { cpu: (x) => x * x, domain: 'numeric' },
  exp: { cpu: (x) => Math.exp(x), domain: 'float' },
  log: { cpu: (x) => Math.log(x), domain: 'float' },
  log1p: { cpu: (x) => Math.log1p(x), domain: 'float' },
  sqrt: { cpu: (x) => Math.sqrt(x), domain: 'float' },
  rsqrt: { cpu: (x) => 1 / Math.sqrt(x), domain: 'float' },
  reciprocal: { cpu: (x) => 1 / x, domain: 'float' },
  sin: { cpu: (x) => Math.sin(x), domain: 'float' },
  cos: { cpu: (x) => Math.cos(x), domain: 'float' },
  tanh: { cpu: (x) => Math.tanh(x), domain: 'float' },
  // σ(x) without overflow: for x < 0 use e^x / (1 + e^x).
  sigmoid: {
    cpu: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
    domain: 'float',
  },
  // softplus(x) = log(1 + e^x) = max(x, 0) + log1p(e^-|x|), stable both ways.
  softplus: { cpu: (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))), domain: 'float' },
};
export const UNARY_NAMES: readonly UnaryName[] = Object.keys(rows) as UnaryName[];

function unaryShape(name: string, domain: UnaryRow['domain']) {
  return ([x]: readonly TensorMeta[]): TensorMeta[] => {
    if (domain === 'float') assertFloat(name, x.dtype);
    else if (x.dtype === 'bool') {
      throw new DTypeError('DTYPE_MISMATCH', `${name}: x must be numeric; got bool. Cast first: x.cast('float32').`);
    }
    return [{ shape: x.shape, dtype: x.dtype as DType }];
  };
}

function makeUnary(name: UnaryName): KernelOp<NoAttrs> {
  const row: UnaryRow = rows[name];
  const f = row.cpu;
  return defineOp<NoAttrs>({
    name,
    shape: unaryShape(name, row.domain),
    cpu: ([x], [y]) => {
      const a = x.data;
      const out = y.data;
      for (let i = 0; i < a.length; i++) out[i] = f(a[i]);
    },
  });
}

export type UnaryPrimitives = { readonly [K in UnaryName]: KernelOp<NoAttrs> };

export const unaryPrimitives: UnaryPrimitives = Object.fromEntries(
  UNARY_NAMES.map((n) => [n, makeUnary(n)]),
) as unknown as UnaryPrimitives;
