/**
 * The classifier the OptNet paper compares its QP layer with: the same
 * network with a fully connected 10 → 10 layer in its place, FC-600 → FC-10
 * → FC-10 → softmax (ReLU between the layers).
 */
import type { Rng, Tensor } from '@optnet/tensor';
import { Linear, Module, ReLU, Sequential } from '@optnet/nn';

/**
 * [batch, 784] float32 images in, [batch, 10] class scores out.
 * @example
 * const model = new FcClassifier({ rng: makeRng(1) });
 */
export class FcClassifier extends Module {
  net: Sequential;

  constructor({ rng }: { rng: Rng }) {
    super();
    this.net = new Sequential(
      new Linear(784, 600, { rng }),
      new ReLU(),
      new Linear(600, 10, { rng }),
      new ReLU(),
      new Linear(10, 10, { rng }),
    );
  }

  forward(images: Tensor): Tensor {
    return this.net.forward(images);
  }
}
