/**
 * Binary elementwise primitives with NumPy broadcasting. Both inputs must
 * share a dtype (numbers passed to the public functions take the tensor's).
 */
import { assertSameDType, type DType } from '../dtype.js';
import { DTypeError } from '../errors.js';
import { defineOp, type KernelOp, type TensorMeta } from '../op.js';
import { broadcastNamed } from '../shape.js';
import { binaryLoop, type RowKernel } from './broadcast-loop.js';
import type { NoAttrs } from './unary.js';

/**
 * The name of a binary elementwise primitive (inputs broadcast).
 * @example
 * const name: BinaryName = 'maximum';
 * apply1(primitives[name], [tensor([1, 5]), tensor([3, 2])], {}); // [3, 5]
 */
export type BinaryName =
  'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum';

// One literal per op so each inlines its arithmetic (see RowKernel).
const kernels: Record<BinaryName, RowKernel> = {
  add: (out, o, a, ia, la, b, ib, lb, m) => {
    for (let j = 0; j < m; j++) out[o + j] = a[ia + j * la] + b[ib + j * lb];
  },
  sub: (out, o, a, ia, la, b, ib, lb, m) => {
    for (let j = 0; j < m; j++) out[o + j] = a[ia + j * la] - b[ib + j * lb];
  },
  mul: (out, o, a, ia, la, b, ib, lb, m) => {
    for (let j = 0; j < m; j++) out[o + j] = a[ia + j * la] * b[ib + j * lb];
  },
  div: (out, o, a, ia, la, b, ib, lb, m) => {
    for (let j = 0; j < m; j++) out[o + j] = a[ia + j * la] / b[ib + j * lb];
  },
  pow: (out, o, a, ia, la, b, ib, lb, m) => {
    for (let j = 0; j < m; j++)
      out[o + j] = Math.pow(a[ia + j * la], b[ib + j * lb]);
  },
  maximum: (out, o, a, ia, la, b, ib, lb, m) => {
    for (let j = 0; j < m; j++) {
      const x = a[ia + j * la];
      const y = b[ib + j * lb];
      out[o + j] = x > y || x !== x ? x : y;
    }
  },
  minimum: (out, o, a, ia, la, b, ib, lb, m) => {
    for (let j = 0; j < m; j++) {
      const x = a[ia + j * la];
      const y = b[ib + j * lb];
      out[o + j] = x < y || x !== x ? x : y;
    }
  },
};

export const BINARY_NAMES: readonly BinaryName[] = Object.keys(
  kernels,
) as BinaryName[];

/** Shape rule shared by binary and comparison ops. */
export function binaryMeta(
  name: string,
  a: TensorMeta,
  b: TensorMeta,
): { shape: number[]; dtype: DType } {
  const dtype = assertSameDType(name, [a.dtype, b.dtype], ['a', 'b']);
  const shape = broadcastNamed(name, [a.shape, b.shape], ['a', 'b']);
  return { shape, dtype };
}

function makeBinary(name: BinaryName): KernelOp<NoAttrs> {
  const row = kernels[name];
  return defineOp<NoAttrs>({
    name,
    shape: ([a, b]) => {
      const m = binaryMeta(name, a, b);
      if (m.dtype === 'bool') {
        throw new DTypeError(
          'DTYPE_MISMATCH',
          `${name}: inputs must be numeric; got bool. Cast first: a.cast('float32').`,
        );
      }
      return [m];
    },
    cpu: ([a, b], [y]) =>
      binaryLoop(y.data, y.shape, a.data, a.shape, b.data, b.shape, row),
  });
}

/**
 * The binary elementwise primitives (part of `Primitives`), one per
 * BinaryName.
 * @example
 * const op: BinaryPrimitives['add'] = primitives.add;
 */
export type BinaryPrimitives = {
  readonly [K in BinaryName]: KernelOp<NoAttrs>;
};

export const binaryPrimitives: BinaryPrimitives = Object.fromEntries(
  BINARY_NAMES.map((n) => [n, makeBinary(n)]),
) as unknown as BinaryPrimitives;
