/**
 * Option and input checks shared by the layers, so every layer words its
 * errors the same way: `<Layer>: <rule>; got <values>. <hint>`.
 */
import {
  DTypeError,
  fmtShape,
  ShapeError,
  type DType,
  type FloatDType,
  type Tensor,
} from '@optnet/tensor';
import { NnError } from '../errors.js';

/**
 * A size for both spatial axes, or [height, width] (PyTorch's int or tuple).
 * @example
 * const k: Size2d = [3, 1]; // 3 rows by 1 column
 * new Conv2d(1, 4, k);
 */
export type Size2d = number | readonly [number, number];

/** Throw BAD_OPTION unless `value` is an integer ≥ `min`. */
export function checkInt(
  layer: string,
  name: string,
  value: number,
  min: number,
): void {
  if (!Number.isInteger(value) || value < min) {
    throw new NnError(
      'BAD_OPTION',
      `${layer}: ${name} must be an integer >= ${min}; got ${String(value)}. Pass a whole number.`,
    );
  }
}

/** [h, w] from a Size2d, each checked to be an integer ≥ `min`. */
export function pair(
  layer: string,
  name: string,
  value: Size2d,
  min: number,
): [number, number] {
  const p: [number, number] =
    typeof value === 'number' ? [value, value] : [value[0], value[1]];
  if (typeof value !== 'number' && value.length !== 2) {
    throw new NnError(
      'BAD_OPTION',
      `${layer}: ${name} must be a number or [h, w]; got [${value.join(', ')}].`,
    );
  }
  checkInt(layer, name, p[0], min);
  checkInt(layer, name, p[1], min);
  return p;
}

/** Throw BAD_OPTION unless the dtype is a float one. */
export function checkDType(layer: string, dtype: string): FloatDType {
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new NnError(
      'BAD_OPTION',
      `${layer}: dtype must be 'float32' or 'float64'; got '${dtype}'.`,
    );
  }
  return dtype;
}

/** Throw SHAPE_MISMATCH naming the layer, the expected shape and x's. */
export function badInput(
  layer: string,
  expected: string,
  x: Tensor,
  hint: string,
): never {
  throw new ShapeError(
    'SHAPE_MISMATCH',
    `${layer}: input must be ${expected}; got x${fmtShape(x.shape)}. ${hint}`,
  );
}

/** Throw DTYPE_MISMATCH unless x has the layer's parameter dtype. */
export function checkInputDType(layer: string, x: Tensor, dtype: DType): void {
  if (x.dtype !== dtype) {
    throw new DTypeError(
      'DTYPE_MISMATCH',
      `${layer}: input must have the layer's dtype ${dtype}; got x ${x.dtype}${fmtShape(x.shape)}. ` +
        `Cast the input (x.cast('${dtype}')) or build the layer with { dtype: '${x.dtype}' }.`,
    );
  }
}

/** PyTorch's tuple formatting for a repr: 3 or (3, 1). */
export function fmtPair(p: readonly [number, number]): string {
  return `(${p[0]}, ${p[1]})`;
}
