/**
 * definePrimitive: a primitive whose forward is written in other tensor
 * ops and whose backward receives what the forward saved (the JAX
 * custom_vjp contract). The forward runs unrecorded; the primitive is
 * recorded as one node whose VJP is the user's rule.
 */
import * as T from '@optnet/tensor';
import { RuntimeError, type CustomOp, type Tensor } from '@optnet/tensor';
import type { VjpContext, VjpRule } from './vjp/types.js';

export interface PrimitiveSpec<A, R> {
  readonly name: string;
  /** Outputs and residuals; must return new tensors, not its inputs. */
  forward(
    inputs: readonly Tensor[],
    attrs: A,
  ): { outputs: Tensor[]; residuals: R };
  /** Output cotangents → one input cotangent (or null) per input. */
  vjp(
    residuals: R,
    cotangents: readonly Tensor[],
    ctx: VjpContext<A>,
  ): readonly (Tensor | null)[];
}

export interface DefinedPrimitive<A> extends CustomOp<A> {
  readonly customVjp: VjpRule<A>;
  /** Apply the primitive (JAX's Primitive.bind). */
  bind(inputs: readonly Tensor[], attrs: A): Tensor[];
}

/**
 * @example
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
      const { outputs, residuals } = spec.forward(inputs, attrs);
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
