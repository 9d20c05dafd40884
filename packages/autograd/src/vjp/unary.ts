/** VJPs of the unary elementwise primitives: ct_x = g · f'(x). */
import * as T from '@optnet/tensor';
import type { NoAttrs, Tensor } from '@optnet/tensor';
import type { VjpRule } from './types.js';

type Unary = (x: Tensor, y: Tensor, g: Tensor) => Tensor | null;

function rule(f: Unary): VjpRule<NoAttrs> {
  return ({ inputs: [x], outputs: [y] }, [g]) => [f(x, y, g)];
}

export const unaryVjps: Record<T.UnaryName, VjpRule<NoAttrs>> = {
  neg: rule((_x, _y, g) => T.neg(g)),
  // d|x| = sign(x) dx (0 at 0, the subgradient PyTorch uses)
  abs: rule((x, _y, g) => T.mul(g, T.sign(x))),
  // sign is piecewise constant: zero gradient
  sign: rule(() => null),
  square: rule((x, _y, g) => T.mul(g, T.mul(x, 2))),
  exp: rule((_x, y, g) => T.mul(g, y)),
  log: rule((x, _y, g) => T.div(g, x)),
  log1p: rule((x, _y, g) => T.div(g, T.add(x, 1))),
  // d√x = dx / (2√x)
  sqrt: rule((_x, y, g) => T.div(g, T.mul(y, 2))),
  // d x^{-1/2} = -½ x^{-3/2} dx = -½ y³ dx
  rsqrt: rule((_x, y, g) => T.mul(g, T.mul(T.mul(T.square(y), y), -0.5))),
  // d(1/x) = -x^-2 dx = -y² dx
  reciprocal: rule((_x, y, g) => T.neg(T.mul(g, T.square(y)))),
  sin: rule((x, _y, g) => T.mul(g, T.cos(x))),
  cos: rule((x, _y, g) => T.neg(T.mul(g, T.sin(x)))),
  // d tanh = (1 - y²) dx
  tanh: rule((_x, y, g) => T.mul(g, T.sub(1, T.square(y)))),
  // dσ = σ(1 - σ) dx
  sigmoid: rule((_x, y, g) => T.mul(g, T.mul(y, T.sub(1, y)))),
  // d softplus = σ(x) dx
  softplus: rule((x, _y, g) => T.mul(g, T.sigmoid(x))),
  // d relu = 0 where x ≤ 0 (at 0 too), else 1, selected as PyTorch's
  // threshold_backward does: an infinite or NaN g where x ≤ 0 gives 0, and
  // x = NaN passes g
  relu: rule((x, _y, g) => T.where(T.lessEqual(x, 0), 0, g)),
};
