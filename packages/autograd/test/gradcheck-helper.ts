/** Shared by the gradient tests: checkVjp at random float64 inputs. */
import * as assert from 'uvu/assert';
import * as T from '@optnet/tensor';
import type { Tensor } from '@optnet/tensor';
import { checkVjp } from '@optnet/autograd/testing';

/**
 * Gradcheck `f` at seeded randn inputs of `shapes`: relative error < 1e-6,
 * and a non-trivial (non-zero) directional derivative.
 */
export function checkShapes(
  name: string,
  f: (...xs: Tensor[]) => Tensor,
  shapes: number[][],
  seed: number,
): void {
  const rng = T.makeRng(seed);
  const args = shapes.map((s) => T.randn(s, { dtype: 'float64', rng }));
  const r = checkVjp(f, args, { rng });
  assert.ok(
    Math.abs(r.analytic) > 1e-8,
    `${name}: trivial check (analytic ${r.analytic})`,
  );
  assert.ok(
    r.relError < 1e-6,
    `${name}: relError ${r.relError} (analytic ${r.analytic}, numeric ${r.numeric})`,
  );
}
