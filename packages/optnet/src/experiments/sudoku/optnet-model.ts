/**
 * The OptNet paper's Sudoku model: one QP layer that learns the rules of 4x4
 * Sudoku from examples alone. This file is meant to be copied as the start
 * of your own model (in your project, import from '@optnet/optnet',
 * '@optnet/nn' and '@optnet/tensor').
 *
 * A board is one-hot encoded as x ∈ {0, 1}^(4·4·4) (cell × digit). The layer
 * returns the solution of
 *
 *   minimize ½ zᵀQz + pᵀz   subject to   z ≥ 0,   Az = b
 *
 * with Q = 0.1·I and p = −x: it wants z close to the clues, and the learned
 * equalities Az = b must come to encode "each cell, row, column and box
 * holds each digit once" (40 independent such constraints for 4x4 boards,
 * hence A has 40 rows). b = A·z0 for a learned z0 = exp(log z0) > 0, so the
 * QP is feasible whatever A is. The loss is the mean squared error between
 * z and the one-hot solution, and a board is read off z by argmax per cell.
 *
 * Q is diagonal and z ≥ 0 is a simple bound (G = −I, h = 0): the model
 * declares both (`structure`), so the residuals skip the dense products
 * with Q and G, and asks for the bounds KKT reduction (`kkt: 'bounds'`),
 * which factors one nEq × nEq matrix (40 × 40) per puzzle and iteration.
 * `qpOptions: { kkt: 'dual' }` takes the dual reduction instead (a
 * 64 × 64 factorization and a slower step; both reach the paper's result,
 * BENCHMARKS.md). `qpOptions` with a `structure` of their own are passed
 * as they are: no structure, no `kkt` and no `polish` are added then.
 *
 * Polishing is off (`polish: false`): training needs z and its gradient,
 * which the interior point gives to the solver's tolerance, and polishing
 * each answer to its active set's exact vertex costs about 15% of a
 * training step. The price: z within ~2e-4 of the exact answer (Q = 0.1·I
 * makes the objective flat along A's null space), gradients within ~1%,
 * and runs that part sooner between JavaScript engines (a last-bit
 * difference can end a solve an iteration earlier). Both reach the
 * paper's result (BENCHMARKS.md); `qpOptions: { polish: true }` polishes.
 */
import {
  eye,
  makeRng,
  matmul,
  rand,
  zeros,
  type OptionKeys,
  type Rng,
} from '@optnet/tensor';
import type { DType, FloatDType, Tensor } from '@optnet/tensor';
import { Module } from '@optnet/nn';
import { qp } from '../../api/qp.js';
import { refuseUnknownKeys } from '../../api/closest.js';
import type { QpOptions } from '../../api/types.js';

/**
 * Options of OptNetSudoku.
 * @example
 * new OptNetSudoku({ rng: makeRng(1), qpOptions: { tol: 1e-10 } });
 */
export interface OptNetSudokuOptions {
  /** Rows of the learned A (default 40, the paper's). */
  nEq?: number;
  /** Weight of ½‖z‖² in the objective (default 0.1, the paper's). */
  qPenalty?: number;
  /** dtype of the parameters and the solve (default 'float64'). */
  dtype?: FloatDType;
  /** Draws the initial A (uniform in [0, 1), as in the paper). */
  rng?: Rng;
  /**
   * Passed to qp() on every forward. Without a `structure` of their own,
   * the model adds its structure, and `kkt: 'bounds'` and `polish: false`
   * unless they set them; with one, they are passed as they are (see
   * above).
   */
  qpOptions?: QpOptions;
}

/** The keys OptNetSudokuOptions takes (a key added there fails tsc here). */
const SUDOKU_KEYS: OptionKeys<OptNetSudokuOptions> = {
  nEq: 1,
  qPenalty: 1,
  dtype: 1,
  rng: 1,
  qpOptions: 1,
};

/**
 * OptNet for 4x4 Sudoku: [n, 4, 4, 4] one-hot boards in, [n, 4, 4, 4]
 * scores out (z of the QP above).
 * @example
 * const model = new OptNetSudoku({ rng: makeRng(1) });
 * const z = model.forward(boards); // boards: [n, 4, 4, 4]
 */
export class OptNetSudoku extends Module {
  /** The learned equality constraints, [nEq, 64]. */
  A: Tensor;
  /** log z0 [64]: b = A·exp(log z0) keeps the QP feasible. */
  logZ0: Tensor;
  readonly #Q: Tensor;
  readonly #G: Tensor;
  readonly #h: Tensor;
  readonly #qpOptions: QpOptions;

  constructor(options: OptNetSudokuOptions = {}) {
    super();
    refuseUnknownKeys('OptNetSudoku', options, Object.keys(SUDOKU_KEYS));
    const { nEq = 40, qPenalty = 0.1, dtype = 'float64' } = options;
    const nz = 64;
    const rng = options.rng ?? makeRng(0);
    this.A = rand([nEq, nz], { dtype, rng, requiresGrad: true });
    this.logZ0 = zeros([nz], { dtype, requiresGrad: true });
    this.#Q = eye(nz, { dtype }).mul(qPenalty);
    this.#G = eye(nz, { dtype }).neg(); // −z ≤ 0
    this.#h = zeros([nz], { dtype });
    const user = options.qpOptions ?? {};
    this.#qpOptions =
      user.structure === undefined
        ? {
            kkt: 'bounds',
            polish: false,
            ...user,
            structure: { Q: 'diagonal', G: 'bounds' },
          }
        : user;
  }

  forward(boards: Tensor): Tensor {
    const n = boards.shape[0];
    const p = boards.reshape([n, 64]).neg();
    const b = matmul(this.A, this.logZ0.exp());
    const z = qp(this.#Q, p, this.#G, this.#h, this.A, b, this.#qpOptions);
    return z.reshape([n, 4, 4, 4]);
  }

  /** The dtype boards must have. */
  get dtype(): DType {
    return this.A.dtype;
  }
}
