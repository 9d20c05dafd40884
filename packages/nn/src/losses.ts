/**
 * Loss functions with PyTorch's names, defaults and reductions. They are
 * composites of tensor primitives (no VJP rules of their own): gradients
 * come from the primitives' rules, and stability from the forms chosen
 * here (log-softmax for cross-entropy, the log-sum-exp form for BCE).
 *
 * Glossary: N batch, C classes, `d…` extra axes of a dense prediction
 * (e.g. H, W of a segmentation map), `t` a class index, `w` class weights.
 */
import {
  DTypeError,
  ShapeError,
  fmtShape,
  isFloat,
  logSoftmax,
  softmaxCrossEntropy,
  type OptionKeys,
  type Tensor,
} from '@optnet/tensor';
import { NnError } from './errors.js';
import { checkOptionKeys } from './option-keys.js';

/**
 * How a loss reduces its per-element values: PyTorch's `reduction`.
 * @example
 * const r: Reduction = 'none';
 * mseLoss(tensor([1, 2]), tensor([1, 0]), { reduction: r }); // [0, 4]
 */
export type Reduction = 'mean' | 'sum' | 'none';

/**
 * The option every loss takes.
 * @example
 * const opts: ReductionOptions = { reduction: 'sum' };
 * mseLoss(tensor([1, 2]), tensor([1, 0]), opts); // 4
 */
export interface ReductionOptions {
  /** 'mean' (default): average; 'sum': total; 'none': per-element losses. */
  reduction?: Reduction;
}

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

const REDUCTIONS: readonly string[] = ['mean', 'sum', 'none'];

/** The option keys of each loss (the loss modules take the same). */
export const REDUCTION_KEYS: OptionKeys<ReductionOptions> = { reduction: 1 };
export const NLL_KEYS: OptionKeys<NllLossOptions> = {
  ...REDUCTION_KEYS,
  weight: 1,
  ignoreIndex: 1,
};
export const CE_KEYS: OptionKeys<CrossEntropyOptions> = {
  ...NLL_KEYS,
  labelSmoothing: 1,
};
export const BCE_KEYS: OptionKeys<BceWithLogitsOptions> = {
  ...REDUCTION_KEYS,
  weight: 1,
  posWeight: 1,
};

/** Throws BAD_OPTION unless `reduction` is one of PyTorch's three. */
export function checkReduction(
  op: string,
  reduction: unknown,
): asserts reduction is Reduction {
  if (!REDUCTIONS.includes(reduction as string)) {
    throw new NnError(
      'BAD_OPTION',
      `${op}: reduction must be 'mean', 'sum' or 'none'; got ${JSON.stringify(reduction)}.`,
    );
  }
}

function reduce(loss: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'none') return loss;
  return reduction === 'sum' ? loss.sum() : loss.mean();
}

function checkFloat(op: string, name: string, x: Tensor): void {
  if (!isFloat(x.dtype)) {
    throw new DTypeError(
      'DTYPE_MISMATCH',
      `${op}: ${name} must be float32 or float64; got ${x.dtype}. Cast first: ${name}.cast('float32').`,
    );
  }
}

function checkSameDType(
  op: string,
  name: string,
  x: Tensor,
  like: Tensor,
): void {
  if (x.dtype !== like.dtype) {
    throw new DTypeError(
      'DTYPE_MISMATCH',
      `${op}: ${name} must have the input's dtype ${like.dtype}; got ${x.dtype}. ` +
        `Cast it: ${name}.cast('${like.dtype}').`,
    );
  }
}

function checkSameShape(op: string, input: Tensor, target: Tensor): void {
  if (input.shape.join() !== target.shape.join()) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `${op}: target must have the input's shape; got input ${fmtShape(input.shape)}, ` +
        `target ${fmtShape(target.shape)}. Reshape the target (no broadcasting, unlike a silent PyTorch warning).`,
    );
  }
}

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
