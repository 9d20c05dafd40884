/**
 * Chainable methods for the movement ops: `x.slice([{ step: -1 }]).flip(0)`.
 */
import * as F from '../api/movement.js';
import type { SliceSpec } from '../ops/slice.js';
import type { DType } from '../dtype.js';
import { Tensor } from '../tensor.js';

declare module '../tensor.js' {
  interface Tensor {
    /** NumPy basic slicing: one {start, stop, step} per leading axis. */
    slice(specs: readonly SliceSpec[]): Tensor;
    /** Merge the axes startAxis … endAxis (inclusive) into one. */
    flatten(startAxis?: number, endAxis?: number): Tensor;
    /** Constant padding: pads[a] = [before, after] for every axis. */
    pad(pads: readonly (readonly [number, number])[], value?: number): Tensor;
    /** Reverse the order along `axes` (default all). */
    flip(axes?: number | readonly number[]): Tensor;
    /** out[i] = this[i with i[axis] = indices[i]] (torch.gather). */
    gather(indices: Tensor, axis: number): Tensor;
    /** Pick entries `indices` (1-D int32) along `axis`. */
    indexSelect(axis: number, indices: Tensor): Tensor;
    /** One-hot encoding of these int32 indices along a new last axis. */
    oneHot(depth: number, options?: { dtype?: DType }): Tensor;
  }
}

Tensor.prototype.slice = function (
  this: Tensor,
  specs: readonly SliceSpec[],
): Tensor {
  return F.slice(this, specs);
};
Tensor.prototype.flatten = function (
  this: Tensor,
  startAxis?: number,
  endAxis?: number,
): Tensor {
  return F.flatten(this, startAxis, endAxis);
};
Tensor.prototype.pad = function (
  this: Tensor,
  pads: readonly (readonly [number, number])[],
  value?: number,
): Tensor {
  return F.pad(this, pads, value);
};
Tensor.prototype.flip = function (
  this: Tensor,
  axes?: number | readonly number[],
): Tensor {
  return F.flip(this, axes);
};
Tensor.prototype.gather = function (
  this: Tensor,
  indices: Tensor,
  axis: number,
): Tensor {
  return F.gather(this, indices, axis);
};
Tensor.prototype.indexSelect = function (
  this: Tensor,
  axis: number,
  indices: Tensor,
): Tensor {
  return F.indexSelect(this, axis, indices);
};
Tensor.prototype.oneHot = function (
  this: Tensor,
  depth: number,
  options?: { dtype?: DType },
): Tensor {
  return F.oneHot(this, depth, options);
};
