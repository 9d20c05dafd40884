/**
 * Flatten: merge the axes startDim..endDim (inclusive) into one; a
 * reshape, so the gradient is the reshape back.
 */
import { normalizeAxis, type Tensor } from '@optnet/tensor';
import { NnError } from '../errors.js';
import { Module } from '../module.js';
import { badInput } from './check.js';

/**
 * Options of Flatten; PyTorch's defaults keep the batch axis.
 * @example
 * const opts: FlattenOptions = { startDim: 0 };
 * new Flatten(opts).forward(zeros([2, 3])); // [6]
 */
export interface FlattenOptions {
  /** First axis to merge (default 1). */
  startDim?: number;
  /** Last axis to merge, inclusive (default −1). */
  endDim?: number;
}

/**
 * Merge axes into one: [N, C, H, W] → [N, C·H·W] by default (PyTorch's
 * nn.Flatten), between convolutional and fully connected layers.
 * @example
 * new Flatten().forward(zeros([32, 16, 4, 4])); // [32, 256]
 */
export class Flatten extends Module {
  /** First axis merged. */
  readonly startDim: number;
  /** Last axis merged (inclusive). */
  readonly endDim: number;

  constructor(opts: FlattenOptions = {}) {
    super();
    this.startDim = opts.startDim ?? 1;
    this.endDim = opts.endDim ?? -1;
    for (const [name, v] of [
      ['start_dim', this.startDim],
      ['end_dim', this.endDim],
    ] as const) {
      if (!Number.isInteger(v)) {
        throw new NnError(
          'BAD_OPTION',
          `Flatten: ${name} must be an integer; got ${String(v)}.`,
        );
      }
    }
  }

  override forward(x: Tensor): Tensor {
    // A 0-d tensor flattens to [1], as in PyTorch.
    if (x.rank === 0) return x.reshape([1]);
    const inRange = (d: number): boolean => d >= -x.rank && d < x.rank;
    if (!inRange(this.startDim) || !inRange(this.endDim)) {
      badInput(
        'Flatten',
        `a tensor with axes start_dim ${this.startDim} and end_dim ${this.endDim}`,
        x,
        `Axes must lie in [${-x.rank}, ${x.rank}) for a ${x.rank}-D input; check the flatten axes.`,
      );
    }
    const start = normalizeAxis('Flatten', this.startDim, x.rank);
    const end = normalizeAxis('Flatten', this.endDim, x.rank);
    if (start > end) {
      badInput(
        'Flatten',
        `such that start_dim ${this.startDim} comes before end_dim ${this.endDim}`,
        x,
        'Swap the axes.',
      );
    }
    const merged = x.shape.slice(start, end + 1).reduce((a, b) => a * b, 1);
    return x.reshape([
      ...x.shape.slice(0, start),
      merged,
      ...x.shape.slice(end + 1),
    ]);
  }

  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}
