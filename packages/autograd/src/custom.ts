/**
 * definePrimitive: a primitive whose forward is written in other tensor
 * ops and whose backward receives what the forward saved (the JAX
 * custom_vjp contract). The forward runs unrecorded; the primitive is
 * recorded as one node whose VJP is the user's rule.
 */
import * as T from '@optnet/tensor';
import { RuntimeError, type CustomOp, type Tensor } from '@optnet/tensor';
import { outsideTraces } from './backward.js';
import type { VjpContext, VjpRule } from './vjp/types.js';

/**
 * What `definePrimitive` needs: a name, a forward written in tensor ops
 * (it runs unrecorded) that saves residuals `R`, and a VJP that gets them
 * back. `A` is the type of the attributes passed to `bind`.
 * @example
 * const double: PrimitiveSpec<{}, null> = {
 *   name: 'double',
 *   forward: ([x]) => ({ outputs: [x.mul(2)], residuals: null }),
 *   vjp: (_r, [g]) => [g.mul(2)],
 * };
 */
export interface PrimitiveSpec<A, R> {
  /** The op's name, in error messages and graph nodes. */
  readonly name: string;
  /** Outputs and residuals; must return new tensors, not its inputs. */
  forward(
    inputs: readonly Tensor[],
    attrs: A,
  ): {
    /** The primitive's outputs (new tensors). */
    outputs: Tensor[];
    /** What the VJP needs from the forward (factors, intermediates). */
    residuals: R;
  };
  /** Output cotangents → one input cotangent (or null) per input. */
  vjp(
    residuals: R,
    cotangents: readonly Tensor[],
    ctx: VjpContext<A>,
  ): readonly (Tensor | null)[];
}

/**
 * A primitive made by `definePrimitive`: apply it with `bind`; the graph
 * records it as one node and its backward runs `customVjp`.
 * @example
 * const myNeg: DefinedPrimitive<{}> = definePrimitive<{}, null>({
 *   name: 'myNeg',
 *   forward: ([x]) => ({ outputs: [x.neg()], residuals: null }),
 *   vjp: (_r, [g]) => [g.neg()],
 * });
 * const [y] = myNeg.bind([tensor([1, 2])], {}); // [-1, -2]
 */
export interface DefinedPrimitive<A> extends CustomOp<A> {
  /** The VJP rule the backward walker calls for this primitive's nodes. */
  readonly customVjp: VjpRule<A>;
  /** Apply the primitive (JAX's Primitive.bind). */
  bind(inputs: readonly Tensor[], attrs: A): Tensor[];
}

/**
 * A differentiable primitive whose forward is written in tensor ops and
 * whose backward is yours (JAX's `custom_vjp`): for a forward that is
 * cheaper or stabler to differentiate by hand than op by op (the QP layer
 * differentiates its KKT system, not the solver's iterations).
 * @example
 * const x = tensor([1, 2], { requiresGrad: true });
 * const cube = definePrimitive<{}, Tensor>({
 *   name: 'cube',
 *   forward: ([x]) => ({ outputs: [x.mul(x).mul(x)], residuals: x }),
 *   vjp: (x, [g]) => [g.mul(x.square().mul(3))],
 * });
 * const [y] = cube.bind([x], {});
 */
export function definePrimitive<A, R>(
  spec: PrimitiveSpec<A, R>,
): DefinedPrimitive<A> {
  const residualsOf = new WeakMap<Tensor, R>();
  const prim: DefinedPrimitive<A> = {
    kind: 'custom',
    name: spec.name,
    forward(inputs, attrs) {
      // Its backward is spec.vjp: a gradient taken inside the forward (an
      // inner solver's) does not make an enclosing grad wrong.
      const { outputs, residuals } = outsideTraces(() =>
        spec.forward(inputs, attrs),
      );
      for (const o of outputs) {
        if (inputs.includes(o)) {
          throw new RuntimeError(
            'BAD_ARGUMENT',
            `${spec.name}: forward must return new tensors; got one of its inputs as an output. Return a copy (x.reshape(x.shape)).`,
          );
        }
        residualsOf.set(o, residuals);
      }
      return { outputs, residuals };
    },
    customVjp: (ctx, cts) =>
      spec.vjp(residualsOf.get(ctx.outputs[0]) as R, cts, ctx),
    bind: (inputs, attrs) => T.apply(prim, inputs, attrs),
  };
  return prim;
}
