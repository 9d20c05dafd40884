/**
 * 2-d max and average pooling over NCHW tensors, and their backward
 * kernels (used by the VJP rules). Windows use PyTorch's geometry:
 * out = floor((in + 2·padding − kernel) / stride) + 1. Max pooling ignores
 * padding; average pooling counts it (count_include_pad = true).
 */
import { assertFloat, assertSameDType } from '../dtype.js';
import { ShapeError } from '../errors.js';
import {
  defineOp,
  type CpuTensor,
  type KernelOp,
  type TensorMeta,
} from '../op.js';
import { fmtShape, shapesEqual } from '../shape.js';

/**
 * Attributes of the 2-d pooling primitives.
 * @example
 * const attrs: Pool2dAttrs = {
 *   kernel: [2, 2], stride: [2, 2], padding: [0, 0],
 * };
 * apply1(primitives.maxPool2d, [ones([1, 1, 4, 4])], attrs); // [1, 1, 2, 2]
 */
export interface Pool2dAttrs {
  /** Window size, [kh, kw]. */
  readonly kernel: readonly [number, number];
  /** Step between windows, [sh, sw]. */
  readonly stride: readonly [number, number];
  /** Padding on each side, at most half the kernel, [ph, pw]. */
  readonly padding: readonly [number, number];
}

/** Output [N, C, Ho, Wo] of a pooling of x; validates x and attrs. */
export function pool2dShape(
  name: string,
  x: TensorMeta,
  { kernel, stride, padding }: Pool2dAttrs,
): number[] {
  assertFloat(name, x.dtype);
  if (x.shape.length !== 4) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `${name}: x must be NCHW (rank 4); got ${fmtShape(x.shape)}. Unsqueeze a batch axis with x.unsqueeze(0).`,
    );
  }
  const ints = (v: readonly number[], min: number) =>
    v.length === 2 && v.every((d) => Number.isInteger(d) && d >= min);
  if (!ints(kernel, 1) || !ints(stride, 1) || !ints(padding, 0)) {
    throw new ShapeError(
      'BAD_ARGUMENT',
      `${name}: kernel and stride must be positive integers, padding a non-negative integer; got kernel [${kernel.join(', ')}], stride [${stride.join(', ')}], padding [${padding.join(', ')}].`,
    );
  }
  if (padding[0] * 2 > kernel[0] || padding[1] * 2 > kernel[1]) {
    throw new ShapeError(
      'BAD_ARGUMENT',
      `${name}: padding must be at most half the kernel; got padding [${padding.join(', ')}], kernel [${kernel.join(', ')}]. Use a smaller padding.`,
    );
  }
  const [n, c, h, w] = x.shape;
  const ho = Math.floor((h + 2 * padding[0] - kernel[0]) / stride[0]) + 1;
  const wo = Math.floor((w + 2 * padding[1] - kernel[1]) / stride[1]) + 1;
  if (ho < 1 || wo < 1) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `${name}: the padded input must be at least the kernel size; got x ${fmtShape(x.shape)}, kernel [${kernel.join(', ')}], padding [${padding.join(', ')}]. Use a smaller kernel or more padding.`,
    );
  }
  return [n, c, ho, wo];
}

/**
 * Visit every output position with its window: `f(o, base, h0, w0)` where o
 * is the output index, base the start of the (n, c) plane in x and h0/w0 the
 * window's top-left corner (may be negative when padded).
 */
function forEachWindow(
  xShape: readonly number[],
  yShape: readonly number[],
  { stride, padding }: Pool2dAttrs,
  f: (o: number, base: number, h0: number, w0: number) => void,
): void {
  const [n, c, h, w] = xShape;
  const [, , ho, wo] = yShape;
  let o = 0;
  for (let p = 0; p < n * c; p++) {
    const base = p * h * w;
    for (let i = 0; i < ho; i++) {
      for (let j = 0; j < wo; j++)
        f(o++, base, i * stride[0] - padding[0], j * stride[1] - padding[1]);
    }
  }
}

