/**
 * Batch normalization (Ioffe & Szegedy 2015) with PyTorch's semantics.
 * For channel c, over every other axis (N and the spatial ones):
 *
 *   training:  μ = mean(x), σ² = mean((x − μ)²)  (biased)
 *              y = (x − μ) / √(σ² + eps) · weight + bias
 *              running_mean ← (1 − m)·running_mean + m·μ
 *              running_var  ← (1 − m)·running_var  + m·σ²·n/(n − 1)  (unbiased)
 *   eval:      y = (x − running_mean) / √(running_var + eps) · weight + bias
 *
 * with n the number of values per channel and m the momentum; momentum
 * null gives the cumulative average m = 1/num_batches_tracked. Without
 * running statistics (trackRunningStats false) batch statistics are used
 * in both modes. num_batches_tracked is an int32 scalar here (PyTorch:
 * int64), since tensors have no 64-bit integers.
 */
import { noGrad } from '@optnet/autograd';
import {
  fmtShape,
  ones,
  ShapeError,
  tensor,
  zeros,
  type FloatDType,
  type Tensor,
} from '@optnet/tensor';
import { NnError } from '../errors.js';
import { Module } from '../module.js';
import { badInput, checkDType, checkInputDType, checkInt } from './check.js';

/**
 * Options of BatchNorm1d / BatchNorm2d; PyTorch's defaults.
 * @example
 * const opts: BatchNormOptions = { momentum: null, affine: false };
 * const bn = new BatchNorm1d(16, opts); // cumulative averages, no scale
 */
export interface BatchNormOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /**
   * Weight of the new batch in the running averages (default 0.1); null:
   * cumulative average.
   */
  momentum?: number | null;
  /** Learn a per-channel scale `weight` and shift `bias` (default true). */
  affine?: boolean;
  /** Keep running_mean / running_var for eval mode (default true). */
  trackRunningStats?: boolean;
  /** Parameter and buffer dtype (default float32). */
  dtype?: FloatDType;
}

/**
 * Shared code of BatchNorm1d and BatchNorm2d (they differ in accepted ranks).
 */
export abstract class BatchNorm extends Module {
  /** C: the channels normalized (axis 1 of the input). */
  readonly numFeatures: number;
  /** Added to the variance before the square root. */
  readonly eps: number;
  /** Weight of a new batch in the running averages; null: cumulative. */
  readonly momentum: number | null;
  /** Whether `weight` and `bias` are learned. */
  readonly affine: boolean;
  /** Whether running statistics are kept for eval mode. */
  readonly trackRunningStats: boolean;
  /** Per-channel scale [C], a parameter (null unless affine). */
  weight: Tensor | null;
  /** Per-channel shift [C], a parameter (null unless affine). */
  bias: Tensor | null;
  /** Running mean [C], a buffer saved as `running_mean`. */
  runningMean: Tensor | null;
  /** Running (unbiased) variance [C], a buffer saved as `running_var`. */
  runningVar: Tensor | null;
  /** int32 scalar count of training batches, a buffer. */
  numBatchesTracked: Tensor | null;

  constructor(numFeatures: number, opts: BatchNormOptions) {
    super();
    const name = this.constructor.name;
    checkInt(name, 'num_features', numFeatures, 1);
    this.numFeatures = numFeatures;
    this.eps = checkRange(name, 'eps', opts.eps ?? 1e-5, 0, Infinity);
    const m = opts.momentum === undefined ? 0.1 : opts.momentum;
    this.momentum = m === null ? null : checkRange(name, 'momentum', m, 0, 1);
    this.affine = opts.affine ?? true;
    this.trackRunningStats = opts.trackRunningStats ?? true;
    const dtype = checkDType(name, opts.dtype ?? 'float32');
    this.weight = this.affine
      ? ones([numFeatures], { dtype, requiresGrad: true })
      : null;
    this.bias = this.affine
      ? zeros([numFeatures], { dtype, requiresGrad: true })
      : null;
    this.runningMean = this.trackRunningStats
      ? zeros([numFeatures], { dtype })
      : null;
    this.runningVar = this.trackRunningStats
      ? ones([numFeatures], { dtype })
      : null;
    this.numBatchesTracked = this.trackRunningStats
      ? tensor(0, { dtype: 'int32' })
      : null;
    this.registerBuffer('runningMean', 'running_mean');
    this.registerBuffer('runningVar', 'running_var');
    this.registerBuffer('numBatchesTracked', 'num_batches_tracked');
  }

  /** Throw unless x has a rank this layer accepts. */
  protected abstract checkRank(x: Tensor): void;

