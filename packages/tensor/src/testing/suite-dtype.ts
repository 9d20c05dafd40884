/**
 * The op suite's float dtype: float64 where the current backend holds it
 * (the CPU), else float32 (a GPU). Cases create their float tensors with
 * `wide` and state float64 tolerances; assertClose raises tolerances to
 * float32's on a backend without float64 (see FLOAT32_FLOOR).
 */
import { getBackend } from '../backend.js';
import type { DType, FloatDType } from '../dtype.js';

/**
 * float64 if the current backend holds it, else float32.
 * @example T.randn([2, 3], { dtype: wideFloat(), rng })
 */
export function wideFloat(): FloatDType {
  return getBackend().dtypes.includes('float64') ? 'float64' : 'float32';
}

/**
 * Creation options for the widest float of the current backend, read when
 * used (so a case reads it on the backend the suite runs on).
 * @example T.tensor([1, 2], wide)
 */
export const wide: { readonly dtype: FloatDType } = {
  get dtype(): FloatDType {
    return wideFloat();
  },
};

/**
 * The least tolerances of a comparison on a backend without float64:
 * float32 keeps ~7 digits, and the cases' factorizations and solves lose
 * a few more to conditioning.
 */
export const FLOAT32_FLOOR: { readonly rtol: number; readonly atol: number } = {
  rtol: 2e-4,
  atol: 1e-5,
};

/**
 * A dtype the current backend holds other than `d`, for cases that check
 * a dtype mismatch: the other float where it holds both, else int32.
 * @example T.add(x, T.zeros([2], { dtype: unlike(x.dtype) })) // refused
 */
export function unlike(d: DType): DType {
  const other = d === 'float64' ? 'float32' : 'float64';
  return getBackend().dtypes.includes(other) ? other : 'int32';
}
