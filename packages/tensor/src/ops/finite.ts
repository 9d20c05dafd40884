/**
 * Finite-input checks for kernels whose answer means nothing with NaN or
 * Inf inputs (factorizations and solves): without them a NaN shows up as a
 * misleading "not positive definite" or "singular", or as a silent NaN.
 */
import { RuntimeError, ValueError } from '../errors.js';
import type { CpuTensor, KernelFailure, TensorMeta } from '../op.js';
import { stridesOf, type Shape } from '../shape.js';

/** Throws NON_FINITE naming the op, the argument, the index and the value. */
export function assertFinite(op: string, arg: string, t: CpuTensor): void {
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (v - v !== 0) throw nonFinite(op, arg, t.shape, i, v);
  }
}

/**
 * The NON_FINITE error for entry `i` (flat, row-major) of argument `arg`
 * of shape `shape`, holding `v`.
 * @example nonFinite('solve', 'A', [2, 2], 3, NaN); // "... got NaN at [1, 1]"
 */
export function nonFinite(
  op: string,
  arg: string,
  shape: Shape,
  i: number,
  v: number,
): ValueError {
  const index = stridesOf(shape).map((s, k) => Math.floor(i / s) % shape[k]);
  return new ValueError(
    'NON_FINITE',
    `${op}: ${arg} must be finite; got ${v} at [${index.join(', ')}]. ` +
      `Check the inputs for NaN/Inf (e.g. from a diverged earlier step).`,
  );
}

/**
 * The error of a failure record that is NON_FINITE (naming `args[input]`),
 * or null for another code.
 * @example nonFiniteFailure('solve', ['A', 'B'], f, inputs) ?? singular(f)
 */
export function nonFiniteFailure(
  op: string,
  args: readonly string[],
  f: KernelFailure,
  inputs: readonly TensorMeta[],
): ValueError | null {
  if (f.code !== 'NON_FINITE') return null;
  return nonFinite(op, args[f.input], inputs[f.input].shape, f.index, f.value);
}

/**
 * The error for a failure record whose code `op` never records: a bug in
 * a backend's kernel, not in the user's data.
 * @example return nonFiniteFailure(op, args, f, ins) ?? unknownFailure(op, f);
 */
export function unknownFailure(op: string, f: KernelFailure): RuntimeError {
  return new RuntimeError(
    'BAD_ARGUMENT',
    `${op}: a kernel failure must carry a code this op records; got ${f.code}. ` +
      `This is a bug in the backend's kernel.`,
  );
}
