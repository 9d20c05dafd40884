/**
 * Random batches of strictly convex, feasible QPs, for benchmarks and
 * tests (the construction of the OptNet paper's and qpth's benchmarks).
 *
 * Glossary: Q p G h A b the data; nBatch nz nIneq nEq the sizes.
 *
 * Per item: L, G, A, p, z0 ~ N(0, 1), s0 = |N(0, 1)|, and
 *   Q = L·Lᵀ + 0.1·I   (positive definite: the problem has one solution)
 *   h = G·z0 + s0      (z0 is strictly feasible for the inequalities)
 *   b = A·z0           (and satisfies the equalities)
 * so every item is solvable as long as A has full row rank (nEq ≤ nz,
 * true with probability one for Gaussian A).
 */
import {
  eye,
  makeRng,
  matmul,
  randn,
  ShapeError,
  type Tensor,
} from '@optnet/tensor';

/**
 * Sizes, dtype and seed of randomQp.
 * @example
 * const opts: RandomQpOptions = {
 *   nBatch: 4, nz: 5, nIneq: 3, nEq: 0, dtype: 'float32', seed: 7,
 * };
 * randomQp(opts).Q.shape; // [4, 5, 5]
 */
export interface RandomQpOptions {
  /** Problems in the batch. */
  nBatch: number;
  /** Variables per problem. */
  nz: number;
  /** Inequalities; 0 gives G = h = null. */
  nIneq: number;
  /** Equalities; 0 gives A = b = null. */
  nEq: number;
  /** dtype of every tensor. */
  dtype: 'float32' | 'float64';
  /** Same seed, same problems. */
  seed: number;
}

/**
 * The data of a QP batch; every tensor carries the batch axis. Spread it
 * into qp or solveQp.
 * @example
 * const { Q, p, G, h, A, b }: RandomQp = randomQp({
 *   nBatch: 2, nz: 3, nIneq: 4, nEq: 1, dtype: 'float64', seed: 0,
 * });
 * qp(Q, p, G, h, A, b); // [2, 3]
 */
export interface RandomQp {
  /** [nBatch, nz, nz] */
  Q: Tensor;
  /** [nBatch, nz] */
  p: Tensor;
  /** [nBatch, nIneq, nz] or null */
  G: Tensor | null;
  /** [nBatch, nIneq] or null */
  h: Tensor | null;
  /** [nBatch, nEq, nz] or null */
  A: Tensor | null;
  /** [nBatch, nEq] or null */
  b: Tensor | null;
}

function checkSizes(o: RandomQpOptions): void {
  const sizes: [string, number, number][] = [
    ['nBatch', o.nBatch, 1],
    ['nz', o.nz, 1],
    ['nIneq', o.nIneq, 0],
    ['nEq', o.nEq, 0],
  ];
  for (const [name, v, min] of sizes) {
    if (!Number.isInteger(v) || v < min) {
      throw new ShapeError(
        'BAD_ARGUMENT',
        `randomQp: ${name} must be an integer ≥ ${min}; got ${v}.`,
      );
    }
  }
  if (o.nEq > o.nz) {
    // More equalities than unknowns: Az = b would (generically) pin z down or
    // be singular.
    const msg = `randomQp: need nEq ≤ nz; got nEq ${o.nEq}, nz ${o.nz}. Use fewer equalities.`;
    throw new ShapeError('BAD_ARGUMENT', msg);
  }
}

/** M·v for a batch of matrices [B, m, n] and vectors [B, n] → [B, m]. */
function matvec(M: Tensor, v: Tensor): Tensor {
  return matmul(M, v.unsqueeze(-1)).squeeze(-1);
}

/**
 * A batch of random QPs that are feasible and strictly convex by
 * construction (see the file comment), drawn from `makeRng(seed)`.
 * Test data for a solver or a gradient, and the benchmarks' workload.
 * @example
 * const { Q, p, G, h, A, b } = randomQp({
 *   nBatch: 8, nz: 10, nIneq: 10, nEq: 3, dtype: 'float64', seed: 0,
 * });
 * const z = qp(Q, p, G, h, A, b); // [8, 10]
 */
export function randomQp(opts: RandomQpOptions): RandomQp {
  checkSizes(opts);
  const { nBatch, nz, nIneq, nEq, dtype } = opts;
  const rng = makeRng(opts.seed);
  const r = { rng, dtype };
  // Draw order is fixed (L, p, z0, G, s0, A) so that a seed names the same
  // data.
  const L = randn([nBatch, nz, nz], r);
  const Q = matmul(L, L, { transB: true }).add(eye(nz, { dtype }).mul(0.1));
  const p = randn([nBatch, nz], r);
  const z0 = randn([nBatch, nz], r);
  let G: Tensor | null = null;
  let h: Tensor | null = null;
  if (nIneq > 0) {
    G = randn([nBatch, nIneq, nz], r);
    h = matvec(G, z0).add(randn([nBatch, nIneq], r).abs());
  }
  let A: Tensor | null = null;
  let b: Tensor | null = null;
  if (nEq > 0) {
    A = randn([nBatch, nEq, nz], r);
    b = matvec(A, z0);
  }
  return { Q, p, G, h, A, b };
}
