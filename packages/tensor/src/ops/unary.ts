/**
 * Unary elementwise primitives, one typed row each. `float` rows accept
 * float32/float64 only; `numeric` rows also accept int32.
 */
import { assertFloat, type DType, type TypedArray } from '../dtype.js';
import { DTypeError } from '../errors.js';
import { defineOp, type KernelOp, type TensorMeta } from '../op.js';

/**
 * The attributes of a primitive that takes none: pass `{}`.
 * @example
 * const attrs: NoAttrs = {};
 * apply1(primitives.exp, [tensor([0])], attrs); // [1]
 */
export type NoAttrs = Record<string, never>;

/**
 * A row: its domain and its CPU loop over the whole array. Each op has its
 * own loop literal so V8 inlines the arithmetic; one shared loop calling a
 * per-op `f(x)` per element was 5-10x slower (the call site sees every op
 * and stays megamorphic), which showed in the QP solver's many small ops.
 */
interface UnaryRow {
  readonly cpu: (a: TypedArray, out: TypedArray) => void;
  readonly domain: 'float' | 'numeric';
}

/**
 * The name of a unary elementwise primitive.
 * @example
 * const name: UnaryName = 'tanh';
 * apply1(primitives[name], [tensor([0])], {}); // [0]
 */
export type UnaryName =
  | 'neg'
  | 'abs'
  | 'sign'
  | 'square'
  | 'exp'
  | 'log'
  | 'log1p'
  | 'sqrt'
  | 'rsqrt'
  | 'reciprocal'
  | 'sin'
  | 'cos'
  | 'tanh'
  | 'sigmoid'
  | 'softplus'
  | 'relu';

const rows: Record<UnaryName, UnaryRow> = {
  neg: {
    cpu: (a, out) => {
      for (let i = 0; i < a.length; i++) out[i] = -a[i];
    },
    domain: 'numeric',
  },
  abs: {
    cpu: (a, out) => {
      for (let i = 0; i < a.length; i++) out[i] = Math.abs(a[i]);
    },
    domain: 'numeric',
  },
  sign: {
    cpu: (a, out) => {
      for (let i = 0; i < a.length; i++) out[i] = Math.sign(a[i]);
    },
    domain: 'numeric',
  },
  square: {
    cpu: (a, out) => {
      for (let i = 0; i < a.length; i++) out[i] = a[i] * a[i];
    },
    domain: 'numeric',
  },
  exp: {
    cpu: (a, out) => {
      for (let i = 0; i < a.length; i++) out[i] = Math.exp(a[i]);
    },
    domain: 'float',
  },
  log: {
    cpu: (a, out) => {
      for (let i = 0; i < a.length; i++) out[i] = Math.log(a[i]);
    },
    domain: 'float',
  },
  log1p: {
    cpu: (a, out) => {
      for (let i = 0; i < a.length; i++) out[i] = Math.log1p(a[i]);
    },
    domain: 'float',
  },
  sqrt: {
    cpu: (a, out) => {
      for (let i = 0; i < a.length; i++) out[i] = Math.sqrt(a[i]);
    },
    domain: 'float',
  },
  rsqrt: {
    cpu: (a, out) => {
      for (let i = 0; i < a.length; i++) out[i] = 1 / Math.sqrt(a[i]);
    },
    domain: 'float',
  },
  reciprocal: {
    cpu: (a, out) => {
      for (let i = 0; i < a.length; i++) out[i] = 1 / a[i];
    },
    domain: 'float',
  },
  sin: {
    cpu: (a, out) => {
      for (let i = 0; i < a.length; i++) out[i] = Math.sin(a[i]);
    },
    domain: 'float',
  },
  cos: {
    cpu: (a, out) => {
      for (let i = 0; i < a.length; i++) out[i] = Math.cos(a[i]);
    },
    domain: 'float',
  },
  tanh: {
    cpu: (a, out) => {
      for (let i = 0; i < a.length; i++) out[i] = Math.tanh(a[i]);
    },
    domain: 'float',
  },
  // σ(x) without overflow: for x < 0 use e^x / (1 + e^x).
  sigmoid: {
    cpu: (a, out) => {
      for (let i = 0; i < a.length; i++) {
        const x = a[i];
        out[i] =
          x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
      }
    },
    domain: 'float',
  },
  // softplus(x) = log(1 + e^x) = max(x, 0) + log1p(e^-|x|), stable both ways.
  softplus: {
    cpu: (a, out) => {
      for (let i = 0; i < a.length; i++) {
        const x = a[i];
        out[i] = Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
      }
    },
    domain: 'float',
  },
  // max(x, 0), NaN kept, −0 → 0 (as PyTorch).
  relu: {
    cpu: (a, out) => {
      for (let i = 0; i < a.length; i++) {
        const x = a[i];
        out[i] = x <= 0 ? 0 : x;
      }
    },
    domain: 'numeric',
  },
};
export const UNARY_NAMES: readonly UnaryName[] = Object.keys(
  rows,
) as UnaryName[];

function unaryShape(name: string, domain: UnaryRow['domain']) {
  return ([x]: readonly TensorMeta[]): TensorMeta[] => {
    if (domain === 'float') assertFloat(name, x.dtype);
    else if (x.dtype === 'bool') {
      throw new DTypeError(
        'DTYPE_MISMATCH',
        `${name}: x must be numeric; got bool. Cast first: x.cast('float32').`,
      );
    }
    return [{ shape: x.shape, dtype: x.dtype as DType }];
  };
}

function makeUnary(name: UnaryName): KernelOp<NoAttrs> {
  const row: UnaryRow = rows[name];
  const loop = row.cpu;
  return defineOp<NoAttrs>({
    name,
    shape: unaryShape(name, row.domain),
    cpu: ([x], [y]) => loop(x.data, y.data),
  });
}

/**
 * The unary elementwise primitives (part of `Primitives`), one per
 * UnaryName.
 * @example
 * const op: UnaryPrimitives['sqrt'] = primitives.sqrt;
 */
export type UnaryPrimitives = { readonly [K in UnaryName]: KernelOp<NoAttrs> };

export const unaryPrimitives: UnaryPrimitives = Object.fromEntries(
  UNARY_NAMES.map((n) => [n, makeUnary(n)]),
) as unknown as UnaryPrimitives;
