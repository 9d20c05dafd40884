/** Chainable methods for the movement ops: `x.slice([{ step: -1 }]).flip(0)`. */
import * as F from '../api/movement.js';
import type { SliceSpec } from '../ops/slice.js';
import { Tensor } from '../tensor.js';

declare module '../tensor.js' {
  interface Tensor {
    slice(specs: readonly SliceSpec[]): Tensor;
    pad(pads: readonly (readonly [number, number])[], value?: number): Tensor;
    flip(axes?: number | readonly number[]): Tensor;
  }
}

Tensor.prototype.slice = function (this: Tensor, specs: readonly SliceSpec[]): Tensor {
  return F.slice(this, specs);
};
Tensor.prototype.pad = function (this: Tensor, pads: readonly (readonly [number, number])[], value?: number): Tensor {
  return F.pad(this, pads, value);
};
Tensor.prototype.flip = function (this: Tensor, axes?: number | readonly number[]): Tensor {
  return F.flip(this, axes);
};
