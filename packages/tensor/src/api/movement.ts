/** Public functions for the movement primitives. */
import { apply1 } from '../apply.js';
import { primitives as P } from '../primitives.js';
import type { Tensor } from '../tensor.js';

/**
 * Reverse the order of elements along `axes` (default: all axes).
 * @example flip(x, [0]) // rows in reverse order
 */
export function flip(x: Tensor, axes?: number | readonly number[]): Tensor {
  const list = axes === undefined ? [...Array(x.shape.length).keys()] : typeof axes === 'number' ? [axes] : [...axes];
  return apply1(P.flip, [x], { axes: list });
}
