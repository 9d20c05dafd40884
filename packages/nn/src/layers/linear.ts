/**
 * Linear: y = x·Wᵀ + b over the last axis, a composite of the matmul
 * primitive (with transB, so no transposed copy of W is made) and a
 * broadcast add; a faster matmul backend speeds it up directly.
 */
import { matmul, type FloatDType, type Rng, type Tensor } from '@optnet/tensor';
import { kaimingUniform, uniform } from '../init.js';
import { Module } from '../module.js';
import { badInput, checkDType, checkInputDType, checkInt } from './check.js';

/**
 * Options of Linear (PyTorch's defaults).
 * @example
 * const opts: LinearOptions = { bias: false, dtype: 'float64' };
 * const fc = new Linear(4, 2, opts);
 */
export interface LinearOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** Parameter dtype (default float32). */
  dtype?: FloatDType;
  /** Seeded generator for the initial weights (default: the global one). */
  rng?: Rng;
}

/**
 * Fully connected layer: x[..., in] → x·Wᵀ + b, W [out, in], b [out].
 * Initialized like PyTorch: W ~ kaiming_uniform(a = √5) = U(−1/√in, 1/√in),
 * b ~ U(−1/√in, 1/√in).
 * @example
 * const fc = new Linear(784, 256, { rng: makeRng(0) });
 * const y = fc.forward(zeros([32, 784])); // [32, 256]
 */
export class Linear extends Module {
  /** Size of each input's last axis. */
  readonly inFeatures: number;
  /** Size of each output's last axis. */
  readonly outFeatures: number;
  /** W [out, in], a parameter. */
  weight: Tensor;
  /** b [out], a parameter; null with `{ bias: false }`. */
  bias: Tensor | null;

  constructor(
    inFeatures: number,
    outFeatures: number,
    opts: LinearOptions = {},
  ) {
    super();
    checkInt('Linear', 'in_features', inFeatures, 1);
    checkInt('Linear', 'out_features', outFeatures, 1);
    const dtype = checkDType('Linear', opts.dtype ?? 'float32');
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const init = { dtype, rng: opts.rng, requiresGrad: true };
    this.weight = kaimingUniform([outFeatures, inFeatures], {
      ...init,
      a: Math.sqrt(5),
    });
    const bound = 1 / Math.sqrt(inFeatures);
    this.bias =
      (opts.bias ?? true) ? uniform([outFeatures], -bound, bound, init) : null;
  }

  /** x [..., in_features] → [..., out_features]. */
  override forward(x: Tensor): Tensor {
    if (x.rank === 0 || x.shape[x.rank - 1] !== this.inFeatures) {
      badInput(
        'Linear',
        `[..., ${this.inFeatures}] (last axis = in_features)`,
        x,
        `Reshape or flatten the input so its last axis has ${this.inFeatures} features (e.g. new Flatten() before this layer).`,
      );
    }
    checkInputDType('Linear', x, this.weight.dtype);
    // A vector is a batch of one, as in PyTorch (matmul's transB needs 2-D).
    const x2 = x.rank === 1 ? x.unsqueeze(0) : x;
    let y = matmul(x2, this.weight, { transB: true });
    if (this.bias) y = y.add(this.bias);
    return x.rank === 1 ? y.squeeze(0) : y;
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}
