/**
 * Element types. Storage is one typed array per buffer, row-major:
 * float32 → Float32Array, float64 → Float64Array, int32 → Int32Array,
 * bool → Uint8Array (0 or 1).
 */
import { DTypeError } from './errors.js';

/**
 * A tensor's element type. There is no implicit promotion: an op's inputs
 * share one dtype (cast them first).
 * @example
 * const dtype: DType = 'int32';
 * zeros([2], { dtype }); // Int32Array storage
 */
export type DType = 'float32' | 'float64' | 'int32' | 'bool';

/**
 * The dtypes that can carry gradients (and that layers' parameters use).
 * @example
 * const dtype: FloatDType = 'float64';
 * randn([3], { dtype, requiresGrad: true });
 */
export type FloatDType = 'float32' | 'float64';

/**
 * The storage of a tensor's data: what `data()` and `dataSync()` return.
 * @example
 * const data: TypedArray = await tensor([1, 2]).data(); // Float32Array
 */
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'bool'];

/**
 * A fresh zero-filled array of `size` elements for `dtype`: a buffer to
 * fill and hand to `fromTypedArray`.
 * @example
 * allocArray('int32', 3); // Int32Array [0, 0, 0]
 */
export function allocArray(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(size);
    case 'float64':
      return new Float64Array(size);
    case 'int32':
      return new Int32Array(size);
    case 'bool':
      return new Uint8Array(size);
  }
}

/**
 * A typed-array view of `length` elements of `dtype` on `buffer` at
 * `byteOffset`.
 */
export function arrayView(
  dtype: DType,
  buffer: ArrayBufferLike,
  byteOffset: number,
  length: number,
): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(buffer, byteOffset, length);
    case 'float64':
      return new Float64Array(buffer, byteOffset, length);
    case 'int32':
      return new Int32Array(buffer, byteOffset, length);
    case 'bool':
      return new Uint8Array(buffer, byteOffset, length);
  }
}

/** Bytes per element of `dtype`'s storage. */
export function bytesPerElement(dtype: DType): number {
  return dtype === 'float64' ? 8 : dtype === 'bool' ? 1 : 4;
}

/** The dtype whose storage is this typed array. */
export function dtypeOfArray(a: TypedArray): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  return 'bool';
}

/**
 * Whether `dtype` is float32 or float64 (can require a gradient).
 * @example
 * isFloat('float64'); // true
 * isFloat('int32'); // false
 */
export function isFloat(dtype: DType): dtype is FloatDType {
  return dtype === 'float32' || dtype === 'float64';
}

export function isDType(x: unknown): x is DType {
  return typeof x === 'string' && (DTYPES as readonly string[]).includes(x);
}

/** Throws unless `dtype` is a float type; `op` names the caller. */
export function assertFloat(op: string, dtype: DType, arg = 'x'): void {
  if (!isFloat(dtype)) {
    throw new DTypeError(
      'DTYPE_MISMATCH',
      `${op}: ${arg} must be float32 or float64; got ${dtype}. ` +
        `Cast first: ${arg}.cast('float32').`,
    );
  }
}

/** Throws unless all dtypes are equal (no implicit promotion). */
export function assertSameDType(
  op: string,
  dtypes: DType[],
  names: string[],
): DType {
  const d0 = dtypes[0];
  for (let i = 1; i < dtypes.length; i++) {
    if (dtypes[i] !== d0) {
      const got = names.map((n, j) => `${n} ${dtypes[j]}`).join(', ');
      throw new DTypeError(
        'DTYPE_MISMATCH',
        `${op}: inputs must share one dtype (no implicit promotion); got ${got}. ` +
          `Cast one of them, e.g. ${names[i]}.cast('${d0}').`,
      );
    }
  }
  return d0;
}
