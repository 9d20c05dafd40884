/**
 * The fully connected baseline of the denoising experiment: n → width →
 * width → n with ReLU, trained on the same signals and loss as OptNet.
 */
import type { FloatDType, Rng, Tensor } from '@optnet/tensor';
import { Linear, Module, ReLU, Sequential } from '@optnet/nn';

/** Options of FcDenoise. */
export interface FcDenoiseOptions {
  /** Signal length (default 100). */
  n?: number;
  /** Units per hidden layer. */
  width: number;
  /** dtype of the weights (default 'float64', as the signals). */
  dtype?: FloatDType;
  /** Draws the initial weights. */
  rng: Rng;
}

/** Signals are heights 10..99 plus noise: the net sees them divided by 100. */
const SCALE = 100;

/**
 * A fully connected denoiser: [batch, n] noisy in, [batch, n] out.
 * @example
 * const net = new FcDenoise({ width: 500, rng: makeRng(1) });
 */
export class FcDenoise extends Module {
  net: Sequential;

  constructor({ n = 100, width, dtype = 'float64', rng }: FcDenoiseOptions) {
    super();
    this.net = new Sequential(
      new Linear(n, width, { dtype, rng }),
      new ReLU(),
      new Linear(width, width, { dtype, rng }),
      new ReLU(),
      new Linear(width, n, { dtype, rng }),
    );
  }

  forward(y: Tensor): Tensor {
    return this.net.forward(y.div(SCALE)).mul(SCALE);
  }
}
