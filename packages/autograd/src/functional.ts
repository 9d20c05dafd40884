/** The functional forms: vjp, grad, valueAndGrad, and noGrad. */
import * as T from '@optnet/tensor';
import { RuntimeError, type Tensor } from '@optnet/tensor';
import { runBackward } from './backward.js';

/**
 * Run `fn` without recording the graph (for updates and evaluation).
 * @example noGrad(() => w.sub(w.grad.mul(lr)))
 */
export function noGrad<R>(fn: () => R): R {
  const prev = T.setGradEnabled(false);
  try {
    return fn();
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

export type Pullback = (cotangents: Tensor | readonly Tensor[]) => Tensor[];

/**
 * Evaluate f at the primals and return its outputs with the pullback
 * c ↦ Jᵀc (one cotangent per primal; zeros where f does not depend on it).
 * @example
 * const [y, pullback] = vjp((x) => x.exp(), x); const [gx] = pullback(ones([3]));
 */
export function vjp(
  f: (...xs: Tensor[]) => Tensor | Tensor[],
  ...primals: Tensor[]
): [Tensor | Tensor[], Pullback] {
  const leaves = leavesOf(primals);
  const prev = T.setGradEnabled(true);
  let out: Tensor | Tensor[];
  try {
    out = f(...leaves);
  } finally {
    T.setGradEnabled(prev);
  }
  const outs = Array.isArray(out) ? out : [out];
  const pullback: Pullback = (cotangents) => {
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
 * Value of a scalar function and its gradients wrt every argument.
 * @example const [loss, [gw]] = valueAndGrad((w) => w.square().sum())(w);
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
 * Gradient of a scalar function: one tensor for one argument, else an array.
 * @example const g = grad((x) => x.square().sum())(x); // 2x
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