  /** x [N, C, ...] → normalized, same shape. */
  override forward(x: Tensor): Tensor {
    const name = this.constructor.name;
    this.checkRank(x);
    if (x.shape[1] !== this.numFeatures) {
      badInput(
        name,
        `[N, ${this.numFeatures}, ...] (axis 1 = num_features)`,
        x,
        'Match num_features to the channel count of the previous layer.',
      );
    }
    // Without parameters or buffers any float dtype works, as in PyTorch.
    const own = this.weight ?? this.runningMean;
    if (own !== null) checkInputDType(name, x, own.dtype);
    const axes = x.shape.map((_, i) => i).filter((i) => i !== 1);
    // Per-channel parameters broadcast as [1, C, 1, ...].
    const bshape = x.shape.map((d, i) => (i === 1 ? d : 1));
    const useBatch = this.training || this.runningMean === null;
    let y: Tensor;
    if (useBatch) {
      const n = x.size / this.numFeatures;
      if (this.training && n <= 1) {
        throw new ShapeError(
          'SHAPE_MISMATCH',
          `${name}: training needs more than 1 value per channel; got x${fmtShape(x.shape)}. Use a batch of 2 or more, or eval().`,
        );
      }
      const mu = x.mean(axes, true);
      const d = x.sub(mu);
      const varB = d.square().mean(axes, true);
      y = d.mul(varB.add(this.eps).rsqrt());
      if (this.training && this.runningMean !== null)
        this.#updateRunning(mu, varB, n);
    } else {
      const rm = this.runningMean!.reshape(bshape);
      const rv = this.runningVar!.reshape(bshape);
      y = x.sub(rm).mul(rv.add(this.eps).rsqrt());
    }
    if (this.weight) y = y.mul(this.weight.reshape(bshape));
    if (this.bias) y = y.add(this.bias.reshape(bshape));
    return y;
  }

  /** The running averages, outside the graph (buffers take no gradient). */
  #updateRunning(mu: Tensor, varB: Tensor, n: number): void {
    const rm = this.runningMean!;
    const rv = this.runningVar!;
    const nbt = this.numBatchesTracked!;
    noGrad(() => {
      nbt.assign(nbt.add(1));
      // m = momentum, or 1/k after k batches: x̄_k = x̄_{k−1} + (x_k −
      // x̄_{k−1})/k.
      const m: Tensor | number =
        this.momentum ?? nbt.cast(rm.dtype).reciprocal();
      const mean = mu.reshape([this.numFeatures]);
      const unbiased = varB.reshape([this.numFeatures]).mul(n / (n - 1));
      rm.assign(rm.add(mean.sub(rm).mul(m)));
      rv.assign(rv.add(unbiased.sub(rv).mul(m)));
    });
  }

  override extraRepr(): string {
    return (
      `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.affine}, ` +
      `track_running_stats=${this.trackRunningStats}`
    );
  }
}

function checkRange(
  layer: string,
  name: string,
  v: number,
  lo: number,
  hi: number,
): number {
  if (!(typeof v === 'number' && v >= lo && v <= hi)) {
    throw new NnError(
      'BAD_OPTION',
      `${layer}: ${name} must be in [${lo}, ${hi}]; got ${String(v)}.`,
    );
  }
  return v;
}

/**
 * Batch norm over [N, C] or [N, C, L] (statistics per C over N and L),
 * PyTorch's nn.BatchNorm1d: after a Linear layer, to keep activations at
 * zero mean and unit variance.
 * @example
 * new BatchNorm1d(64).forward(randn([32, 64])); // [32, 64], normalized
 */
export class BatchNorm1d extends BatchNorm {
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super(numFeatures, opts);
  }

  protected override checkRank(x: Tensor): void {
    if (x.rank !== 2 && x.rank !== 3) {
      badInput(
        'BatchNorm1d',
        `[N, ${this.numFeatures}] or [N, ${this.numFeatures}, L]`,
        x,
        'Use BatchNorm2d for images [N, C, H, W].',
      );
    }
  }
}

/**
 * Batch norm over images [N, C, H, W] (statistics per C over N, H, W),
 * PyTorch's nn.BatchNorm2d: after a Conv2d layer.
 * @example
 * new BatchNorm2d(32).forward(randn([8, 32, 5, 5])); // [8, 32, 5, 5]
 */
export class BatchNorm2d extends BatchNorm {
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super(numFeatures, opts);
  }

  protected override checkRank(x: Tensor): void {
    if (x.rank !== 4) {
      badInput(
        'BatchNorm2d',
        `[N, ${this.numFeatures}, H, W]`,
        x,
        'Use BatchNorm1d for [N, C] or [N, C, L].',
      );
    }
  }
}