/** Index in x of the first largest element of each window (NaN wins), or -1. */
function argmaxWindows(
  x: CpuTensor,
  yShape: readonly number[],
  attrs: Pool2dAttrs,
  visit: (o: number, idx: number, v: number) => void,
): void {
  const [, , h, w] = x.shape;
  const [kh, kw] = attrs.kernel;
  const a = x.data;
  forEachWindow(x.shape, yShape, attrs, (o, base, h0, w0) => {
    let best = -Infinity;
    let bi = -1;
    for (
      let di = Math.max(0, -h0);
      di < kh && h0 + di < h && best === best;
      di++
    ) {
      for (let dj = Math.max(0, -w0); dj < kw && w0 + dj < w; dj++) {
        const idx = base + (h0 + di) * w + w0 + dj;
        const v = a[idx];
        if (v > best || bi < 0 || v !== v) {
          best = v;
          bi = idx;
          if (v !== v) break;
        }
      }
    }
    visit(o, bi, best);
  });
}

function sumWindow(
  x: CpuTensor,
  base: number,
  h0: number,
  w0: number,
  attrs: Pool2dAttrs,
): number {
  const [, , h, w] = x.shape;
  const [kh, kw] = attrs.kernel;
  let s = 0;
  for (let di = Math.max(0, -h0); di < kh && h0 + di < h; di++) {
    for (let dj = Math.max(0, -w0); dj < kw && w0 + dj < w; dj++)
      s += x.data[base + (h0 + di) * w + w0 + dj];
  }
  return s;
}

export const maxPool2d: KernelOp<Pool2dAttrs> = defineOp<Pool2dAttrs>({
  name: 'maxPool2d',
  shape: ([x], attrs) => [
    { shape: pool2dShape('maxPool2d', x, attrs), dtype: x.dtype },
  ],
  cpu: ([x], [y], attrs) =>
    argmaxWindows(x, y.shape, attrs, (o, _i, v) => {
      y.data[o] = v;
    }),
});

export const avgPool2d: KernelOp<Pool2dAttrs> = defineOp<Pool2dAttrs>({
  name: 'avgPool2d',
  shape: ([x], attrs) => [
    { shape: pool2dShape('avgPool2d', x, attrs), dtype: x.dtype },
  ],
  cpu: ([x], [y], attrs) => {
    const k = attrs.kernel[0] * attrs.kernel[1];
    forEachWindow(x.shape, y.shape, attrs, (o, base, h0, w0) => {
      y.data[o] = sumWindow(x, base, h0, w0, attrs) / k;
    });
  },
});

function gradShape(
  name: string,
  [x, g]: readonly TensorMeta[],
  attrs: Pool2dAttrs,
): TensorMeta[] {
  const want = pool2dShape(name, x, attrs);
  assertSameDType(name, [x.dtype, g.dtype], ['x', 'g']);
  if (!shapesEqual(g.shape, want)) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `${name}: g must have the pooled shape ${fmtShape(want)}; got ${fmtShape(g.shape)}.`,
    );
  }
  return [{ shape: x.shape, dtype: x.dtype }];
}

/**
 * maxPool2dGrad(x, g): g routed to the first largest element of each
 * window of x (the VJP of maxPool2d). Output has x's shape.
 */
export const maxPool2dGrad: KernelOp<Pool2dAttrs> = defineOp<Pool2dAttrs>({
  name: 'maxPool2dGrad',
  shape: (inputs, attrs) => gradShape('maxPool2dGrad', inputs, attrs),
  cpu: ([x, g], [dx], attrs) => {
    dx.data.fill(0);
    argmaxWindows(x, g.shape, attrs, (o, i) => {
      if (i >= 0) dx.data[i] += g.data[o];
    });
  },
});

/**
 * avgPool2dGrad(x, g): g/(kh·kw) spread over each window (the VJP of
 * avgPool2d; x only supplies the shape). Output has x's shape.
 */
export const avgPool2dGrad: KernelOp<Pool2dAttrs> = defineOp<Pool2dAttrs>({
  name: 'avgPool2dGrad',
  shape: (inputs, attrs) => gradShape('avgPool2dGrad', inputs, attrs),
  cpu: ([x, g], [dx], attrs) => {
    const [, , h, w] = x.shape;
    const [kh, kw] = attrs.kernel;
    const k = kh * kw;
    dx.data.fill(0);
    forEachWindow(x.shape, g.shape, attrs, (o, base, h0, w0) => {
      const v = g.data[o] / k;
      for (let di = Math.max(0, -h0); di < kh && h0 + di < h; di++) {
        for (let dj = Math.max(0, -w0); dj < kw && w0 + dj < w; dj++)
          dx.data[base + (h0 + di) * w + w0 + dj] += v;
      }
    });
  },
});
