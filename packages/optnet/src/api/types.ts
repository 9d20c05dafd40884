/**
 * Public types of the QP solver.
 *
 * Glossary (the OptNet paper's names, used in every solver file):
 *   Q [nBatch, nz, nz], p [nBatch, nz]      objective ½ zᵀQz + pᵀz
 *   G [nBatch, nIneq, nz], h [nBatch, nIneq] inequalities Gz ≤ h
 *   A [nBatch, nEq, nz],  b [nBatch, nEq]    equalities Az = b
 *   z primal, s = h − Gz slack, lam ≥ 0 inequality duals, nu equality duals
 */
import type { Tensor } from '@optnet/tensor';

/**
 * Plain nested arrays of numbers, such as [[2, 0], [0, 2]]: qp and solveQp
 * take them in place of tensors.
 * @example
 * const Q: NestedNumbers = [[2, 0], [0, 2]];
 * qp(Q, [-2, -4], [[1, 1]], [1], null, null); // [0, 1]
 */
export type NestedNumbers = readonly number[] | readonly NestedNumbers[];

/**
 * A data argument of qp / solveQp: a tensor, or plain numbers that are
 * converted to one (with the dtype of the first tensor argument, float64
 * when none is a tensor; no gradient flows to them).
 * @example
 * const p: QpArg = tensor([-1, -1], { dtype: 'float64', requiresGrad: true });
 * const Q: QpArg = [[1, 0], [0, 1]];
 * qp(Q, p, null, null, null, null); // [1, 1]
 */
export type QpArg = Tensor | NestedNumbers | Float64Array | Float32Array;

/**
 * How a batch item ended: `solved`, or why not.
 * @example
 * const r = await solveQp([[1]], [-1], [[1]], [0.5], null, null);
 * const status: QpStatus = r.status[0]; // 'solved'
 */
export type QpStatus =
  'solved' | 'infeasible' | 'unbounded' | 'max_iterations' | 'numerical_error';

/**
 * Options of qp and solveQp (and OptNetLayer's `qpOptions`); an unknown
 * key or a bad value throws QpError BAD_OPTION.
 * @example
 * const opts: QpOptions = { tol: 1e-10, maxIter: 100, kkt: 'primal' };
 * qp([[1]], [-1], [[1]], [0.5], null, null, opts); // [0.5]
 */
export interface QpOptions {
  /**
   * Stopping tolerance on the scaled residuals and the duality gap
   * (default 1e-8 for float64, 1e-6 for float32).
   */
  tol?: number;
  /** Interior-point iterations before giving up (default 50). */
  maxIter?: number;
  /**
   * Steps of iterative refinement per KKT solve (default 1 with the
   * 'primal' reduction, whose regularization they undo; 0 with 'dual',
   * where measurements show no gain, float32 included).
   */
  refine?: number;
  /**
   * Check that Q is symmetric positive semidefinite before solving
   * (default true). It costs about one factorization per batch item.
   */
  checkQ?: boolean;
  /**
   * How the KKT system is reduced (default 'auto'): 'dual' eliminates the
   * equalities once and factors an nIneq × nIneq matrix per iteration,
   * and needs Q positive definite; 'primal' factors an nz × nz matrix and
   * accepts any convex Q; 'bounds' factors an nEq × nEq matrix and needs
   * the declared `structure` below. 'auto' takes the cheapest that
   * applies.
   */
  kkt?: 'auto' | 'dual' | 'primal' | 'bounds';
  /**
   * Structure the caller declares (never guessed from the values; checked
   * on the values that validation reads back): `Q: 'diagonal'`, and
   * `G: 'bounds'` when each row of G has one nonzero (a bound on one
   * variable, e.g. z ≥ 0 as G = −I, h = 0). With both, the 'bounds' KKT
   * reduction factors only an nEq × nEq matrix per item (the Sudoku QP:
   * 40 × 40 instead of the dual reduction's 64 × 64), and every reduction's
   * residuals skip the dense products with Q and G.
   */
  structure?: QpStructure;
  /**
   * Polish the interior-point answer (default true): guess the active set,
   * solve the equality-constrained QP it defines, and keep that point per
   * item when it is at least as good (see README "How it works"); the
   * backward pass then differentiates at that exact active set.
   */
  polish?: boolean;
  /**
   * Start from this point instead of from scratch (default: none). Pass
   * an earlier solve's answer, e.g. a whole `QpResult` (its z, s, lam, nu;
   * s, lam and nu may be left out). Nothing is kept between calls: the
   * caller passes it, so the same call gives the same bits. Each tensor
   * has the shape of the result's field (or drops the batch axis).
   */
  warmStart?: QpWarmStart;
  /**
   * qp() only: what to do when a batch item is not `solved`:
   * 'throw' (default) raises QpError QP_NOT_SOLVED; 'return' returns z
   * anyway (read the status with solveQp).
   */
  onNotSolved?: 'throw' | 'return';
  /** Called after every iteration with the largest residuals. */
  onIteration?: (info: QpIterationInfo) => void;
  /**
   * Called after each solve with every item's status and iterations: with
   * `onNotSolved: 'return'`, how a training loop learns which items of a
   * batch did not solve.
   */
  onResult?: (info: QpSolveInfo) => void;
}

