/**
 * `detach()` and `clone()`, PyTorch's two copies: one outside the graph,
 * one inside it.
 */
import { apply1 } from '../apply.js';
import { setGradEnabled } from '../graph.js';
import { primitives as P } from '../primitives.js';
import { Tensor } from '../tensor.js';

declare module '../tensor.js' {
  interface Tensor {
    /**
     * The same values, outside the autograd graph: `requiresGrad` false, no
     * node, so no gradient flows back through it. It shares the buffer
     * where the backend can (the CPU: no copy) and copies it elsewhere.
     * Tensors never change their values, except through `assign`, which
     * gives the target a new buffer: a detached tensor keeps the values it
     * was made with.
     * @example
     * const target = model.forward(x).detach(); // a constant for the loss
     */
    detach(): Tensor;
    /**
     * A copy in a new buffer that stays in the graph: gradients flow
     * through it to this tensor (PyTorch's `clone`).
     * @example
     * const y = x.clone(); // y.requiresGrad === x.requiresGrad
     */
    clone(): Tensor;
  }
}

Tensor.prototype.detach = function (this: Tensor): Tensor {
  const prev = setGradEnabled(false);
  try {
    // reshape to the same shape aliases the buffer on a backend with `share`.
    return apply1(P.reshape, [this], { shape: [...this.shape] });
  } finally {
    setGradEnabled(prev);
  }
};

Tensor.prototype.clone = function (this: Tensor): Tensor {
  // cast to its own dtype: a plain copy kernel, whose VJP passes g through.
  return apply1(P.cast, [this], { dtype: this.dtype });
};
