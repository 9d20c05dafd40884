/**
 * Arrays known to hold only finite numbers, so that kernels which refuse
 * NaN/Inf inputs (solves) need not scan the same factor on every call: the
 * QP solver solves against one Cholesky factor several times an iteration,
 * and the scan was half of each triangular solve.
 *
 * Sound because a tensor's array never changes while a tensor holds it
 * (kernels write only the fresh outputs; `assign` swaps arrays, it does not
 * write them), and the backend forgets an array when it is freed, before
 * it can be recycled as a new output. Keyed by the array object, so views
 * made elsewhere (worker threads) start unknown.
 */
import type { TypedArray } from '../dtype.js';

const known = new WeakSet<TypedArray>();

/** Whether `a` was marked finite (and not freed since). */
export function isKnownFinite(a: TypedArray): boolean {
  return known.has(a);
}

/** Record that every element of `a` is finite. */
export function markFinite(a: TypedArray): void {
  known.add(a);
}

/** Forget `a` (its memory is about to be reused). */
export function forgetFinite(a: TypedArray): void {
  known.delete(a);
}