/**
 * Declared structure of Q and G (see `QpOptions.structure`).
 * @example
 * const z = qp(Q, p, G, h, A, b, { structure: { Q: 'diagonal', G: 'bounds' } });
 */
export interface QpStructure {
  /** 'diagonal': Q has no nonzero off its diagonal. */
  Q?: 'dense' | 'diagonal';
  /** 'bounds': each row of G has one nonzero (bounds one variable). */
  G?: 'dense' | 'bounds';
}

/**
 * A starting point for `warmStart`: a `QpResult` will do.
 * @example
 * const first = solveQp(Q, p, G, h, null, null);
 * const start: QpWarmStart = first; // z, s, lam, nu of an earlier solve
 */
export interface QpWarmStart {
  /** The primal point, [nBatch, nz] or [nz]. */
  readonly z: Tensor;
  /** Slacks h − Gz (absent: computed from z). */
  readonly s?: Tensor | null;
  /** Inequality duals (absent: zeros, then pushed into the interior). */
  readonly lam?: Tensor | null;
  /** Equality duals (absent: zeros). */
  readonly nu?: Tensor | null;
}

/**
 * What `onResult` receives after a solve, per batch item.
 * @example
 * qp([[1]], [-1], null, null, null, null, {
 *   onResult: (info: QpSolveInfo) => console.log(info.status), // ['solved']
 * });
 */
export interface QpSolveInfo {
  /** How each item ended. */
  status: readonly QpStatus[];
  /** Interior-point iterations each item ran. */
  iterations: readonly number[];
  /** Whether the returned point is the polished one. */
  polished: readonly boolean[];
}

/**
 * What `onIteration` receives after each interior-point iteration: the
 * largest residuals over the items still iterating, to watch convergence.
 * @example
 * qp([[1]], [-1], [[1]], [0.5], null, null, {
 *   onIteration: (info: QpIterationInfo) => console.log(info.gap),
 * });
 */
export interface QpIterationInfo {
  /** The iteration just finished (0: the starting point). */
  iteration: number;
  /**
   * Batch items still iterating. With polishing on it can reach 0 and
   * then rise again: the items polishing could not finish iterate on, and
   * the count goes on from the last iteration.
   */
  active: number;
  /** Largest scaled primal residual (see QpResult.primalResidual). */
  primalResidual: number;
  /** Largest dual residual ‖Qz + p + Gᵀλ + Aᵀν‖∞. */
  dualResidual: number;
  /** Largest duality gap sᵀλ. */
  gap: number;
}

/**
 * The full result of solveQp, per batch item: the solution, duals and
 * slacks, and how well each item solved.
 * @example
 * const r: QpResult = await solveQp([[1]], [-1], [[1]], [0.5], null, null);
 * r.z; // [0.5]; r.lam [0.5]: the constraint is active
 */
export interface QpResult {
  /** [nBatch, nz] (or [nz] when no input had a batch dimension). */
  z: Tensor;
  /** Inequality duals [nBatch, nIneq]. */
  lam: Tensor;
  /** Equality duals [nBatch, nEq]. */
  nu: Tensor;
  /** Slacks h − Gz [nBatch, nIneq]. */
  s: Tensor;
  /** How each item ended. */
  status: QpStatus[];
  /** Interior-point iterations each item ran. */
  iterations: number[];
  /**
   * Per item: whether the returned point is the polished one (false when
   * polishing is off, or its point was not at least as good).
   */
  polished: boolean[];
  /**
   * Per item, max over rows of |Gz + s − h| / (1 + |h|) and |Az − b| / (1 +
   * |b|).
   */
  primalResidual: number[];
  /** ‖Qz + p + Gᵀλ + Aᵀν‖∞ per item. */
  dualResidual: number[];
  /** sᵀλ per item. */
  gap: number[];
  /** ½ zᵀQz + pᵀz per item. */
  objective: number[];
}
