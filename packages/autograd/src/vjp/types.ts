/** What a VJP rule is. */
import type { AttrsOf, Tensor } from '@optnet/tensor';

/** What the forward left for the backward. */
export interface VjpContext<A> {
  readonly inputs: readonly Tensor[];
  readonly outputs: readonly Tensor[];
  readonly attrs: A;
}

/**
 * Cotangents of the outputs (zeros where an output received none) → one
 * cotangent per input, or null where the input gets no gradient. A rule may
 * return a cotangent with the *broadcast* shape of an input: the walker sums
 * broadcast axes down to the input's shape, once, for every rule.
 */
export type VjpRule<A> = (
  ctx: VjpContext<A>,
  cts: readonly Tensor[],
) => readonly (Tensor | null)[];

/**
 * One rule per primitive of a registry; `null` marks a primitive that is
 * not differentiable (comparisons, argmax, ...).
 */
export type VjpTable<R> = {
  readonly [K in keyof R]: VjpRule<AttrsOf<R[K]>> | null;
};
