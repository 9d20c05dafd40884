/**
 * The OptNet paper's classifier with a QP layer: FC-600 → FC-10 → OptNet
 * (10 variables, inequalities only) → softmax. This file is meant to be
 * copied as the start of your own model (in your project, import from
 * '@optnet/optnet', '@optnet/nn' and '@optnet/tensor').
 *
 * The QP layer takes the previous layer's output as the linear term p and
 * returns the solution z of
 *
 *   minimize ½ zᵀQz + pᵀz   subject to   Gz ≤ h
 *
 * where Q = LLᵀ + εI, G and h = Gz₀ + softplus(s₀) are learned (not
 * functions of the input), so every problem is feasible: OptNetLayer's
 * parametrization. z are the class scores; the loss is the cross-entropy
 * of their softmax.
 */
import type { Rng, Tensor } from '@optnet/tensor';
import { Linear, Module, ReLU, Sequential } from '@optnet/nn';
import { OptNetLayer } from '../../api/layer.js';
import type { QpOptions } from '../../api/types.js';

/** Options of OptNetClassifier. */
export interface OptNetClassifierOptions {
  /** Inequalities of the QP layer (default 10). */
  nIneq?: number;
  /** Draws the initial weights. */
  rng: Rng;
  /** Passed to qp() on every forward. */
  qpOptions?: QpOptions;
}

/**
 * [batch, 784] float32 images in, [batch, 10] class scores out.
 * @example
 * const model = new OptNetClassifier({ rng: makeRng(1) });
 * const loss = crossEntropy(model.forward(images), labels);
 */
export class OptNetClassifier extends Module {
  net: Sequential;
  qp: OptNetLayer;

  constructor({ nIneq = 10, rng, qpOptions }: OptNetClassifierOptions) {
    super();
    this.net = new Sequential(
      new Linear(784, 600, { rng }),
      new ReLU(),
      new Linear(600, 10, { rng }),
    );
    this.qp = new OptNetLayer({ nz: 10, nIneq, rng, qpOptions });
  }

  forward(images: Tensor): Tensor {
    return this.qp.forward(this.net.forward(images));
  }
}
