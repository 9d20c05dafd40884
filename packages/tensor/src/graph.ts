/**
 * The recorded computation graph. Tensor knows nothing of derivatives: it
 * records, for every output that requires a gradient, the primitive, its
 * inputs, attributes and (for custom primitives) residuals. The autograd
 * package walks these nodes with its VJP rules.
 */
import type { Primitive } from './op.js';
import type { Tensor } from './tensor.js';

export interface GraphNode {
  // Any primitive, whatever its attrs type.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly op: Primitive<any>;
  readonly inputs: readonly Tensor[];
  readonly attrs: unknown;
  readonly outputs: readonly Tensor[];
  /** What a custom primitive's forward saved for its backward. */
  readonly residuals?: unknown;
}

let gradEnabled = true;

/** Whether ops currently record the graph (false inside `noGrad`). */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/**
 * Set grad recording and return the previous value (autograd's noGrad uses it).
 */
export function setGradEnabled(enabled: boolean): boolean {
  const prev = gradEnabled;
  gradEnabled = enabled;
  return prev;
}

type BackwardImpl = (root: Tensor, seed: Tensor | undefined) => void;
let backwardImpl: BackwardImpl | null = null;

/** Installed by @optnet/autograd so that `tensor.backward()` works. */
export function setBackwardImpl(impl: BackwardImpl): void {
  backwardImpl = impl;
}

export function getBackwardImpl(): BackwardImpl | null {
  return backwardImpl;
}
