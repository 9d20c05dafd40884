/**
 * The recorded computation graph. Tensor knows nothing of derivatives: it
 * records, for every output that requires a gradient, the primitive, its
 * inputs, attributes and (for custom primitives) residuals. The autograd
 * package walks these nodes with its VJP rules.
 */
import type { Primitive } from './op.js';
import type { Tensor } from './tensor.js';

/**
 * One recorded application of a primitive (a tensor's `node`): what the
 * backward walker reads to apply the primitive's VJP rule.
 * @example
 * const x = tensor([1, 2], { requiresGrad: true });
 * const node: GraphNode | null = x.exp().node;
 * node?.op.name; // 'exp'
 */
export interface GraphNode {
  /** The primitive applied. */
  // Any primitive, whatever its attrs type.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly op: Primitive<any>;
  /** Its input tensors. */
  readonly inputs: readonly Tensor[];
  /** The attributes it was applied with (axes, shapes, ...). */
  readonly attrs: unknown;
  /** Its output tensors (this node is their `node`). */
  readonly outputs: readonly Tensor[];
  /** What a custom primitive's forward saved for its backward. */
  readonly residuals?: unknown;
  /**
   * The `version` of each input, then each output, when the node was
   * recorded: backward checks that none was changed in place since.
   */
  readonly versions?: readonly number[];
}

let gradEnabled = true;

/**
 * Whether ops currently record the graph (false inside `noGrad`).
 * @example
 * isGradEnabled(); // true, outside noGrad
 */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/**
 * Set grad recording and return the previous value (autograd's noGrad uses
 * it); restore the previous value when done.
 * @example
 * const prev = setGradEnabled(false);
 * try {
 *   // ops here are not recorded
 * } finally {
 *   setGradEnabled(prev);
 * }
 */
export function setGradEnabled(enabled: boolean): boolean {
  const prev = gradEnabled;
  gradEnabled = enabled;
  return prev;
}

/**
 * What `tensor.backward(seed)` calls.
 * @inline
 */
type BackwardImpl = (root: Tensor, seed: Tensor | undefined) => void;
let backwardImpl: BackwardImpl | null = null;

/**
 * Installed by @optnet/autograd (on import) so that `tensor.backward()`
 * works: the hook that keeps tensor free of autograd. Call it only to
 * replace the autograd.
 * @example
 * setBackwardImpl((root) => console.log('backward from', root.shape));
 */
export function setBackwardImpl(impl: BackwardImpl): void {
  backwardImpl = impl;
}

export function getBackwardImpl(): BackwardImpl | null {
  return backwardImpl;
}
