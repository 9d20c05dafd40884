/**
 * Conv2d: the conv2d primitive (NCHW cross-correlation) plus a bias
 * broadcast over [1, O, 1, 1]. Padding is symmetric zero padding given as
 * numbers (PyTorch's 'same'/'valid' strings and other padding modes are
 * not supported: write `padding: (k − 1) / 2` for an odd kernel instead).
 */
import { conv2d, type FloatDType, type Rng, type Tensor } from '@optnet/tensor';
import { NnError } from '../errors.js';
import { kaimingUniform, uniform } from '../init.js';
import { Module } from '../module.js';
import {
  badInput,
  checkDType,
  checkInputDType,
  checkInt,
  fmtPair,
  pair,
  type Size2d,
} from './check.js';

/**
 * Options of Conv2d; PyTorch's defaults.
 * @example
 * const opts: Conv2dLayerOptions = { stride: 2, padding: 1 };
 * const conv = new Conv2d(3, 16, 3, opts); // halves H and W
 */
export interface Conv2dLayerOptions {
  /** Step between kernel positions (default 1). */
  stride?: Size2d;
  /** Zeros added on each side (default 0). */
  padding?: Size2d;
  /** Spacing between kernel taps (default 1). */
  dilation?: Size2d;
  /** Split channels into independent groups (default 1). */
  groups?: number;
  /** Learn a bias per output channel (default true). */
  bias?: boolean;
  /** Parameter dtype (default float32). */
  dtype?: FloatDType;
  /** Seeded generator for the initial weights (default: the global one). */
  rng?: Rng;
}

/**
 * 2-D convolution: x [N, C_in, H, W] (or unbatched [C_in, H, W]) →
 * [N, C_out, H_out, W_out] with H_out = ⌊(H + 2p − d(k − 1) − 1)/s⌋ + 1.
 * Weight [C_out, C_in/groups, kh, kw], bias [C_out], both initialized
 * U(−1/√fanIn, 1/√fanIn) with fanIn = C_in/groups·kh·kw (PyTorch's default).
 * @example
 * const conv = new Conv2d(1, 32, 3, { padding: 1, rng: makeRng(0) });
 * const y = conv.forward(zeros([8, 1, 28, 28])); // [8, 32, 28, 28]
 */
export class Conv2d extends Module {
  /** C_in: channels of the input. */
  readonly inChannels: number;
  /** C_out: channels of the output. */
  readonly outChannels: number;
  /** [kh, kw]. */
  readonly kernelSize: [number, number];
  /** Step between kernel positions, [sh, sw]. */
  readonly stride: [number, number];
  /** Zeros added on each side, [ph, pw]. */
  readonly padding: [number, number];
  /** Spacing between kernel taps, [dh, dw]. */
  readonly dilation: [number, number];
  /** Channel groups (C_in and C_out are multiples of it). */
  readonly groups: number;
  /** [C_out, C_in/groups, kh, kw], a parameter. */
  weight: Tensor;
  /** [C_out], a parameter; null with `{ bias: false }`. */
  bias: Tensor | null;

  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: Size2d,
    opts: Conv2dLayerOptions = {},
  ) {
    super();
    checkInt('Conv2d', 'in_channels', inChannels, 1);
    checkInt('Conv2d', 'out_channels', outChannels, 1);
    this.kernelSize = pair('Conv2d', 'kernel_size', kernelSize, 1);
    this.stride = pair('Conv2d', 'stride', opts.stride ?? 1, 1);
    this.padding = pair('Conv2d', 'padding', opts.padding ?? 0, 0);
    this.dilation = pair('Conv2d', 'dilation', opts.dilation ?? 1, 1);
    const groups = opts.groups ?? 1;
    checkInt('Conv2d', 'groups', groups, 1);
    if (inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new NnError(
        'BAD_OPTION',
        `Conv2d: in_channels and out_channels must be divisible by groups; got in_channels ${inChannels}, ` +
          `out_channels ${outChannels}, groups ${groups}. Pick groups dividing both.`,
      );
    }
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.groups = groups;
    const dtype = checkDType('Conv2d', opts.dtype ?? 'float32');
    const init = { dtype, rng: opts.rng, requiresGrad: true };
    const [kh, kw] = this.kernelSize;
    this.weight = kaimingUniform([outChannels, inChannels / groups, kh, kw], {
      ...init,
      a: Math.sqrt(5),
    });
    const bound = 1 / Math.sqrt((inChannels / groups) * kh * kw);
    this.bias =
      (opts.bias ?? true) ? uniform([outChannels], -bound, bound, init) : null;
  }

  /**
   * x [N, C_in, H, W] → [N, C_out, H_out, W_out]; [C_in, H, W] → [C_out, H_out,
   * W_out].
   */
  override forward(x: Tensor): Tensor {
    if (
      (x.rank !== 3 && x.rank !== 4) ||
      x.shape[x.rank - 3] !== this.inChannels
    ) {
      badInput(
        'Conv2d',
        `[N, ${this.inChannels}, H, W] or [${this.inChannels}, H, W] (NCHW with in_channels = ${this.inChannels})`,
        x,
        'Images are NCHW: permute NHWC data with x.permute([0, 3, 1, 2]), or reshape flat rows to [N, C, H, W].',
      );
    }
    checkInputDType('Conv2d', x, this.weight.dtype);
    this.#checkSpatial(x);
    const x4 = x.rank === 3 ? x.unsqueeze(0) : x;
    let y = conv2d(x4, this.weight, {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
    });
    if (this.bias) y = y.add(this.bias.reshape([1, this.outChannels, 1, 1]));
    return x.rank === 3 ? y.squeeze(0) : y;
  }

  /** The padded input must hold one dilated kernel: H + 2p ≥ d(k − 1) + 1. */
  #checkSpatial(x: Tensor): void {
    for (const i of [0, 1]) {
      const size = x.shape[x.rank - 2 + i] + 2 * this.padding[i];
      const span = this.dilation[i] * (this.kernelSize[i] - 1) + 1;
      if (size < span) {
        badInput(
          'Conv2d',
          `at least ${span - 2 * this.padding[i]} along ${i === 0 ? 'H' : 'W'} (the dilated kernel's span minus padding)`,
          x,
          'Use a larger input, more padding, or a smaller kernel.',
        );
      }
    }
  }

  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${fmtPair(this.kernelSize)}, stride=${fmtPair(this.stride)}`;
    if (this.padding[0] !== 0 || this.padding[1] !== 0)
      s += `, padding=${fmtPair(this.padding)}`;
    if (this.dilation[0] !== 1 || this.dilation[1] !== 1)
      s += `, dilation=${fmtPair(this.dilation)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ', bias=false';
    return s;
  }
}
