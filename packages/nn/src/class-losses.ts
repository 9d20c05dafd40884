/**
 * The losses of class indices, with PyTorch's names, defaults and
 * reductions: nllLoss on log-probabilities and crossEntropy on logits
 * (the fused softmaxCrossEntropy primitive where it applies, else the
 * fused logSoftmax and a pick of each target).
 *
 * Glossary: N batch, C classes, `d…` extra axes of a dense prediction
 * (e.g. H, W of a segmentation map), `t` a class index, `w` class weights.
 */
import {
  DTypeError,
  ShapeError,
  fmtShape,
  logSoftmax,
  softmaxCrossEntropy,
  type OptionKeys,
  type Tensor,
} from '@optnet/tensor';
import { NnError } from './errors.js';
import { checkOptionKeys } from './option-keys.js';
import {
  REDUCTION_KEYS,
  checkFloat,
  checkReduction,
  checkSameDType,
  type Reduction,
  type ReductionOptions,
} from './loss-common.js';

/**
 * Options of nllLoss and NLLLoss; PyTorch's defaults.
 * @example
 * const opts: NllLossOptions = { ignoreIndex: 0, weight: tensor([0, 1, 2]) };
 * nllLoss(randn([4, 3]), tensor([1, 2, 0, 1], { dtype: 'int32' }), opts);
 */
export interface NllLossOptions extends ReductionOptions {
  /**
   * Class weights w, shape [C]: element i counts w[t_i] (mean divides by Σ
   * w[t_i]).
   */
  weight?: Tensor | null;
  /**
   * Targets equal to this count nothing, in the loss or the mean (default
   * -100).
   */
  ignoreIndex?: number;
}

/**
 * Options of crossEntropy and CrossEntropyLoss; PyTorch's defaults.
 * @example
 * const opts: CrossEntropyOptions = { labelSmoothing: 0.1 };
 * crossEntropy(randn([4, 3]), tensor([1, 2, 0, 1], { dtype: 'int32' }), opts);
 */
export interface CrossEntropyOptions extends NllLossOptions {
  /**
   * ε in [0, 1]: the target becomes (1 − ε)·onehot(t) + ε/C, so the loss
   * is (1 − ε)·nll + ε/C · Σ_c −w_c·log p_c (default 0).
   */
  labelSmoothing?: number;
}

/** The option keys of each class loss (the loss modules take the same). */
export const NLL_KEYS: OptionKeys<NllLossOptions> = {
  ...REDUCTION_KEYS,
  weight: 1,
  ignoreIndex: 1,
};
export const CE_KEYS: OptionKeys<CrossEntropyOptions> = {
  ...NLL_KEYS,
  labelSmoothing: 1,
};

/**
 * Shapes, dtypes and (on a backend that reads synchronously) the class range.
 */
function checkClassInputs(
  op: string,
  scores: Tensor,
  targets: Tensor,
  weight: Tensor | null,
  ignoreIndex: number,
): void {
  checkFloat(op, 'input', scores);
  if (targets.dtype !== 'int32') {
    throw new DTypeError(
      'DTYPE_MISMATCH',
      `${op}: targets must be int32 class indices; got ${targets.dtype}. ` +
        `Cast with targets.cast('int32') (class-probability targets are not supported).`,
    );
  }
  const want = [scores.shape[0], ...scores.shape.slice(2)];
  if (scores.rank < 2 || targets.shape.join() !== want.join()) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `${op}: input [N, C, d…] needs targets [N, d…]; got input ${fmtShape(scores.shape)}, ` +
        `targets ${fmtShape(targets.shape)}. Classes go on axis 1 of the input.`,
    );
  }
  const C = scores.shape[1];
  if (weight) {
    checkSameDType(op, 'weight', weight, scores);
    if (weight.shape.join() !== String(C)) {
      throw new ShapeError(
        'SHAPE_MISMATCH',
        `${op}: weight must have shape [${C}] (one per class); got ${fmtShape(weight.shape)}.`,
      );
    }
  }
  if (targets.backend.canReadSync)
    checkClassRange(op, targets.dataSync(), C, ignoreIndex);
}

function checkClassRange(
  op: string,
  t: ArrayLike<number>,
  C: number,
  ignoreIndex: number,
): void {
  for (let i = 0; i < t.length; i++) {
    const k = t[i];
    if (k !== ignoreIndex && !(k >= 0 && k < C)) {
      throw new NnError(
        'BAD_TARGET',
        `${op}: class indices must lie in [0, ${C}) or equal ignoreIndex (${ignoreIndex}); ` +
          `got ${k} at flat position ${i}. Check the labels against the number of classes.`,
      );
    }
  }
}

/**
 * The shared body of nllLoss and crossEntropy on log-probabilities
 * logp [N, C, d…] whose ignored elements (`kept` false) already read as 0
 * (classLossEntry). Per element i (not ignored):
 *   ℓ_i = −w[t_i]·logp[i, t_i]                    (ε = 0)
 *   ℓ_i = (1 − ε)·(−w[t_i]·logp[i, t_i]) + ε/C·Σ_c −w_c·logp[i, c]
 * 'mean' divides Σ ℓ_i by Σ w[t_i] over the kept elements (PyTorch's
 * weighted mean; with no weight, the count of kept elements).
 */
