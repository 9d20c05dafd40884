/**
 * 2-d pooling modules on the maxPool2d / avgPool2d primitives. What the
 * primitives support, and so these layers: kernel, stride (default the
 * kernel) and symmetric padding of at most half the kernel, with PyTorch's
 * floor output size ⌊(H + 2p − k)/s⌋ + 1. Not supported: dilation,
 * ceil_mode, and for AvgPool2d count_include_pad = false / divisor_override
 * (padding counts as zeros, PyTorch's default). Max pooling ignores padding
 * (PyTorch pads with −∞).
 */
import { avgPool2d, maxPool2d, type Tensor } from '@optnet/tensor';
import { Module } from '../module.js';
import { badInput, fmtPair, pair, type Size2d } from './check.js';
import { NnError } from '../errors.js';

/**
 * Options of MaxPool2d and AvgPool2d.
 * @example
 * const opts: Pool2dLayerOptions = { stride: 1, padding: 1 };
 * const pool = new MaxPool2d(3, opts); // keeps H and W
 */
export interface Pool2dLayerOptions {
  /** Default: the kernel size (non-overlapping windows). */
  stride?: Size2d;
  /** Default 0; at most half the kernel. */
  padding?: Size2d;
}

/** Shared geometry and checks of MaxPool2d and AvgPool2d. */
export abstract class Pool2d extends Module {
  /** Window size, [kh, kw]. */
  readonly kernelSize: [number, number];
  /** Step between windows, [sh, sw]. */
  readonly stride: [number, number];
  /** Zeros (avg) or ignored cells (max) added on each side, [ph, pw]. */
  readonly padding: [number, number];

  constructor(name: string, kernelSize: Size2d, opts: Pool2dLayerOptions) {
    super();
    this.kernelSize = pair(name, 'kernel_size', kernelSize, 1);
    this.stride = pair(name, 'stride', opts.stride ?? this.kernelSize, 1);
    this.padding = pair(name, 'padding', opts.padding ?? 0, 0);
    if (
      this.padding[0] * 2 > this.kernelSize[0] ||
      this.padding[1] * 2 > this.kernelSize[1]
    ) {
      throw new NnError(
        'BAD_OPTION',
        `${name}: padding must be at most half the kernel size; got padding ${fmtPair(this.padding)}, ` +
          `kernel_size ${fmtPair(this.kernelSize)}. Use a smaller padding.`,
      );
    }
  }

  /** The pooling primitive on a batched x [N, C, H, W]. */
  protected abstract pool(x: Tensor): Tensor;

  /** x [N, C, H, W] (or [C, H, W]) → [N, C, H_out, W_out]. */
  override forward(x: Tensor): Tensor {
    const name = this.constructor.name;
    if (x.rank !== 3 && x.rank !== 4) {
      badInput(
        name,
        '[N, C, H, W] or [C, H, W]',
        x,
        'Pooling works on NCHW images; reshape flat rows first.',
      );
    }
    for (const i of [0, 1]) {
      if (x.shape[x.rank - 2 + i] + 2 * this.padding[i] < this.kernelSize[i]) {
        badInput(
          name,
          `at least ${this.kernelSize[i] - 2 * this.padding[i]} along ${i === 0 ? 'H' : 'W'} (kernel_size minus padding)`,
          x,
          'Use a smaller kernel or more padding, or pool earlier layers less.',
        );
      }
    }
    const x4 = x.rank === 3 ? x.unsqueeze(0) : x;
    const y = this.pool(x4);
    return x.rank === 3 ? y.squeeze(0) : y;
  }

  override extraRepr(): string {
    const f = (p: [number, number]): string =>
      p[0] === p[1] ? String(p[0]) : fmtPair(p);
    return `kernel_size=${f(this.kernelSize)}, stride=${f(this.stride)}, padding=${f(this.padding)}`;
  }
}

/**
 * 2-d max pooling: the max over each window (PyTorch's nn.MaxPool2d), to
 * downsample feature maps after a convolution.
 * @example
 * new MaxPool2d(2).forward(zeros([8, 3, 28, 28])); // [8, 3, 14, 14]
 */
export class MaxPool2d extends Pool2d {
  constructor(kernelSize: Size2d, opts: Pool2dLayerOptions = {}) {
    super('MaxPool2d', kernelSize, opts);
  }

  /** maxPool2d over each window. */
  protected override pool(x: Tensor): Tensor {
    return maxPool2d(x, {
      kernel: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
    });
  }
}

/**
 * 2-d average pooling: the mean over each window, padding counted as zeros
 * (PyTorch's nn.AvgPool2d).
 * @example
 * new AvgPool2d(2).forward(zeros([8, 3, 8, 8])); // [8, 3, 4, 4]
 */
export class AvgPool2d extends Pool2d {
  constructor(kernelSize: Size2d, opts: Pool2dLayerOptions = {}) {
    super('AvgPool2d', kernelSize, opts);
  }

  /** avgPool2d over each window. */
  protected override pool(x: Tensor): Tensor {
    return avgPool2d(x, {
      kernel: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
    });
  }
}
