/**
 * The losses as modules (PyTorch's nn.MSELoss, nn.CrossEntropyLoss, ...):
 * options fixed at construction, `forward(input, target)`. Class weights
 * and posWeight are buffers (saved, not trained), as in PyTorch, where
 * they appear in the state dict as `weight` and `pos_weight`.
 */
import type { Tensor } from '@optnet/tensor';
import { NnError } from './errors.js';
import { Module } from './module.js';
import {
  binaryCrossEntropyWithLogits,
  checkReduction,
  crossEntropy,
  mseLoss,
  nllLoss,
  type BceWithLogitsOptions,
  type CrossEntropyOptions,
  type NllLossOptions,
  type Reduction,
  type ReductionOptions,
  BCE_KEYS,
  CE_KEYS,
  NLL_KEYS,
  REDUCTION_KEYS,
} from './losses.js';
import { checkOptionKeys } from './option-keys.js';

/**
 * Mean squared error as a module (PyTorch's nn.MSELoss): mseLoss with its
 * options fixed, to pass a loss around as an object.
 * @example
 * const loss = new MSELoss().forward(tensor([1, 2]), tensor([1, 4])); // 2
 */
export class MSELoss extends Module {
  /** How the per-element losses are reduced. */
  readonly reduction: Reduction;

  constructor(options: ReductionOptions = {}) {
    super();
    checkOptionKeys('MSELoss', options, REDUCTION_KEYS);
    const { reduction = 'mean' } = options;
    checkReduction('MSELoss', reduction);
    this.reduction = reduction;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, { reduction: this.reduction });
  }

  override extraRepr(): string {
    return `reduction=${this.reduction}`;
  }
}

/**
 * Negative log-likelihood of class indices as a module (input:
 * log-probabilities), PyTorch's nn.NLLLoss.
 * @example
 * const logp = logSoftmax(randn([3, 5]), 1);
 * const labels = tensor([0, 4, 2], { dtype: 'int32' });
 * const loss = new NLLLoss({ ignoreIndex: 0 }).forward(logp, labels);
 */
export class NLLLoss extends Module {
  /** Class weights [C] (a buffer), or null. */
  weight: Tensor | null;
  /** How the per-element losses are reduced. */
  readonly reduction: Reduction;
  /** Targets equal to this count nothing. */
  readonly ignoreIndex: number;

  constructor(options: NllLossOptions = {}) {
    super();
    checkOptionKeys('NLLLoss', options, NLL_KEYS);
    const { reduction = 'mean', weight = null, ignoreIndex = -100 } = options;
    checkReduction('NLLLoss', reduction);
    this.weight = weight;
    this.registerBuffer('weight');
    this.reduction = reduction;
    this.ignoreIndex = ignoreIndex;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    const { reduction, weight, ignoreIndex } = this;
    return nllLoss(input, target, { reduction, weight, ignoreIndex });
  }

  override extraRepr(): string {
    return `reduction=${this.reduction}, ignore_index=${this.ignoreIndex}`;
  }
}

/**
 * Cross-entropy of class indices under logits as a module (PyTorch's
 * nn.CrossEntropyLoss).
 * @example
 * const criterion = new CrossEntropyLoss({ labelSmoothing: 0.1 });
 * const labels = tensor([0, 4, 2], { dtype: 'int32' });
 * const loss = criterion.forward(randn([3, 5]), labels);
 */
export class CrossEntropyLoss extends Module {
  /** Class weights [C] (a buffer), or null. */
  weight: Tensor | null;
  /** How the per-element losses are reduced. */
  readonly reduction: Reduction;
  /** Targets equal to this count nothing. */
  readonly ignoreIndex: number;
  /** ε: the target is (1 − ε)·onehot(t) + ε/C. */
  readonly labelSmoothing: number;

  constructor(options: CrossEntropyOptions = {}) {
    super();
    checkOptionKeys('CrossEntropyLoss', options, CE_KEYS);
    const {
      reduction = 'mean',
      weight = null,
      ignoreIndex = -100,
      labelSmoothing = 0,
    } = options;
    checkReduction('CrossEntropyLoss', reduction);
    if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) {
      throw new NnError(
        'BAD_OPTION',
        `CrossEntropyLoss: labelSmoothing must be in [0, 1]; got ${labelSmoothing}.`,
      );
    }
    this.weight = weight;
    this.registerBuffer('weight');
    this.reduction = reduction;
    this.ignoreIndex = ignoreIndex;
    this.labelSmoothing = labelSmoothing;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    const { reduction, weight, ignoreIndex, labelSmoothing } = this;
    return crossEntropy(input, target, {
      reduction,
      weight,
      ignoreIndex,
      labelSmoothing,
    });
  }

  override extraRepr(): string {
    return `reduction=${this.reduction}, ignore_index=${this.ignoreIndex}, label_smoothing=${this.labelSmoothing}`;
  }
}

/**
 * Binary cross-entropy on logits as a module (PyTorch's
 * nn.BCEWithLogitsLoss).
 * @example
 * const criterion = new BCEWithLogitsLoss({ posWeight: tensor([3]) });
 * const loss = criterion.forward(randn([8, 1]), ones([8, 1]));
 */
export class BCEWithLogitsLoss extends Module {
  /** Per-element weight (a buffer), or null. */
  weight: Tensor | null;
  /**
   * Weight of positive examples (a buffer, PyTorch's `pos_weight`), or null.
   */
  posWeight: Tensor | null;
  /** How the per-element losses are reduced. */
  readonly reduction: Reduction;

  constructor(options: BceWithLogitsOptions = {}) {
    super();
    checkOptionKeys('BCEWithLogitsLoss', options, BCE_KEYS);
    const { reduction = 'mean', weight = null, posWeight = null } = options;
    checkReduction('BCEWithLogitsLoss', reduction);
    this.weight = weight;
    this.posWeight = posWeight;
    this.registerBuffer('weight');
    this.registerBuffer('posWeight', 'pos_weight');
    this.reduction = reduction;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    const { reduction, weight, posWeight } = this;
    return binaryCrossEntropyWithLogits(input, target, {
      reduction,
      weight,
      posWeight,
    });
  }

  override extraRepr(): string {
    return `reduction=${this.reduction}`;
  }
}
