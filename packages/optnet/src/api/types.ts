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

/** Plain nested arrays of numbers, such as [[2, 0], [0, 2]]. */
export type NestedNumbers = readonly number[] | readonly NestedNumbers[];

/**
 * A data argument of qp / solveQp: a tensor, or plain numbers that are
 * converted to one (with the dtype of the first tensor argument, float64
 * when none is a tensor; no gradient flows to them).
 */
export type QpArg = Tensor | NestedNumbers | Float64Array | Float32Array;

/** How a batch item ended. */
export type QpStatus =
  'solved' | 'infeasible' | 'unbounded' | 'max_iterations' | 'numerical_error';

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
   * How the KKT system is reduced (default 'auto'): 'dual' factors an
   * (nIneq + nEq) matrix per iteration and needs Q positive definite;
   * 'primal' factors an nz matrix and accepts any convex Q. 'auto' takes
   * 'dual' when Q is safely definite.
   */
  kkt?: 'auto' | 'dual' | 'primal';
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

/** A starting point for `warmStart`: a `QpResult` will do. */
export interface QpWarmStart {
  readonly z: Tensor;
  readonly s?: Tensor | null;
  readonly lam?: Tensor | null;
  readonly nu?: Tensor | null;
}

/** What `onResult` receives after a solve, per batch item. */
export interface QpSolveInfo {
  status: readonly QpStatus[];
  iterations: readonly number[];
  /** Whether the returned point is the polished one. */
  polished: readonly boolean[];
}

export interface QpIterationInfo {
  iteration: number;
  /** Batch items still iterating. */
  active: number;
  primalResidual: number;
  dualResidual: number;
  gap: number;
}

/** The full result of solveQp, per batch item. */
export interface QpResult {
  /** [nBatch, nz] (or [nz] when no input had a batch dimension). */
  z: Tensor;
  /** Inequality duals [nBatch, nIneq]. */
  lam: Tensor;
  /** Equality duals [nBatch, nEq]. */
  nu: Tensor;
  /** Slacks h − Gz [nBatch, nIneq]. */
  s: Tensor;
  status: QpStatus[];
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
