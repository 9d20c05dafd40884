/**
 * Activation modules: thin wrappers over @optnet/tensor's elementwise
 * functions and the softmax / logSoftmax primitives, so they can sit in a
 * Sequential.
 */
import { logSoftmax, softmax, where, type Tensor } from '@optnet/tensor';
import { NnError } from '../errors.js';
import { Module } from '../module.js';

/**
 * max(x, 0) as a module (PyTorch's nn.ReLU), for a Sequential.
 * @example
 * const mlp = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 1));
 * new ReLU().forward(tensor([-1, 2])); // [0, 2]
 */
export class ReLU extends Module {
  override forward(x: Tensor): Tensor {
    return x.relu();
  }
}

/**
 * tanh(x) as a module (PyTorch's nn.Tanh).
 * @example
 * new Tanh().forward(tensor([0, 100])); // [0, 1]
 */
export class Tanh extends Module {
  override forward(x: Tensor): Tensor {
    return x.tanh();
  }
}

/**
 * 1 / (1 + e^−x) as a module (PyTorch's nn.Sigmoid).
 * @example
 * new Sigmoid().forward(tensor([0])); // [0.5]
 */
export class Sigmoid extends Module {
  override forward(x: Tensor): Tensor {
    return x.sigmoid();
  }
}

/**
 * Options of Softplus; PyTorch's defaults.
 * @example
 * const opts: SoftplusOptions = { beta: 2, threshold: 10 };
 * new Softplus(opts);
 */
export interface SoftplusOptions {
  /** Sharpness (default 1). */
  beta?: number;
  /** Above beta·x > threshold the output is x itself (default 20). */
  threshold?: number;
}

/**
 * (1/β)·log(1 + e^(βx)), and x where βx > threshold (there the two agree
 * to within e^−threshold, and x avoids the overflow): a smooth ReLU, e.g.
 * for an output that must stay positive (PyTorch's nn.Softplus).
 * @example
 * new Softplus({ beta: 2 }).forward(tensor([0, 50])); // [log(2)/2, 50]
 */
export class Softplus extends Module {
  /** Sharpness β. */
  readonly beta: number;
  /** Above β·x > threshold the output is x. */
  readonly threshold: number;

  constructor(opts: SoftplusOptions = {}) {
    super();
    this.beta = opts.beta ?? 1;
    this.threshold = opts.threshold ?? 20;
    if (
      !(Number.isFinite(this.beta) && this.beta > 0) ||
      Number.isNaN(this.threshold)
    ) {
      throw new NnError(
        'BAD_OPTION',
        `Softplus: beta must be a positive finite number and threshold a number; got beta ${this.beta}, threshold ${this.threshold}.`,
      );
    }
  }

  override forward(x: Tensor): Tensor {
    const bx = this.beta === 1 ? x : x.mul(this.beta);
    const soft = this.beta === 1 ? bx.softplus() : bx.softplus().div(this.beta);
    return where(bx.greater(this.threshold), x, soft);
  }

  override extraRepr(): string {
    return `beta=${this.beta}, threshold=${this.threshold}`;
  }
}

/**
 * Options of Softmax and LogSoftmax.
 * @example
 * const opts: SoftmaxOptions = { dim: 1 };
 * new Softmax(opts);
 */
export interface SoftmaxOptions {
  /**
   * Axis to normalize over (default −1; PyTorch requires it, we pick the last).
   */
  dim?: number;
}

/**
 * A module that normalizes along one axis `dim` (Softmax, LogSoftmax): the
 * option check and repr they share.
 */
abstract class AlongDim extends Module {
  /** The axis normalized over. */
  readonly dim: number;

  constructor(layer: string, opts: SoftmaxOptions) {
    super();
    this.dim = checkDim(layer, opts.dim ?? -1);
  }

  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/**
 * e^x / Σ e^x along `dim` as a module (PyTorch's nn.Softmax): class
 * probabilities from logits. For a loss, use crossEntropy on the logits.
 * @example
 * new Softmax({ dim: 1 }).forward(randn([4, 10])); // rows sum to 1
 */
export class Softmax extends AlongDim {
  constructor(opts: SoftmaxOptions = {}) {
    super('Softmax', opts);
  }

  override forward(x: Tensor): Tensor {
    return softmax(x, this.dim);
  }
}

/**
 * log softmax along `dim`, computed stably (the primitive, not log of
 * softmax), as a module (PyTorch's nn.LogSoftmax): feeds nllLoss.
 * @example
 * const logp = new LogSoftmax({ dim: 1 }).forward(randn([4, 10]));
 * nllLoss(logp, tensor([1, 0, 9, 3], { dtype: 'int32' }));
 */
export class LogSoftmax extends AlongDim {
  constructor(opts: SoftmaxOptions = {}) {
    super('LogSoftmax', opts);
  }

  override forward(x: Tensor): Tensor {
    return logSoftmax(x, this.dim);
  }
}

function checkDim(layer: string, dim: number): number {
  if (!Number.isInteger(dim))
    throw new NnError(
      'BAD_OPTION',
      `${layer}: dim must be an integer; got ${String(dim)}.`,
    );
  return dim;
}
