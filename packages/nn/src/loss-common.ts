/**
 * What the losses share: PyTorch's reductions, the option keys every loss
 * takes, and the checks of inputs and targets (losses.ts, class-losses.ts).
 */
import {
  DTypeError,
  ShapeError,
  fmtShape,
  isFloat,
  type OptionKeys,
  type Tensor,
} from '@optnet/tensor';
import { NnError } from './errors.js';

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

const REDUCTIONS: readonly string[] = ['mean', 'sum', 'none'];

/** The option key every loss takes (the loss modules take the same). */
export const REDUCTION_KEYS: OptionKeys<ReductionOptions> = { reduction: 1 };

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

/** The per-element losses reduced as `reduction` asks. */
export function reduce(loss: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'none') return loss;
  return reduction === 'sum' ? loss.sum() : loss.mean();
}

/** Throws DTYPE_MISMATCH unless x is float32 or float64. */
export function checkFloat(op: string, name: string, x: Tensor): void {
  if (!isFloat(x.dtype)) {
    throw new DTypeError(
      'DTYPE_MISMATCH',
      `${op}: ${name} must be float32 or float64; got ${x.dtype}. Cast first: ${name}.cast('float32').`,
    );
  }
}

/** Throws DTYPE_MISMATCH unless x has the dtype of `like` (the input). */
export function checkSameDType(
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

/** Throws SHAPE_MISMATCH unless target has the input's shape. */
export function checkSameShape(
  op: string,
  input: Tensor,
  target: Tensor,
): void {
  if (input.shape.join() !== target.shape.join()) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `${op}: target must have the input's shape; got input ${fmtShape(input.shape)}, ` +
        `target ${fmtShape(target.shape)}. Reshape the target (no broadcasting, unlike a silent PyTorch warning).`,
    );
  }
}
