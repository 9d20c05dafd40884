/**
 * Gradient clipping by the global norm, as torch.nn.utils.clip_grad_norm_:
 * the norm is taken over all gradients together, as if concatenated,
 *
 *   ‖g‖_p = (Σ_params Σ_i |g_i|^p)^(1/p),   ‖g‖_∞ = max |g_i|,
 *
 * and every gradient is scaled by c = min(1, maxNorm / (‖g‖ + 1e-6)).
 * c is computed as a tensor and always applied (c = 1 leaves the values
 * bit-identical), so no value is read back from the device.
 */
import {
  cast,
  div,
  keep,
  max,
  minimum,
  scalar,
  stack,
  type Tensor,
} from '@optnet/tensor';
import { noGrad } from '@optnet/autograd';
import { checkOption } from './optimizer.js';

/**
 * Options of clipGradNorm.
 * @example
 * const opts: ClipGradNormOptions = { normType: Infinity }; // max |g_i|
 * clipGradNorm(new Linear(2, 1).parameters(), 1.0, opts);
 */
export interface ClipGradNormOptions {
  /** p of the norm: a number ≥ 1 or Infinity (default 2). */
  normType?: number;
}

/** ‖g‖_p of one gradient, as a 0-d tensor. */
function normOf(g: Tensor, p: number): Tensor {
  const a = g.abs();
  if (p === Infinity) return a.max();
  if (p === 1) return a.sum();
  if (p === 2) return a.square().sum().sqrt();
  return a
    .pow(p)
    .sum()
    .pow(1 / p);
}

/**
 * Scale the `.grad` of `params` so that their global p-norm is at most
 * `maxNorm`. Each `.grad` is replaced by a new, scaled tensor (the old one
 * is left untouched, since autograd may share it between parameters).
 * Parameters without a gradient are skipped.
 *
 * Returns the total norm before clipping as a 0-d tensor, in the first
 * gradient's dtype (read it with `await n.item()`, or `n.itemSync()` on
 * the CPU); 0 when no parameter has a gradient.
 * Use it between `backward()` and `step()` against exploding gradients.
 * @example
 * const model = new Linear(4, 1);
 * const opt = new SGD(model.parameters(), { lr: 0.1 });
 * model.forward(ones([2, 4])).sum().backward();
 * const norm = clipGradNorm(model.parameters(), 1.0); // the norm before
 * opt.step();
 */
export function clipGradNorm(
  params: readonly Tensor[],
  maxNorm: number,
  options: ClipGradNormOptions = {},
): Tensor {
  const { normType = 2 } = options;
  checkOption('clipGradNorm', 'maxNorm', maxNorm, maxNorm >= 0, 'must be ≥ 0');
  checkOption(
    'clipGradNorm',
    'normType',
    normType,
    normType >= 1,
    'must be ≥ 1 or Infinity',
  );
  const withGrad = params.filter((p) => p.grad !== null);
  if (withGrad.length === 0)
    return scalar(0, params[0]?.dtype ?? 'float32', params[0]?.backend);
  const dtype = withGrad[0].grad!.dtype;
  return noGrad(() => {
    const norms = stack(
      withGrad.map((p) => cast(normOf(p.grad!, normType), dtype)),
    );
    const total = normType === Infinity ? max(norms) : normOf(norms, normType);
    // c = min(maxNorm / (‖g‖ + 1e-6), 1), as in PyTorch (the 1e-6 guards ‖g‖ =
    // 0).
    const coef = minimum(div(maxNorm, total.add(1e-6)), 1);
    for (const p of withGrad)
      p.grad = keep(p.grad!.mul(cast(coef, p.grad!.dtype)));
    return total;
  });
}
