/**
 * softmax and logSoftmax along one axis, max-subtracted so that large
 * logits do not overflow. attrs.axis is normalized (0 ≤ axis < rank).
 */
import { assertFloat } from '../dtype.js';
import {
  defineOp,
  type CpuTensor,
  type KernelOp,
  type TensorMeta,
} from '../op.js';
import { normalizeAxis, sizeOf } from '../shape.js';

/**
 * Attributes of softmax and logSoftmax.
 * @example
 * const attrs: SoftmaxAttrs = { axis: 1 };
 * apply1(primitives.softmax, [zeros([2, 4])], attrs); // rows of 0.25
 */
export interface SoftmaxAttrs {
  /** Normalized axis. */
  readonly axis: number;
}

function softmaxShape(name: string) {
  return ([x]: readonly TensorMeta[], { axis }: SoftmaxAttrs): TensorMeta[] => {
    assertFloat(name, x.dtype);
    normalizeAxis(name, axis, x.shape.length);
    return [{ shape: x.shape, dtype: x.dtype }];
  };
}

function softmaxInto(
  x: CpuTensor,
  y: CpuTensor,
  axis: number,
  log: boolean,
): void {
  const n = x.shape[axis];
  const inner = sizeOf(x.shape.slice(axis + 1));
  const outer = sizeOf(x.shape.slice(0, axis));
  const a = x.data;
  const out = y.data;
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < inner; k++) {
      const base = o * n * inner + k;
      let m = -Infinity;
      for (let j = 0; j < n; j++) {
        const v = a[base + j * inner];
        if (v > m || v !== v) m = v;
      }
      // All -Infinity: subtract 0 so the row gives NaN (0/0) like PyTorch, not
      // -Inf - -Inf.
      if (m === -Infinity) m = 0;
      let s = 0;
      for (let j = 0; j < n; j++) s += Math.exp(a[base + j * inner] - m);
      if (log) {
        const ls = Math.log(s) + m;
        for (let j = 0; j < n; j++)
          out[base + j * inner] = a[base + j * inner] - ls;
      } else {
        for (let j = 0; j < n; j++)
          out[base + j * inner] = Math.exp(a[base + j * inner] - m) / s;
      }
    }
  }
}

export const softmax: KernelOp<SoftmaxAttrs> = defineOp<SoftmaxAttrs>({
  name: 'softmax',
  shape: softmaxShape('softmax'),
  cpu: ([x], [y], { axis }) => softmaxInto(x, y, axis, false),
});

export const logSoftmax: KernelOp<SoftmaxAttrs> = defineOp<SoftmaxAttrs>({
  name: 'logSoftmax',
  shape: softmaxShape('logSoftmax'),
  cpu: ([x], [y], { axis }) => softmaxInto(x, y, axis, true),
});
