/**
 * Public functions for the matmul primitives: matmul (batched, NumPy batch
 * broadcasting, 1-D operands as in NumPy) and conv2d with its two VJPs.
 */
import { apply1 } from '../apply.js';
import { ShapeError } from '../errors.js';
import type { Conv2dAttrs } from '../ops/conv2d.js';
import { primitives as P } from '../primitives.js';
import { fmtShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { squeeze, unsqueeze } from './core.js';

/**
 * Options of matmul; both default to false.
 * @example
 * const opts: MatmulOptions = { transB: true };
 * matmul(ones([2, 3]), ones([4, 3]), opts); // [2, 4]
 */
export interface MatmulOptions {
  /** Use aᵀ (a's last two axes swapped), without a copy. */
  transA?: boolean;
  /** Use bᵀ (b's last two axes swapped), without a copy. */
  transB?: boolean;
}

/**
 * op(a)·op(b) over the last two axes: [..., m, k] @ [..., k, n] → [..., m, n];
 * batch dims broadcast. A 1-D a is a row [1, k] and a 1-D b a column [k, 1],
 * the added axis removed from the result (NumPy), when no trans flag is set.
 * @example
 * matmul(ones([8, 2, 3]), ones([3, 4])); // [8, 2, 4]
 * matmul(ones([2, 3]), ones([5, 3]), { transB: true }); // a·bᵀ: [2, 5]
 */
export function matmul(
  a: Tensor,
  b: Tensor,
  options: MatmulOptions = {},
): Tensor {
  const transA = options.transA ?? false;
  const transB = options.transB ?? false;
  if (
    a.rank === 0 ||
    b.rank === 0 ||
    ((transA || transB) && (a.rank < 2 || b.rank < 2))
  ) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `matmul: operands must be at least 1-D (2-D with transA/transB); got a${fmtShape(a.shape)} and b${fmtShape(b.shape)}. ` +
        `Use mul for scalars; unsqueeze vectors.`,
    );
  }
  if (a.rank === 1 || b.rank === 1) {
    const a2 = a.rank === 1 ? unsqueeze(a, 0) : a;
    const b2 = b.rank === 1 ? unsqueeze(b, -1) : b;
    let y = apply1(P.matmul, [a2, b2], { transA, transB });
    if (b.rank === 1) y = squeeze(y, -1);
    if (a.rank === 1) y = squeeze(y, b.rank === 1 ? -1 : -2);
    return y;
  }
  return apply1(P.matmul, [a, b], { transA, transB });
}

/**
 * A size per spatial axis: one number for both, or [h, w].
 * @example
 * const stride: Conv2dSize = [2, 1];
 * conv2d(ones([1, 1, 4, 4]), ones([1, 1, 1, 1]), { stride }); // [1, 1, 2, 4]
 */
export type Conv2dSize = number | readonly [number, number];

/**
 * Options of conv2d; defaults: stride 1, padding 0, dilation 1, groups 1.
 * @example
 * const opts: Conv2dOptions = { stride: 2, padding: 1 };
 * conv2d(ones([1, 3, 8, 8]), ones([16, 3, 3, 3]), opts); // [1, 16, 4, 4]
 */
export interface Conv2dOptions {
  /** Step between kernel positions. */
  stride?: Conv2dSize;
  /** Zeros added on each side. */
  padding?: Conv2dSize;
  /** Spacing between kernel taps. */
  dilation?: Conv2dSize;
  /** Channel groups: C and O must be multiples (C for depthwise). */
  groups?: number;
}

const pair2 = (v: Conv2dSize | undefined, d: number): [number, number] =>
  v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : [v[0], v[1]];

/**
 * Normalized conv2d attributes from options: the attrs of the conv2d
 * primitives, for `apply` or a conv2d VJP of your own.
 * @example
 * conv2dAttrs({ stride: 2 });
 * // { stride: [2, 2], padding: [0, 0], dilation: [1, 1], groups: 1 }
 */
export function conv2dAttrs(options: Conv2dOptions = {}): Conv2dAttrs {
  return {
    stride: pair2(options.stride, 1),
    padding: pair2(options.padding, 0),
    dilation: pair2(options.dilation, 1),
    groups: options.groups ?? 1,
  };
}

/**
 * 2-D cross-correlation, NCHW: x [N, C, H, W], w [O, C/groups, kh, kw] →
 * [N, O, Ho, Wo]. Add a bias with `add(y, reshape(b, [1, O, 1, 1]))`.
 * @example
 * const x = randn([8, 3, 32, 32]);
 * const w = randn([16, 3, 3, 3]);
 * conv2d(x, w, { stride: 2, padding: 1 }); // [8, 16, 16, 16]
 */
export function conv2d(
  x: Tensor,
  w: Tensor,
  options: Conv2dOptions = {},
): Tensor {
  return apply1(P.conv2d, [x, w], conv2dAttrs(options));
}

/**
 * Gradient of conv2d with respect to x: g [N, O, Ho, Wo], w → [N, C, H, W].
 * @example
 * const g = ones([1, 2, 3, 3]); // the gradient of conv2d's output
 * conv2dGradInput(g, ones([2, 1, 3, 3]), [5, 5]); // [1, 1, 5, 5]
 */
export function conv2dGradInput(
  g: Tensor,
  w: Tensor,
  inputSize: readonly [number, number],
  options: Conv2dOptions = {},
): Tensor {
  return apply1(P.conv2dGradInput, [g, w], {
    ...conv2dAttrs(options),
    inputSize: [inputSize[0], inputSize[1]],
  });
}

/**
 * Gradient of conv2d with respect to w: x, g [N, O, Ho, Wo] →
 * [O, C/groups, kh, kw].
 * @example
 * const x = ones([1, 1, 5, 5]);
 * conv2dGradWeight(x, ones([1, 2, 5, 5]), [3, 3], { padding: 1 });
 * // [2, 1, 3, 3]
 */
export function conv2dGradWeight(
  x: Tensor,
  g: Tensor,
  kernelSize: readonly [number, number],
  options: Conv2dOptions = {},
): Tensor {
  return apply1(P.conv2dGradWeight, [x, g], {
    ...conv2dAttrs(options),
    kernelSize: [kernelSize[0], kernelSize[1]],
  });
}
