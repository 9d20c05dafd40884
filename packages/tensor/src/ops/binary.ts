/**
 * Binary elementwise primitives with NumPy broadcasting. Both inputs must
 * share a dtype (numbers passed to the public functions take the tensor's).
 */
import { assertSameDType, type DType } from '../dtype.js';
import { DTypeError } from '../errors.js';
import { defineOp, type KernelOp, type TensorMeta } from '../op.js';
import { broadcastNamed } from '../shape.js';
import { binaryLoop } from './broadcast-loop.js';
import type { NoAttrs } from './unary.js';

export type BinaryName = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum';

const rows: Record<BinaryName, (x: number, y: number) => number> = {
  add: (x: number, y: number) => x + y,
  sub: (x: number, y: number) => x - y,
  mul: (x: number, y: number) => x * y,
  div: (x: number, y: number) => x / y,
  pow: (x: number, y: number) => Math.pow(x, y),
  maximum: (x: number, y: number) => (x > y || x !== x ? x : y),
  minimum: (x: number, y: number) => (x < y || x !== x ? x : y),
};

export const BINARY_NAMES: readonly BinaryName[] = Object.keys(rows) as BinaryName[];

/** Shape rule shared by binary and comparison ops. */
export function binaryMeta(name: string, a: TensorMeta, b: TensorMeta): { shape: number[]; dtype: DType } {
  const dtype = assertSameDType(name, [a.dtype, b.dtype], ['a', 'b']);
  const shape = broadcastNamed(name, [a.shape, b.shape], ['a', 'b']);
  return { shape, dtype };
}

function makeBinary(name: BinaryName): KernelOp<NoAttrs> {
  const f = rows[name];
  return defineOp<NoAttrs>({
    name,
    shape: ([a, b]) => {
      const m = binaryMeta(name, a, b);
      if (m.dtype === 'bool') {
        throw new DTypeError('DTYPE_MISMATCH', `${name}: inputs must be numeric; got bool. Cast first: a.cast('float32').`);
      }
      return [m];
    },
    cpu: ([a, b], [y]) => binaryLoop(y.data, y.shape, a.data, a.shape, b.data, b.shape, f),
  });
}

export type BinaryPrimitives = { readonly [K in BinaryName]: KernelOp<NoAttrs> };

export const binaryPrimitives: BinaryPrimitives = Object.fromEntries(
  BINARY_NAMES.map((n) => [n, makeBinary(n)]),
) as unknown as BinaryPrimitives;
