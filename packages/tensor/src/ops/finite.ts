/**
 * Finite-input checks for kernels whose answer means nothing with NaN or
 * Inf inputs (factorizations and solves): without them a NaN shows up as a
 * misleading "not positive definite" or "singular", or as a silent NaN.
 */
import { ValueError } from '../errors.js';
import type { CpuTensor } from '../op.js';
import { stridesOf } from '../shape.js';

/** Throws NON_FINITE naming the op, the argument, the index and the value. */
export function assertFinite(op: string, arg: string, t: CpuTensor): void {
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (v - v !== 0) {
      const strides = stridesOf(t.shape);
      const index = strides.map((s, k) => Math.floor(i / s) % t.shape[k]);
      throw new ValueError(
        'NON_FINITE',
        `${op}: ${arg} must be finite; got ${v} at [${index.join(', ')}]. ` +
          `Check the inputs for NaN/Inf (e.g. from a diverged earlier step).`,
      );
    }
  }
}
