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
   * 'primal' factors an nz matrix and accepts any convex Q; 'bounds'
   * factors an nEq matrix and needs the declared `structure` below.
   * 'auto' takes the cheapest that applies.
   */
  kkt?: 'auto' | 'dual' | 'primal' | 'bounds';
  /**
   * Structure the caller declares (never guessed from the values; checked
   * on the values that validation reads back): `Q: 'diagonal'`, and
   * `G: 'bounds'` when each row of G has one nonzero (a bound on one
   * variable, e.g. z ≥ 0 as G = −I, h = 0). With both, the 'bounds' KKT
   * reduction factors only an nEq × nEq matrix per item (the Sudoku QP:
   * 40 × 40 instead of 104 × 104).
   */
  structure?: QpStructure;
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

/** Declared structure of Q and G (see `QpOptions.structure`). */
export interface QpStructure {
  Q?: 'dense' | 'diagonal';
  G?: 'dense' | 'bounds';
}

/** What `onResult` receives after a solve, per batch item. */
export interface QpSolveInfo {
  status: readonly QpStatus[];
  iterations: readonly number[];
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
