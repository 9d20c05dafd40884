/** VJPs of the core primitives other than unary and binary math. */
import * as T from '@optnet/tensor';
import type {
  CorePrimitives,
  ComparePrimitives,
  ReducePrimitives,
  Tensor,
} from '@optnet/tensor';
import type { VjpRule, VjpTable } from './types.js';

/**
 * Reshape a reduction's cotangent to keepdims form, then expand to x's shape.
 */
function spread(g: Tensor, x: Tensor, axes: readonly number[]): Tensor {
  return T.expand(T.reshape(g, T.reducedShape(x.shape, axes, true)), x.shape);
}

type ReduceRule = VjpRule<T.ReduceAttrs>;

const sum: ReduceRule = ({ inputs: [x], attrs }, [g]) => [
  spread(g, x, attrs.axes),
];

/**
 * d prod = prod/x_i for x_i ≠ 0. With zeros: one zero in a group gets the
 * product of the others, every other entry 0; two or more zeros give 0.
 */
const prod: ReduceRule = ({ inputs: [x], attrs: { axes } }, [g]) => {
  const isZero = T.equal(x, 0);
  const nz = T.where(isZero, 1, x);
  const pnz = spread(T.prod(nz, axes), x, axes);
  const zeros = spread(T.sum(T.cast(isZero, x.dtype), axes), x, axes);
  const atZero = T.where(T.equal(zeros, 1), pnz, 0);
  const elsewhere = T.where(T.equal(zeros, 0), T.div(pnz, nz), 0);
  return [T.mul(spread(g, x, axes), T.where(isZero, atZero, elsewhere))];
};

/** max/min: the gradient is shared equally among the tied extremes. */
const extreme: ReduceRule = (
  { inputs: [x], outputs: [y], attrs: { axes } },
  [g],
) => {
  const hit = T.cast(T.equal(x, spread(y, x, axes)), x.dtype);
  const count = spread(T.sum(hit, axes), x, axes);
  return [T.mul(spread(g, x, axes), T.div(hit, count))];
};

export const compareVjps: VjpTable<ComparePrimitives> = {
  equal: null,
  notEqual: null,
  less: null,
  lessEqual: null,
  greater: null,
  greaterEqual: null,
};

export const reduceVjps: VjpTable<ReducePrimitives> = {
  sum,
  prod,
  max: extreme,
  min: extreme,
  argmax: null,
  argmin: null,
};

export const coreVjps: VjpTable<CorePrimitives> = {
  where: ({ inputs: [c] }, [g]) => [null, T.where(c, g, 0), T.where(c, 0, g)],
  cast: ({ inputs: [x] }, [g]) => [
    T.isFloat(x.dtype) ? T.cast(g, x.dtype) : null,
  ],
  reshape: ({ inputs: [x] }, [g]) => [T.reshape(g, x.shape)],
  permute: ({ attrs: { perm } }, [g]) => [T.permute(g, T.invertPerm(perm))],
  // expand's output is x broadcast: the walker's un-broadcast sums g back
  expand: (_ctx, [g]) => [g],
};
