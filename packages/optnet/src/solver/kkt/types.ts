/**
 * The types every KKT reduction shares: the data, the Newton system's
 * right-hand sides and solutions, and `KktStrategy`, the interface one
 * reduction implements. The driver (kkt.ts), the reductions (dual.ts,
 * primal.ts) and the choice between them (choose.ts) all import this file
 * and none imports another's, so there is no import cycle.
 *
 * Glossary: Q [nz, nz], G [nIneq, nz], A [nEq, nz] (each shared or with a
 * leading nBatch axis); z primal, s slack, lam inequality duals, nu
 * equality duals. The Newton system of one interior-point step is
 *
 *   Q dz + Gᵀdlam + Aᵀdnu = −rx          (stationarity)
 *   lam∘ds + s∘dlam       = −rc          (complementarity)
 *   G dz + ds             = −rz          (inequalities, s = h − Gz)
 *   A dz                  = −ry          (equalities)
 */
import type { DType, Tensor } from '@optnet/tensor';
import type { QpErrorCode } from '../../api/errors.js';
import type { QpOptions } from '../../api/types.js';

export interface KktData {
  readonly Q: Tensor;
  readonly G: Tensor | null;
  readonly A: Tensor | null;
  readonly nBatch: number;
  readonly nz: number;
  readonly nIneq: number;
  readonly nEq: number;
  readonly dtype: DType;
  /**
   * diag(Q), [nz] or [nBatch, nz], when the caller declared Q diagonal
   * (`structure`), else null.
   */
  readonly qDiag: Tensor | null;
  /** Whether the caller declared G simple bounds (one nonzero a row). */
  readonly gBounds: boolean;
  /**
   * ‖G_i‖², G's shape without its last axis, where validation made them
   * (float64; polishing's scales), else absent.
   */
  readonly gRows2?: Tensor | null;
}

/** Residuals of the Newton system (null for an absent block). */
export interface KktRhs {
  readonly rx: Tensor;
  readonly rc: Tensor | null;
  readonly rz: Tensor | null;
  readonly ry: Tensor | null;
}

/** An iterate (solver/step.ts's Iterate): nu null without equalities. */
export interface KktIterate {
  readonly z: Tensor;
  readonly s: Tensor | null;
  readonly lam: Tensor | null;
  readonly nu: Tensor | null;
}

/** The right-hand side of a predictor-corrector step: rc is made inside. */
export type KktStepRhs = Omit<KktRhs, 'rc'>;

export interface KktStep {
  readonly dz: Tensor;
  readonly ds: Tensor | null;
  readonly dlam: Tensor | null;
  readonly dnu: Tensor | null;
}

export interface KktScales {
  /** Largest |Q_ij| over the batch (sets δ). */
  readonly qMax: number;
  /** Largest diagonal entry of AᵀA over the batch (sets ρ). */
  readonly ataMax: number;
}

/** What a strategy is chosen on; measured once, in prepare.ts. */
export interface KktProblemInfo {
  readonly nz: number;
  readonly nIneq: number;
  readonly nEq: number;
  readonly float32: boolean;
  /**
   * min over items and j of L_jj² / Q_jj for Q's Cholesky factor L (0 when
   * Q is not definite): how safely Q⁻¹ can be used.
   */
  readonly pivotRatio: number;
  /** The caller's options (a strategy may need declared structure). */
  readonly options: QpOptions;
}

/**
 * A strategy's answer to "can you solve this problem?": a cost per
 * iteration to compare with the others (lower wins), or why not (the
 * error's code and the end of its message, after `qp: kkt '<name>' `).
 */
export type KktFit =
  | { readonly cost: number }
  | { readonly refused: string; readonly code: QpErrorCode };

/** What a strategy's prefactor gets. */
export interface KktSetup {
  readonly data: KktData;
  readonly scales: KktScales;
  /** Refinement steps per solve (the caller's, else the strategy's). */
  readonly refine: number;
  /** Cholesky factor of Q when prepare.ts made one (Q definite), or null. */
  readonly lq: Tensor | null;
}

/**
 * How a strategy wants polishing's system (solver/polish.ts) regularized:
 * the exact active-set system is singular in the interior-point form, so
 * active rows get s/lam = δ·rowScale and inactive ones rowScale/δ, and
 * refinement against the exact system removes δ.
 */
export interface KktPolish {
  readonly delta: number;
  /** Refinement steps of the polish solve. */
  readonly refine: number;
  /**
   * Refinement steps of the backward's solves (solver/adjoint.ts) when
   * some item was polished (its system factored regularized): what this
   * strategy's regularization needs for gradients to round-off. A batch
   * with nothing polished solves with its factorization's own `refine`.
   */
  readonly adjointRefine: number;
}

/** A strategy's iteration-independent state; `strategy` made it. */
export interface KktPre {
  readonly strategy: KktStrategy;
  readonly data: KktData;
  readonly refine: number;
  /**
   * Per item [nBatch, 1]: the regularization level its iteration-independent
   * factorizations needed (see `KktFact.level`), or null when none can
   * fail.
   */
  readonly level: Tensor | null;
  /**
   * Per row [·, nIneq]: the value of s/lam at which a row's two roles in
   * the reduced system weigh the same (the dual reduction's G Q⁻¹ Gᵀ
   * diagonal; see each strategy). Below it a row acts as active, above it
   * as inactive: polishing sets its regularization relative to it. Null
   * without inequalities.
   */
  readonly rowScale: Tensor | null;
  readonly polish: KktPolish;
}

