/** Chainable methods for the movement ops: `x.flip(0)`. */
import * as F from '../api/movement.js';
import { Tensor } from '../tensor.js';

declare module '../tensor.js' {
  interface Tensor {
    flip(axes?: number | readonly number[]): Tensor;
  }
}

Tensor.prototype.flip = function (this: Tensor, axes?: number | readonly number[]): Tensor {
  return F.flip(this, axes);
};
