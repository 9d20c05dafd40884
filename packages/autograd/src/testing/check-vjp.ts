/**
 * Gradient check in one random direction (JAX's check_vjp): for random
 * input direction t and output cotangent c, compare ⟨t, Jᵀc⟩ from the VJP
 * with ⟨Jt, c⟩ from central differences (f(x+εt) − f(x−εt)) / 2ε.
 */
import * as T from '@optnet/tensor';
import type { Rng, Tensor } from '@optnet/tensor';
import { noGrad, vjp } from '../functional.js';

/**
 * Options of `checkVjp`.
 * @example
 * const options: CheckVjpOptions = { rng: makeRng(1), eps: 1e-5, wrt: [0] };
 */
export interface CheckVjpOptions {
  /** Draws the direction and cotangent (default `makeRng(0)`). */
  rng?: Rng;
  /** Central-difference step ε (default 1e-6: use float64 inputs). */
  eps?: number;
  /** Indices of the arguments to perturb (default: every float argument). */
  wrt?: readonly number[];
}

/**
 * What `checkVjp` measured: both sides of ⟨t, Jᵀc⟩ = ⟨Jt, c⟩ and their
 * relative difference, which a test asserts is small.
 * @example
 * const x = randn([3], { dtype: 'float64' });
 * const r: CheckVjpResult = checkVjp((a) => a.exp(), [x]);
 * r.relError < 1e-6; // true for a correct rule
 */
export interface CheckVjpResult {
  /** ⟨t, Jᵀc⟩ from the VJP rules. */
  readonly analytic: number;
  /** ⟨Jt, c⟩ from central differences. */
  readonly numeric: number;
  /** |analytic − numeric| / max(|analytic|, |numeric|, 1e-8). */
  readonly relError: number;
}

function dot(a: Tensor, b: Tensor): number {
  return noGrad(() => T.sum(T.mul(a, b)).itemSync());
}

/**
 * Check `f`'s VJP against finite differences along one random direction
 * (JAX's `check_vjp`): the test of a new VJP rule or custom primitive.
 * Pass float64 inputs; float32 differences are too coarse for ε = 1e-6.
 * @example
 * const rng = makeRng(0);
 * const a = randn([2, 3], { dtype: 'float64', rng });
 * const b = randn([3, 4], { dtype: 'float64', rng });
 * const r = checkVjp((a, b) => a.matmul(b), [a, b], { rng });
 * r.relError < 1e-6; // true
 */
export function checkVjp(
  f: (...xs: Tensor[]) => Tensor | Tensor[],
  args: readonly Tensor[],
  options: CheckVjpOptions = {},
): CheckVjpResult {
  const rng = options.rng ?? T.makeRng(0);
  const eps = options.eps ?? 1e-6;
  const wrt =
    options.wrt ?? args.flatMap((a, i) => (T.isFloat(a.dtype) ? [i] : []));
  const dirs = args.map((a, i) =>
    wrt.includes(i) ? T.randn(a.shape, { dtype: a.dtype, rng }) : null,
  );
  const [out, pullback] = vjp(f, ...args);
  const outs = Array.isArray(out) ? out : [out];
  const cts = outs.map((o) => T.randn(o.shape, { dtype: o.dtype, rng }));
  const grads = pullback(cts);
  let analytic = 0;
  dirs.forEach((t, i) => {
    if (t) analytic += dot(t, grads[i]);
  });
  const shifted = (sign: number): number =>
    noGrad(() => {
      const xs = args.map((a, i) =>
        dirs[i] ? T.add(a, T.mul(dirs[i]!, sign * eps)) : a,
      );
      const y = f(...xs);
      const ys = Array.isArray(y) ? y : [y];
      return ys.reduce((acc, yi, k) => acc + dot(yi, cts[k]), 0);
    });
  const numeric = (shifted(1) - shifted(-1)) / (2 * eps);
  const relError =
    Math.abs(analytic - numeric) /
    Math.max(Math.abs(analytic), Math.abs(numeric), 1e-8);
  return { analytic, numeric, relError };
}
