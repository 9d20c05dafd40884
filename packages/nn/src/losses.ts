/**
 * Loss functions with PyTorch's names, defaults and reductions: mseLoss
 * and binaryCrossEntropyWithLogits here, the losses of class indices
 * (nllLoss, crossEntropy) in class-losses.ts, re-exported, and what they
 * share in loss-common.ts. They are composites of tensor primitives (no
 * VJP rules of their own): gradients come from the primitives' rules, and
 * stability from the forms chosen (log-softmax for cross-entropy, the
 * log-sum-exp form for BCE).
 */
import { type OptionKeys, type Tensor } from '@optnet/tensor';
import { checkOptionKeys } from './option-keys.js';
import {
  REDUCTION_KEYS,
  checkFloat,
  checkReduction,
  checkSameDType,
  checkSameShape,
  reduce,
  type ReductionOptions,
} from './loss-common.js';

export {
  REDUCTION_KEYS,
  checkReduction,
  type Reduction,
  type ReductionOptions,
} from './loss-common.js';
export {
  CE_KEYS,
  NLL_KEYS,
  crossEntropy,
  nllLoss,
  type CrossEntropyOptions,
  type NllLossOptions,
} from './class-losses.js';

/**
 * Options of binaryCrossEntropyWithLogits and BCEWithLogitsLoss.
 * @example
 * // 3 negatives per positive: weigh the positives 3 times
 * const opts: BceWithLogitsOptions = { posWeight: tensor([3]) };
 * binaryCrossEntropyWithLogits(randn([8, 1]), ones([8, 1]), opts);
 */
export interface BceWithLogitsOptions extends ReductionOptions {
  /** Per-element rescaling, broadcast against the loss. */
  weight?: Tensor | null;
  /**
   * Weight p of the positive term (broadcast along the last axis, e.g. [C]).
   */
  posWeight?: Tensor | null;
}

/** The option keys of binaryCrossEntropyWithLogits (and its module). */
export const BCE_KEYS: OptionKeys<BceWithLogitsOptions> = {
  ...REDUCTION_KEYS,
  weight: 1,
  posWeight: 1,
};

/**
 * Mean squared error: ℓ_i = (x_i − y_i)², reduced (PyTorch's mse_loss):
 * the loss for regression.
 * @example
 * mseLoss(tensor([1, 2, 3]), tensor([1, 2, 5])); // 4/3
 */
export function mseLoss(
  input: Tensor,
  target: Tensor,
  options: ReductionOptions = {},
): Tensor {
  checkOptionKeys('mseLoss', options, REDUCTION_KEYS);
  const { reduction = 'mean' } = options;
  checkReduction('mseLoss', reduction);
  checkFloat('mseLoss', 'input', input);
  checkSameDType('mseLoss', 'target', target, input);
  checkSameShape('mseLoss', input, target);
  return reduce(input.sub(target).square(), reduction);
}

/**
 * Binary cross-entropy on logits x with targets y in [0, 1] (binary or
 * multi-label classification), in the
 * overflow-free form (log(1 + e^{−|x|}) never sees a large exponent):
 * ℓ = max(x, 0) − x·y + log(1 + e^{−|x|})  = −[y·log σ(x) + (1−y)·log(1−σ(x))]
 * and with posWeight p (PyTorch's form):
 *   ℓ = (1 − y)·x + (1 + (p − 1)·y)·(max(−x, 0) + log(1 + e^{−|x|})).
 * @example
 * const logits = tensor([0, 0]);
 * binaryCrossEntropyWithLogits(logits, tensor([1, 0])); // log 2 ≈ 0.693
 */
export function binaryCrossEntropyWithLogits(
  logits: Tensor,
  targets: Tensor,
  options: BceWithLogitsOptions = {},
): Tensor {
  const op = 'binaryCrossEntropyWithLogits';
  checkOptionKeys(op, options, BCE_KEYS);
  const { reduction = 'mean', weight = null, posWeight = null } = options;
  checkReduction(op, reduction);
  checkFloat(op, 'input', logits);
  checkSameDType(op, 'target', targets, logits);
  checkSameShape(op, logits, targets);
  if (weight) checkSameDType(op, 'weight', weight, logits);
  if (posWeight) checkSameDType(op, 'posWeight', posWeight, logits);
  const tail = logits.abs().neg().exp().log1p();
  // max(·, 0) as `maximum`, not relu: at x = 0 maximum splits the gradient
  // (½), which with |x|'s 0 there gives σ(0) − y exactly; relu's 0 would not.
  let loss: Tensor;
  if (posWeight) {
    const logWeight = posWeight.sub(1).mul(targets).add(1);
    loss = targets
      .neg()
      .add(1)
      .mul(logits)
      .add(logWeight.mul(logits.neg().maximum(0).add(tail)));
  } else {
    loss = logits.maximum(0).sub(logits.mul(targets)).add(tail);
  }
  if (weight) loss = loss.mul(weight);
  return reduce(loss, reduction);
}
