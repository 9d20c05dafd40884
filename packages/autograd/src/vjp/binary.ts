/**
 * VJPs of the binary elementwise primitives. Results have the broadcast
 * output shape; the walker sums them down to each input's shape.
 */
import * as T from '@optnet/tensor';
import type { NoAttrs, Tensor } from '@optnet/tensor';
import type { VjpRule } from './types.js';

type Binary = (
  a: Tensor,
  b: Tensor,
  y: Tensor,
  g: Tensor,
) => [Tensor | null, Tensor | null];

function rule(f: Binary): VjpRule<NoAttrs> {
  return ({ inputs: [a, b], outputs: [y] }, [g]) => f(a, b, y, g);
}

/** Ties share the gradient equally (as PyTorch's maximum/minimum do). */
function select(
  a: Tensor,
  b: Tensor,
  g: Tensor,
  pick: typeof T.greater,
): [Tensor, Tensor] {
  const wa = T.add(
    T.cast(pick(a, b), g.dtype),
    T.mul(T.cast(T.equal(a, b), g.dtype), 0.5),
  );
  return [T.mul(g, wa), T.mul(g, T.sub(1, wa))];
}

export const binaryVjps: Record<T.BinaryName, VjpRule<NoAttrs>> = {
  add: rule((_a, _b, _y, g) => [g, g]),
  sub: rule((_a, _b, _y, g) => [g, T.neg(g)]),
  mul: rule((a, b, _y, g) => [T.mul(g, b), T.mul(g, a)]),
  // d(a/b) = da/b - (a/b²) db = da/b - y db/b
  div: rule((_a, b, y, g) => {
    const gb = T.div(g, b);
    return [gb, T.neg(T.mul(gb, y))];
  }),
  // d(a^b) = b a^(b-1) da + a^b log(a) db; the db term is taken as 0 where a ≤
  // 0
  pow: rule((a, b, y, g) => {
    const da = T.mul(g, T.mul(b, T.pow(a, T.sub(b, 1))));
    const pos = T.greater(a, 0);
    const logA = T.log(T.where(pos, a, 1));
    return [da, T.mul(g, T.where(pos, T.mul(y, logA), 0))];
  }),
  maximum: rule((a, b, _y, g) => select(a, b, g, T.greater)),
  minimum: rule((a, b, _y, g) => select(a, b, g, T.less)),
};
