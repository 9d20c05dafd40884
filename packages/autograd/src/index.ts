/**
 * @optnet/autograd: reverse-mode automatic differentiation for
 * @optnet/tensor. Importing it makes `tensor.backward()` work.
 *
 * @example
 * import { tensor } from '@optnet/tensor';
 * import { grad } from '@optnet/autograd';
 * const g = grad((x) => x.square().sum())(tensor([1, 2, 3])); // [2, 4, 6]
 *
 * @module \@optnet/autograd
 */
import { setBackwardImpl } from '@optnet/tensor';
import { backward } from './backward.js';

setBackwardImpl(backward);

export { backward, runBackward, unbroadcast } from './backward.js';
export {
  grad,
  valueAndGrad,
  vjp,
  noGrad,
  type Pullback,
} from './functional.js';
export {
  definePrimitive,
  type PrimitiveSpec,
  type DefinedPrimitive,
} from './custom.js';
export { vjpRules } from './vjp/rules.js';
export { type VjpRule, type VjpContext, type VjpTable } from './vjp/types.js';
