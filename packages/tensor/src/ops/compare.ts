/** Comparisons: broadcast like binary ops, return bool. Not differentiable. */
import { defineOp, type KernelOp } from '../op.js';
import { binaryLoop, type RowKernel } from './broadcast-loop.js';
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

// One literal per op so each inlines its comparison (see RowKernel): a
// shared loop calling a per-op function was ~10x slower.
const rows: Record<CompareName, RowKernel> = {
  equal: (out, o, a, ia, la, b, ib, lb, m) => {
    for (let j = 0; j < m; j++)
      out[o + j] = a[ia + j * la] === b[ib + j * lb] ? 1 : 0;
  },
  notEqual: (out, o, a, ia, la, b, ib, lb, m) => {
    for (let j = 0; j < m; j++)
      out[o + j] = a[ia + j * la] !== b[ib + j * lb] ? 1 : 0;
  },
  less: (out, o, a, ia, la, b, ib, lb, m) => {
    for (let j = 0; j < m; j++)
      out[o + j] = a[ia + j * la] < b[ib + j * lb] ? 1 : 0;
  },
  lessEqual: (out, o, a, ia, la, b, ib, lb, m) => {
    for (let j = 0; j < m; j++)
      out[o + j] = a[ia + j * la] <= b[ib + j * lb] ? 1 : 0;
  },
  greater: (out, o, a, ia, la, b, ib, lb, m) => {
    for (let j = 0; j < m; j++)
      out[o + j] = a[ia + j * la] > b[ib + j * lb] ? 1 : 0;
  },
  greaterEqual: (out, o, a, ia, la, b, ib, lb, m) => {
    for (let j = 0; j < m; j++)
      out[o + j] = a[ia + j * la] >= b[ib + j * lb] ? 1 : 0;
  },
};

export const COMPARE_NAMES: readonly CompareName[] = Object.keys(
  rows,
) as CompareName[];

function makeCompare(name: CompareName): KernelOp<NoAttrs> {
  const row = rows[name];
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
