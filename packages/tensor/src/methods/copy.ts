/**
 * `detach()` and `clone()`, PyTorch's two copies: one outside the graph,
 * one inside it; and `to(backend)`, a copy on another device.
 */
import { apply1 } from '../apply.js';
import type { Backend } from '../backend.js';
import { toBackend } from '../creation.js';
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
    /**
     * This tensor on `backend`: itself when it lives there already, else
     * a copy there, a new leaf outside the graph (PyTorch's `t.to(device)`).
     * Asynchronous, because reading from a device is. The target must hold
     * the dtype (DTYPE_UNSUPPORTED otherwise: cast first). `toBackend(t,
     * backend)` is the function form.
     * @example
     * const xg = await x.to(gpu); // then ops on xg run on the GPU
     */
    to(backend: Backend): Promise<Tensor>;
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

Tensor.prototype.to = function (this: Tensor, backend: Backend) {
  return toBackend(this, backend);
};