function classLoss(
  logp: Tensor,
  targets: Tensor,
  kept: Tensor,
  weight: Tensor | null,
  eps: number,
  reduction: Reduction,
): Tensor {
  const C = logp.shape[1];
  // Ignored entries read class 0 (in range) and are then masked out.
  const safe = kept.where(targets, 0);
  const picked = logp.gather(safe.unsqueeze(1), 1).squeeze(1);
  const mask = kept.cast(logp.dtype);
  const wt = weight
    ? weight
        .indexSelect(0, safe.reshape([-1]))
        .reshape(safe.shape)
        .mul(mask)
    : mask;
  let loss = picked.mul(wt).neg();
  if (eps > 0) {
    const wc = weight
      ? weight.reshape([1, C, ...logp.shape.slice(2).map(() => 1)])
      : null;
    const smooth = (wc ? logp.mul(wc) : logp).sum(1).neg().mul(mask);
    loss = loss.mul(1 - eps).add(smooth.mul(eps / C));
  }
  if (reduction === 'none') return loss;
  if (reduction === 'sum') return loss.sum();
  return loss.sum().div(wt.sum());
}

/**
 * crossEntropy of logits [N, C] with no class weights and no smoothing,
 * through the fused primitive: ℓ_i = logsumexp(x_i) − x_i[t_i] for the
 * kept elements, 0 for the ignored ones (which read class 0, in range, and
 * are selected out, so even an infinite loss there adds nothing); 'mean'
 * divides by the count of kept elements, as classLoss does.
 */
function fusedClassLoss(
  logits: Tensor,
  targets: Tensor,
  kept: Tensor,
  reduction: Reduction,
): Tensor {
  const safe = kept.where(targets, 0);
  const loss = kept.where(softmaxCrossEntropy(logits, safe), 0);
  if (reduction === 'none') return loss;
  if (reduction === 'sum') return loss.sum();
  return loss.sum().div(kept.cast(logits.dtype).sum());
}

/**
 * The checks and reductions of nllLoss (`scores` are log-probabilities)
 * and crossEntropy (`scores` are logits: log-softmaxed here, or the fused
 * primitive where it applies).
 */
function classLossEntry(
  op: string,
  scores: Tensor,
  targets: Tensor,
  opts: CrossEntropyOptions,
  logits: boolean,
): Tensor {
  const {
    reduction = 'mean',
    weight = null,
    ignoreIndex = -100,
    labelSmoothing = 0,
  } = opts;
  checkReduction(op, reduction);
  if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) {
    throw new NnError(
      'BAD_OPTION',
      `${op}: labelSmoothing must be in [0, 1]; got ${labelSmoothing}.`,
    );
  }
  if (scores.rank === 1 && targets.rank === 0) {
    // Unbatched: input [C], target [] is a batch of one.
    const out = classLossEntry(
      op,
      scores.reshape([1, scores.shape[0]]),
      targets.reshape([1]),
      opts,
      logits,
    );
    return reduction === 'none' ? out.reshape([]) : out;
  }
  checkClassInputs(op, scores, targets, weight, ignoreIndex);
  const kept = targets.notEqual(ignoreIndex);
  if (logits && scores.rank === 2 && !weight && labelSmoothing === 0)
    return fusedClassLoss(scores, targets, kept, reduction);
  // Ignored elements are selected out, not multiplied by 0: their scores
  // (logits or log-probabilities) read as 0, so an infinite or NaN one
  // there (padding) adds nothing to the loss, nor to the gradient of the
  // scores (through the log-softmax too) or of the weights.
  const masked = kept.unsqueeze(1).where(scores, 0);
  return classLoss(
    logits ? logSoftmax(masked, 1) : masked,
    targets,
    kept,
    weight,
    labelSmoothing,
    reduction,
  );
}

/**
 * Negative log-likelihood of class indices under log-probabilities:
 * ℓ_i = −w[t_i]·logProbs[i, t_i]. logProbs [N, C, d…] (or [C]), targets
 * int32 [N, d…] (or []). Out-of-range targets throw NnError BAD_TARGET
 * (checked on backends that read synchronously, i.e. the CPU). Use it on
 * log-probabilities you already have; on logits, crossEntropy.
 * @example
 * const logits = randn([4, 10]);
 * const labels = tensor([3, 1, 0, 9], { dtype: 'int32' });
 * nllLoss(logSoftmax(logits, 1), labels); // = crossEntropy(logits, labels)
 */
export function nllLoss(
  logProbs: Tensor,
  targets: Tensor,
  options: NllLossOptions = {},
): Tensor {
  checkOptionKeys('nllLoss', options, NLL_KEYS);
  return classLossEntry(
    'nllLoss',
    logProbs,
    targets,
    { ...options, labelSmoothing: 0 },
    false,
  );
}

/**
 * Cross-entropy of class indices under logits: nllLoss(logSoftmax(x, 1), t),
 * max-subtracted, so logits of ±1e4 stay finite. logits [N, C, d…] (or
 * [C]), targets int32 [N, d…] (or []). Logits [N, C] (or [C]) without
 * `weight` or `labelSmoothing` take the fused softmaxCrossEntropy
 * primitive (one kernel forward, one backward; ignoreIndex masked after
 * it); the other cases the fused logSoftmax and a pick of each target.
 * The loss for classification.
 * @example
 * const logits = tensor([[2, 0, 0], [0, 0, 2]]);
 * crossEntropy(logits, tensor([0, 2], { dtype: 'int32' })); // ≈ 0.2395
 */
export function crossEntropy(
  logits: Tensor,
  targets: Tensor,
  options: CrossEntropyOptions = {},
): Tensor {
  checkOptionKeys('crossEntropy', options, CE_KEYS);
  checkFloat('crossEntropy', 'input', logits);
  return classLossEntry('crossEntropy', logits, targets, options, true);
}