/**
 * The (s, lam) of a Newton system that refinement measures against when
 * it differs from the one factored: polishing factors a regularized
 * system and refines against the exact one.
 */
export interface KktTarget {
  readonly s: Tensor;
  readonly lam: Tensor;
}

/** A strategy's factorization at one iterate (s, lam). */
export interface KktFact {
  readonly pre: KktPre;
  readonly s: Tensor | null;
  readonly lam: Tensor | null;
  /** Steps of refinement each solve with this factorization takes. */
  readonly refine: number;
  /**
   * Per item [nBatch, 1]: the regularization level the factorizations
   * needed (0: none; k > 0: the k-th, larger, boost; −1: every try broke
   * down, and the item's solves are meaningless), pre.level included; null
   * when nothing could fail.
   */
  readonly level: Tensor | null;
  /** What refinement measures against (default: s and lam above). */
  readonly target?: KktTarget;
}

/**
 * One reduction of the KKT system: an object with these methods, chosen
 * once per solve (choose.ts) and carried by its `KktPre`, so the solver
 * (pdipm.ts) never asks which one it runs. The driver (kkt.ts) adds what
 * all share: iterative refinement on the full system. A strategy never
 * throws on a breakdown: its factorizations are regularized per item
 * (`regularizedCholesky`) and report the level each item needed
 * (`KktFact.level`). A new reduction is one file exporting such an object,
 * listed in choose.ts.
 * @example
 * const pre = preFactorKkt(primalKkt, setup); // kkt.ts
 * const step = solveKkt(factorKkt(pre, s, lam), rhs);
 */
export interface KktStrategy<
  P extends KktPre = KktPre,
  F extends KktFact = KktFact,
> {
  /** The value of the `kkt` option that asks for it. */
  readonly name: string;
  /** Refinement steps per solve when the caller sets none. */
  readonly defaultRefine: number;
  /** Whether it applies to the problem, and its relative cost. */
  fit(info: KktProblemInfo): KktFit;
  /** Everything that does not depend on the iterate. */
  prefactor(setup: KktSetup): P;
  /**
   * Factor at the iterate (s, lam; null without inequalities), a new value.
   * Never throws on a breakdown: an item that needs more regularization
   * gets it, alone, and `level` says so. Items where `active` (bool
   * [nBatch, 1], when given) is false need no factorization: the solver
   * ignores their solves, so a strategy may skip them (their solves must
   * still be finite).
   */
  factor(
    pre: P,
    s: Tensor | null,
    lam: Tensor | null,
    active?: Tensor | null,
  ): F;
  /** One Newton solve for `rhs`, unrefined. */
  solve(f: F, rhs: KktRhs): KktStep;
  /**
   * Optional: solveKkt's whole solve, its `f.refine` steps of refinement
   * (against `f.target`) included, fused; null where it does not apply
   * (then kkt.ts refines with `solve`).
   */
  refinedSolve?(f: F, rhs: KktRhs): KktStep | null;
  /**
   * A whole predictor-corrector direction (affine solve with rc = s∘lam,
   * centering, corrector solve) in one fused kernel, or null where the
   * strategy has none: then pdipm.ts runs the separate solves.
   */
  step(f: F, rhs: KktStepRhs): KktStep | null;
  /**
   * Optional: `factor` and then `step` in one fused kernel that keeps no
   * factorization (an iteration needs none after its direction), with the
   * factorization's per-item `level`; null where it does not apply (then
   * the solver factors and steps apart). Its results are those of the two.
   * Given `rc`, `factor` and then one `solve` for { ...rhs, rc } instead
   * (the starting point's solve).
   */
  factorStep?(
    pre: P,
    s: Tensor,
    lam: Tensor,
    active: Tensor | null,
    rhs: KktStepRhs,
    rc?: Tensor | null,
  ): { readonly d: KktStep; readonly level: Tensor | null } | null;
  /**
   * Optional: `factorStep` and then the step along its direction from
   * `it` (qpStepLength at `scale` with capGap, from the factored s and
   * lam; then qpMove, items left out by `active` or broken down staying):
   * the next iterate and the level, as those ops give them; null where it
   * does not apply.
   */
  factorStepMove?(
    pre: P,
    s: Tensor,
    lam: Tensor,
    active: Tensor | null,
    rhs: KktStepRhs,
    it: KktIterate,
    scale: number,
  ): { readonly it: KktIterate; readonly level: Tensor | null } | null;
  /**
   * Optional: `factor` at (s, lam) for the items where `keep` (one flag
   * per item) is false, the others taking `from`'s factorization, which
   * was made at the same (s, lam) on them: what factoring every item
   * would give (in float64 to the bit; in float32 to rounding, where a
   * batch's factorization path depends on its other items), for the cost
   * of the others (the backward reuses polishing's factorization so,
   * solver/adjoint.ts). Without it the caller factors every item.
   */
  refactor?(
    pre: P,
    s: Tensor,
    lam: Tensor,
    keep: readonly boolean[],
    from: F,
  ): F;
}
