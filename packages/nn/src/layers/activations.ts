/**
 * Activation modules: thin wrappers over @optnet/tensor's elementwise
 * functions and the softmax / logSoftmax primitives, so they can sit in a
 * Sequential.
 */
import { logSoftmax, softmax, where, type Tensor } from '@optnet/tensor';
import { NnError } from '../errors.js';
import { Module } from '../module.js';

/**
 * max(x, 0).
 * @example new Sequential(new Linear(4, 8), new ReLU())
 */
export class ReLU extends Module {
  override forward(x: Tensor): Tensor {
    return x.relu();
  }
}

/** tanh(x). @example new Tanh().forward(x) */
export class Tanh extends Module {
  override forward(x: Tensor): Tensor {
    return x.tanh();
  }
}

/** 1 / (1 + e^−x). @example new Sigmoid().forward(x) */
export class Sigmoid extends Module {
  override forward(x: Tensor): Tensor {
    return x.sigmoid();
  }
}

/** Options of Softplus; PyTorch's defaults. */
export interface SoftplusOptions {
  /** Sharpness (default 1). */
  beta?: number;
  /** Above beta·x > threshold the output is x itself (default 20). */
  threshold?: number;
}

/**
 * (1/β)·log(1 + e^(βx)), and x where βx > threshold (there the two agree
 * to within e^−threshold, and x avoids the overflow).
 * @example new Softplus({ beta: 2 }).forward(x)
 */
export class Softplus extends Module {
  readonly beta: number;
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

/** Options of Softmax and LogSoftmax. */
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
 * e^x / Σ e^x along `dim`.
 * @example new Softmax({ dim: 1 }).forward(logits) // rows sum to 1
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
 * log softmax along `dim`, computed stably (the primitive, not log of softmax).
 * @example new LogSoftmax({ dim: 1 }).forward(logits)
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
