/** The functional forms: vjp, grad, valueAndGrad, and noGrad. */
import * as T from '@optnet/tensor';
import { RuntimeError, type Tensor } from '@optnet/tensor';
import {
  beginTrace,
  endTrace,
  outsideTraces,
  runBackward,
} from './backward.js';

/**
 * Run `fn` without recording the graph: for parameter updates and
 * evaluation, where no gradient is wanted and recording would only keep
 * intermediates alive. Returns what `fn` returns.
 * @example
 * const w = tensor([1, 2], { requiresGrad: true });
 * const half = noGrad(() => w.mul(0.5)); // half.requiresGrad === false
 */
export function noGrad<R>(fn: () => R): R {
  const prev = T.setGradEnabled(false);
  try {
    // What fn computes is a constant to any enclosing grad, even a
    // gradient taken inside it.
    return outsideTraces(fn);
  } finally {
    T.setGradEnabled(prev);
  }
}

/**
 * Fresh leaves holding copies of the primals, so gradients can be taken wrt
 * them.
 */
function leavesOf(primals: readonly Tensor[]): Tensor[] {
  return noGrad(() =>
    primals.map((p) => {
      const leaf = T.reshape(p, p.shape);
      leaf.requiresGrad = T.isFloat(p.dtype);
      return leaf;
    }),
  );
}

/**
 * The function `vjp` returns: output cotangents c (one tensor, or one per
 * output, each with its output's shape) to input cotangents Jᵀc, one per
 * primal.
 * @example
 * const [, pullback] = vjp((v) => v.mul(3), tensor([1, 2]));
 * const [g] = pullback(tensor([1, 1])); // [3, 3]
 */
export type Pullback = (cotangents: Tensor | readonly Tensor[]) => Tensor[];

/**
 * Evaluate f at the primals and return its outputs with the pullback
 * c ↦ Jᵀc (one cotangent per primal; zeros where f does not depend on it).
 * The general transform: use it for a non-scalar f or a cotangent of your
 * own; `grad` is the special case c = 1 for a scalar f.
 * @example
 * const x = tensor([0, 1, 2]);
 * const [y, pullback] = vjp((v) => v.exp(), x);
 * const [gx] = pullback(ones([3])); // exp(x), as y
 */
export function vjp(
  f: (...xs: Tensor[]) => Tensor | Tensor[],
  ...primals: Tensor[]
): [Tensor | Tensor[], Pullback] {
  const leaves = leavesOf(primals);
  const prev = T.setGradEnabled(true);
  const trace = beginTrace();
  let out: Tensor | Tensor[];
  try {
    out = f(...leaves);
  } finally {
    endTrace(trace);
    T.setGradEnabled(prev);
  }
  const outs = Array.isArray(out) ? out : [out];
  const pullback: Pullback = (cotangents) => {
    if (trace.tookGrad) {
      // The inner gradient was computed without recording: differentiating
      // through it would give 0 for its part, silently (grad(grad(f))).
      throw new RuntimeError(
        'NOT_DIFFERENTIABLE',
        'vjp (grad, valueAndGrad): the function took a gradient itself (grad, vjp or backward inside it), and gradients are not recorded, so its derivative would leave that part out (grad(grad(f)) would be 0); autograd gives first derivatives only. For a second derivative, differentiate a gradient written in ops (e.g. softmaxCrossEntropyGrad, or your own formula), or use finite differences; to use the inner gradient as a constant, compute it before calling grad.',
      );
    }
    const cts = Array.isArray(cotangents) ? cotangents : [cotangents as Tensor];
    if (
      cts.length !== outs.length ||
      cts.some((c, i) => !T.shapesEqual(c.shape, outs[i].shape))
    ) {
      throw new RuntimeError(
        'SHAPE_MISMATCH',
        `vjp: need one cotangent per output with the output's shape; got ` +
          `[${cts.map((c) => T.fmtShape(c.shape)).join(', ')}] for outputs [${outs.map((o) => T.fmtShape(o.shape)).join(', ')}].`,
      );
    }
    const live = outs
      .map((o, i) => (o.requiresGrad ? i : -1))
      .filter((i) => i >= 0);
    const map = runBackward(
      live.map((i) => outs[i]),
      live.map((i) => cts[i]),
    );
    return leaves.map(
      (l) =>
        map.get(l) ?? T.zeros(l.shape, { dtype: l.dtype, backend: l.backend }),
    );
  };
  return [out, pullback];
}

/**
 * Value of a scalar function and its gradients wrt every argument, from one
 * forward pass (a training step needs both the loss and the gradients).
 * `f` must return a one-element tensor.
 * @example
 * const w = tensor([1, 2, 3]);
 * const [loss, [gw]] = valueAndGrad((v) => v.square().sum())(w);
 * // loss 14, gw [2, 4, 6]
 */
export function valueAndGrad(
  f: (...xs: Tensor[]) => Tensor,
): (...xs: Tensor[]) => [Tensor, Tensor[]] {
  return (...xs) => {
    const [y, pullback] = vjp(f, ...xs);
    const out = y as Tensor;
    if (Array.isArray(y) || out.size !== 1) {
      throw new RuntimeError(
        'BAD_ARGUMENT',
        `grad: f must return a one-element tensor; got ${Array.isArray(y) ? 'an array' : T.fmtShape(out.shape)}. ` +
          `Reduce it (e.g. .sum()) or use vjp.`,
      );
    }
    return [
      out,
      pullback(
        T.full(out.shape, 1, { dtype: out.dtype, backend: out.backend }),
      ),
    ];
  };
}

/**
 * Gradient of a scalar function (JAX's `grad`): one tensor for one
 * argument, else an array with one gradient per argument.
 * @example
 * const g = grad((x) => x.square().sum())(tensor([1, 2, 3])); // [2, 4, 6]
 */
export function grad(
  f: (...xs: Tensor[]) => Tensor,
): (...xs: Tensor[]) => Tensor | Tensor[] {
  const vg = valueAndGrad(f);
  return (...xs) => {
    const [, gs] = vg(...xs);
    return xs.length === 1 ? gs[0] : gs;
  };
}
