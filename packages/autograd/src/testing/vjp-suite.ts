/**
 * The gradient-check suite: every differentiable primitive's VJP checked
 * against central differences (checkVjpAsync, no synchronous reads) on
 * any backend, in its widest float: float64 on the CPU (relative error
 * below 1e-6), float32 on a GPU (below 1e-2, with ε = 1e-2).
 */
import * as T from '@optnet/tensor';
import type { Backend, FloatDType, Rng, Tensor } from '@optnet/tensor';
import { checkVjpAsync } from './check-vjp.js';
import { vjpCases, type Draw } from './vjp-cases.js';

/**
 * Options of vjpSuite.
 * @example
 * vjpSuite(backend, test, { skip: { conv2d: 'no kernel yet' } });
 */
export interface VjpSuiteOptions {
  /** Primitive names to skip, each with the reason. */
  skip?: Readonly<Record<string, string>>;
}

/** The relative error a check must stay under, by dtype. */
const TOLERANCE: Readonly<Record<FloatDType, number>> = {
  float64: 1e-6,
  float32: 1e-2,
};

function shuffled(n: number, rng: Rng): number[] {
  const v = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [v[i], v[j]] = [v[j], v[i]];
  }
  return v;
}

/** Inputs of `dtype` on the current backend from `rng`. */
function makeDraw(dtype: FloatDType, rng: Rng): Draw {
  const randn = (shape: number[]): Tensor => T.randn(shape, { dtype, rng });
  return {
    randn,
    away: (s) => {
      const x = randn(s);
      return T.mul(T.add(T.abs(x), 0.5), T.sign(x));
    },
    positive: (s) => T.add(T.abs(randn(s)), 0.5),
    spd: (batch, n) => {
      const m = randn([...batch, n, n]);
      const eye = T.full([n], n, { dtype });
      return T.addDiagonal(T.matmul(m, m, { transB: true }), eye);
    },
    indices: (shape, n) => T.randint(0, n, shape, { rng }),
    distinct: (shape, offset = 0) => {
      const size = shape.reduce((p, q) => p * q, 1);
      const v = shuffled(size, rng).map((i) => (i - size / 2) * 0.5 + offset);
      return T.tensor(v, { dtype, shape });
    },
  };
}

/** A seed per primitive name, so each case draws the same inputs anywhere. */
function seedOf(name: string): number {
  let h = 7;
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) % 1_000_003;
  return h;
}

async function runCase(name: string, make: (d: Draw) => unknown) {
  const be = T.getBackend();
  const dtype: FloatDType = be.dtypes.includes('float64')
    ? 'float64'
    : 'float32';
  const rng = T.makeRng(seedOf(name));
  const c = (make as (d: Draw) => ReturnType<(typeof vjpCases)['exp'] & {}>)(
    makeDraw(dtype, rng),
  );
  for (let trial = 0; trial < 2; trial++) {
    const r = await checkVjpAsync(c.f, c.args, { rng, wrt: c.wrt });
    const ok = r.relError < TOLERANCE[dtype] && Math.abs(r.analytic) > 1e-6;
    if (!ok)
      throw new Error(
        `${name} (${dtype} on ${be.name}): relError ${r.relError} ` +
          `(analytic ${r.analytic}, numeric ${r.numeric})`,
      );
  }
}

/**
 * Register a gradient check of every differentiable primitive with a test
 * runner's `test(name, fn)`, run on `backend`.
 * @example
 * import { test } from 'uvu';
 * vjpSuite(new CpuBackend(), test); test.run();
 */
export function vjpSuite(
  backend: Backend,
  register: (name: string, fn: () => Promise<void>) => void,
  options: VjpSuiteOptions = {},
): void {
  for (const [name, make] of Object.entries(vjpCases)) {
    if (make === null || (options.skip && name in options.skip)) continue;
    register(`${backend.name}: ${name} gradcheck`, async () => {
      const prev = T.getBackend();
      T.setBackend(backend);
      try {
        await runCase(name, make);
      } finally {
        T.setBackend(prev);
      }
    });
  }
}
