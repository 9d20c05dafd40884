/** Comparisons: broadcast like binary ops, return bool. Not differentiable. */
import { defineOp, type KernelOp } from '../op.js';
import { binaryLoop, rowKernelOf } from './broadcast-loop.js';
import { binaryMeta } from './binary.js';
import type { NoAttrs } from './unary.js';

/**
 * The name of a comparison primitive (bool output, no gradient).
 * @example
 * const name: CompareName = 'less';
 * apply1(primitives[name], [tensor([1, 5]), tensor([3, 2])], {}); // [T, F]
 */
export type CompareName =
  'equal' | 'notEqual' | 'less' | 'lessEqual' | 'greater' | 'greaterEqual';

const rows: Record<CompareName, (x: number, y: number) => number> = {
  equal: (x: number, y: number) => (x === y ? 1 : 0),
  notEqual: (x: number, y: number) => (x !== y ? 1 : 0),
  less: (x: number, y: number) => (x < y ? 1 : 0),
  lessEqual: (x: number, y: number) => (x <= y ? 1 : 0),
  greater: (x: number, y: number) => (x > y ? 1 : 0),
  greaterEqual: (x: number, y: number) => (x >= y ? 1 : 0),
};

export const COMPARE_NAMES: readonly CompareName[] = Object.keys(
  rows,
) as CompareName[];

function makeCompare(name: CompareName): KernelOp<NoAttrs> {
  const row = rowKernelOf(rows[name]);
  return defineOp<NoAttrs>({
    name,
    shape: ([a, b]) => [{ shape: binaryMeta(name, a, b).shape, dtype: 'bool' }],
    cpu: ([a, b], [y]) =>
      binaryLoop(y.data, y.shape, a.data, a.shape, b.data, b.shape, row),
  });
}

/**
 * The comparison primitives (part of `Primitives`), one per CompareName.
 * @example
 * const op: ComparePrimitives['equal'] = primitives.equal;
 */
export type ComparePrimitives = {
  readonly [K in CompareName]: KernelOp<NoAttrs>;
};

export const comparePrimitives: ComparePrimitives = Object.fromEntries(
  COMPARE_NAMES.map((n) => [n, makeCompare(n)]),
) as unknown as ComparePrimitives;
