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
  /**
   * Finite-difference step (default 1e-6; checkVjpAsync: 1e-2 when an
   * argument is float32).
   */
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

/** ⟨a, b⟩ as a 0-d tensor, outside the graph. */
function dot(a: Tensor, b: Tensor): Tensor {
  return noGrad(() => T.sum(T.mul(a, b)));
}

/**
 * The scalars a check reads: the terms of ⟨t, Jᵀc⟩ (one per perturbed
 * argument) and of ⟨f(x ± εt), c⟩ (one per output), summed after reading
 * in JS doubles.
 */
interface Pending {
  readonly analytic: readonly Tensor[];
  readonly plus: readonly Tensor[];
  readonly minus: readonly Tensor[];
  readonly eps: number;
}

/**
 * The default step: central differences lose about ε² to truncation and
 * (machine epsilon)/ε to rounding, so float32 needs a far larger ε.
 */
function defaultEps(args: readonly Tensor[]): number {
  return args.some((a) => a.dtype === 'float32') ? 1e-2 : 1e-6;
}

/** Everything but the reads: the VJP, and the two shifted evaluations. */
function prepare(
  f: (...xs: Tensor[]) => Tensor | Tensor[],
  args: readonly Tensor[],
  options: CheckVjpOptions,
  eps: number,
): Pending {
  const rng = options.rng ?? T.makeRng(0);
  const wrt =
    options.wrt ?? args.flatMap((a, i) => (T.isFloat(a.dtype) ? [i] : []));
  const dirs = args.map((a, i) =>
    wrt.includes(i)
      ? T.randn(a.shape, { dtype: a.dtype, rng, backend: a.backend })
      : null,
  );
  const [out, pullback] = vjp(f, ...args);
  const outs = Array.isArray(out) ? out : [out];
  const cts = outs.map((o) =>
    T.randn(o.shape, { dtype: o.dtype, rng, backend: o.backend }),
  );
  const grads = pullback(cts);
  const analytic = dirs.flatMap((t, i) => (t ? [dot(t, grads[i]!)] : []));
  const shifted = (sign: number): Tensor[] =>
    noGrad(() => {
      const xs = args.map((a, i) =>
        dirs[i] ? T.add(a, T.mul(dirs[i]!, sign * eps)) : a,
      );
      const y = f(...xs);
      return (Array.isArray(y) ? y : [y]).map((yi, k) => dot(yi, cts[k]));
    });
  return { analytic, plus: shifted(1), minus: shifted(-1), eps };
}

const total = (xs: readonly number[]): number =>
  xs.reduce((acc, x) => acc + x, 0);

function result(
  analytic: number,
  plus: number,
  minus: number,
  eps: number,
): CheckVjpResult {
  const numeric = (plus - minus) / (2 * eps);
  const relError =
    Math.abs(analytic - numeric) /
    Math.max(Math.abs(analytic), Math.abs(numeric), 1e-8);
  return { analytic, numeric, relError };
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
  const p = prepare(f, args, options, options.eps ?? 1e-6);
  const read = (ts: readonly Tensor[]) => total(ts.map((t) => t.itemSync()));
  return result(read(p.analytic), read(p.plus), read(p.minus), p.eps);
}

/**
 * checkVjp without synchronous reads, for any backend (a GPU): the same
 * check, read with `await`. The default ε is 1e-2 when an argument is
 * float32 (1e-6 for float64).
 * @example
 * const r = await checkVjpAsync((x) => x.exp().sum(), [x]);
 * assert(r.relError < 1e-2); // float32
 */
export async function checkVjpAsync(
  f: (...xs: Tensor[]) => Tensor | Tensor[],
  args: readonly Tensor[],
  options: CheckVjpOptions = {},
): Promise<CheckVjpResult> {
  const p = prepare(f, args, options, options.eps ?? defaultEps(args));
  const read = async (ts: readonly Tensor[]) =>
    total(await Promise.all(ts.map((t) => t.item())));
  const [analytic, plus, minus] = await Promise.all(
    [p.analytic, p.plus, p.minus].map(read),
  );
  return result(analytic, plus, minus, p.eps);
}
