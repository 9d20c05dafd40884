/** What a VJP rule is. */
import type { AttrsOf, Tensor } from '@optnet/tensor';

/**
 * What the forward left for the backward: the node's inputs, outputs and
 * attributes, which a VJP rule reads (exp's rule reuses its output).
 * @example
 * const expRule: VjpRule<{}> = (ctx, [g]) => [g.mul(ctx.outputs[0])];
 */
export interface VjpContext<A> {
  /** The primitive's inputs, as the forward received them. */
  readonly inputs: readonly Tensor[];
  /** The primitive's outputs. */
  readonly outputs: readonly Tensor[];
  /** The attributes the primitive was applied with (axes, shapes, ...). */
  readonly attrs: A;
  /**
   * Whether each input needs a cotangent (it requires grad); absent: all
   * do. A rule may skip the work of the others and return null there (a
   * matmul with a data operand computes one product, not two).
   */
  readonly needs?: readonly boolean[];
}

/**
 * Cotangents of the outputs (zeros where an output received none) → one
 * cotangent per input, or null where the input gets no gradient. A rule may
 * return a cotangent with the *broadcast* shape of an input: the walker sums
 * broadcast axes down to the input's shape, once, for every rule.
 * @example
 * // d(x·y) = y·dx + x·dy
 * const mulRule: VjpRule<{}> = ({ inputs: [x, y] }, [g]) =>
 *   [g.mul(y), g.mul(x)];
 */
export type VjpRule<A> = (
  ctx: VjpContext<A>,
  cts: readonly Tensor[],
) => readonly (Tensor | null)[];

/**
 * One rule per primitive of a registry; `null` marks a primitive that is
 * not differentiable (comparisons, argmax, ...). Typed over a registry,
 * so a primitive without an entry fails to compile.
 * @example
 * const rules: VjpTable<{ exp: unknown }> = {
 *   exp: (ctx, [g]) => [g.mul(ctx.outputs[0])],
 * };
 */
export type VjpTable<R> = {
  readonly [K in keyof R]: VjpRule<AttrsOf<R[K]>> | null;
};
