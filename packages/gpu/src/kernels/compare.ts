/**
 * The comparison kernels: bool (u32) out, one row each. NaN compares
 * unequal to everything, as in JS.
 */
import type { CompareName, NoAttrs } from '@optnet/tensor';
import type { GpuKernel } from '../types.js';
import { elementwise } from './elementwise.js';

const rows: Record<CompareName, string> = {
  equal: 'a == b',
  notEqual: 'a != b',
  less: 'a < b',
  lessEqual: 'a <= b',
  greater: 'a > b',
  greaterEqual: 'a >= b',
};

/** The NaN guard of a float comparison: NaN makes all but notEqual false. */
function guarded(name: CompareName): string {
  const nan = 'is_nan(a) || is_nan(b)';
  if (name === 'notEqual') return `(${rows[name]}) || ${nan}`;
  return `(${rows[name]}) && !(${nan})`;
}

function compareKernel(name: CompareName): GpuKernel<NoAttrs> {
  return (ctx, [a, b], [y]) =>
    elementwise(ctx, {
      label: name,
      operands: [
        { name: 'a', tensor: a },
        { name: 'b', tensor: b },
      ],
      out: y,
      expr: `select(0u, 1u, ${a.dtype === 'float32' ? guarded(name) : rows[name]})`,
    });
}

/** The comparison kernels, one per CompareName. */
export const compareKernels: {
  readonly [K in CompareName]: GpuKernel<NoAttrs>;
} = Object.fromEntries(
  Object.keys(rows).map((n) => [n, compareKernel(n as CompareName)]),
) as { [K in CompareName]: GpuKernel<NoAttrs> };
