/**
 * Chainable methods for the matmul ops: `x.matmul(w)`, `x.conv2d(w)`. Each
 * method is the function of the same name in api/matmul.ts with `this` as
 * its first input.
 */
import * as F from '../api/matmul.js';
import { Tensor } from '../tensor.js';

declare module '../tensor.js' {
  interface Tensor {
    /** op(this)·op(b) over the last two axes, batch dims broadcast. */
    matmul(b: Tensor, options?: F.MatmulOptions): Tensor;
    /** 2-D cross-correlation of this NCHW tensor with weight w. */
    conv2d(w: Tensor, options?: F.Conv2dOptions): Tensor;
  }
}

const names = ['matmul', 'conv2d'] as const;

const proto = Tensor.prototype as unknown as Record<string, unknown>;
for (const name of names) {
  const fn = F[name] as (x: Tensor, ...rest: unknown[]) => Tensor;
  proto[name] = function (this: Tensor, ...rest: unknown[]) {
    return fn(this, ...rest);
  };
}
