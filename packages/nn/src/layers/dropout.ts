/**
 * Dropout, inverted: in training each element is zeroed with probability
 * p and the survivors are scaled by 1/(1 − p), so E[y] = x and eval mode
 * is the identity (nothing to rescale at test time).
 */
import {
  rand,
  restoreRng,
  rngState,
  type Rng,
  type Tensor,
} from '@optnet/tensor';
import { NnError } from '../errors.js';
import { Module } from '../module.js';

/**
 * Options of Dropout.
 * @example
 * const opts: DropoutOptions = { rng: makeRng(0) };
 * const drop = new Dropout(0.2, opts);
 */
export interface DropoutOptions {
  /**
   * Seeded generator for the masks (default: @optnet/tensor's global one).
   * One from `makeRng` is saved in checkpoints, so a resumed run draws the
   * same masks.
   */
  rng?: Rng;
}

/**
 * Randomly zero elements in training mode; identity in eval mode
 * (PyTorch's nn.Dropout): a regularizer against overfitting.
 * @example
 * const x = ones([4, 10]);
 * const drop = new Dropout(0.5, { rng: makeRng(0) });
 * drop.forward(x); // training: about half zeroed, the rest 2
 * drop.eval().forward(x); // x
 */
export class Dropout extends Module {
  /** The probability that an element is zeroed in training. */
  readonly p: number;
  #rng: Rng | undefined;

  constructor(p = 0.5, opts: DropoutOptions = {}) {
    super();
    if (!(typeof p === 'number' && p >= 0 && p <= 1)) {
      throw new NnError(
        'BAD_OPTION',
        `Dropout: p must be a probability in [0, 1]; got ${String(p)}. Pass e.g. 0.5.`,
      );
    }
    this.p = p;
    this.#rng = opts.rng;
  }

  override forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    if (this.p === 1) return x.mul(0);
    // keep ~ Bernoulli(1 − p): u ≥ p with u ~ U[0, 1); y = x·keep/(1 − p).
    const u = rand(x.shape, {
      dtype: x.dtype === 'float64' ? 'float64' : 'float32',
      rng: this.#rng,
      backend: x.backend,
    });
    const scale = u
      .greaterEqual(this.p)
      .cast(x.dtype)
      .mul(1 / (1 - this.p));
    return x.mul(scale);
  }

  /** The generator's position (when it comes from makeRng), for checkpoints. */
  override getExtraState(): string | undefined {
    return this.#rng === undefined
      ? undefined
      : (rngState(this.#rng) ?? undefined);
  }

  override prepareExtraState(state: string): () => void {
    const rng = restoreRng(state); // throws on a malformed state, before any change
    return () => {
      this.#rng = rng;
    };
  }

  override extraRepr(): string {
    return `p=${this.p}`;
  }
}
