/**
 * The KKT system in constraint space ("dual" reduction, qpth's): for
 * positive definite Q, with Q's factorization computed once per solve.
 *
 * Glossary: Q [nz, nz], G [nIneq, nz], A [nEq, nz] (each shared or with a
 * leading nBatch axis); z primal, s slack, lam/nu duals; C = [G; A] the
 * stacked constraint rows, y = [dlam; dnu].
 *
 * Eliminating dz = −Q⁻¹(rx + Cᵀy) and ds = −rc/lam − (s/lam)∘dlam from the
 * Newton system (kkt.ts) leaves
 *
 *   (C Q⁻¹ Cᵀ + diag(s/lam, 0)) y = [rz − rc/lam; ry] − C Q⁻¹ rx.
 *
 * C Q⁻¹ Cᵀ = WᵀW with W = L_Q⁻¹Cᵀ is fixed, so each iteration only adds a
 * diagonal and factors an (nIneq + nEq) matrix. Unlike the variable-space
 * form, the iterate enters as s/lam on a diagonal, not as lam/s inside
 * GᵀDG: inactive rows get a large, harmless diagonal and active rows keep
 * the bounded G Q⁻¹ Gᵀ, so the factorization stays well conditioned up to
 * tight tolerances and in float32. A tiny δ on the equality block keeps
 * dependent rows of A factorable.
 */
import { concat, eye as eyeOf, tensor, where, zeros, type Tensor } from '@optnet/tensor';
import { mv, trsv } from './batch.js';
import type { KktData, KktRhs, KktStep } from './kkt.js';

export interface DualPre {
  readonly form: 'dual';
  readonly data: KktData;
  /** Cholesky factor of Q (shared or per item). */
  readonly lq: Tensor;
  /** W = L_Q⁻¹ Cᵀ [·, nz, nIneq + nEq]. */
  readonly w: Tensor;
  /** C Q⁻¹ Cᵀ = WᵀW. */
  readonly k0: Tensor;
  readonly eyeC: Tensor;
  /** δ on the equality block of the diagonal, zeros on the inequality block. */
  readonly eqReg: Tensor | null;
  /** Largest diagonal entry of C Q⁻¹ Cᵀ per item (scales any boost). */
  readonly diagMax: Tensor;
  /** diag(G Q⁻¹ Gᵀ) [·, nIneq]: the scale s/lam is compared with. */
  readonly gDiag: Tensor;
  readonly refine: number;
}

export interface DualFact {
  readonly form: 'dual';
  readonly pre: DualPre;
  readonly s: Tensor | null;
  readonly lam: Tensor | null;
  /** Cholesky factor of C Q⁻¹ Cᵀ + diag(s/lam, δ). */
  readonly ls: Tensor;
  /** Whether the factorization needed extra regularization. */
  readonly boosted: boolean;
  /** s/lam, and where it exceeds diag(G Q⁻¹ Gᵀ) (an inactive-looking row). */
  readonly sOverLam: Tensor | null;
  readonly inactive: Tensor | null;
}

/** Q's factor, W and C Q⁻¹ Cᵀ; throws NOT_POSITIVE_DEFINITE if Q is not PD. */
export function preFactorDual(data: KktData, refine: number, lqGiven: Tensor | null): DualPre {
  const { Q, G, A, nIneq, nEq, dtype } = data;
  const lq = lqGiven ?? Q.cholesky();
  const rows = [G, A].filter((t): t is Tensor => t !== null);
  const batched = rows.some((t) => t.rank === 3) || lq.rank === 3;
  const lift = (t: Tensor): Tensor => (batched && t.rank === 2 ? t.unsqueeze(0).expand([data.nBatch, ...t.shape]) : t);
  const c = rows.length === 1 ? lift(rows[0]) : concat(rows.map(lift), -2);
  const w = lq.triangularSolve(c.transpose(-2, -1));
  const k0 = w.matmul(w, { transA: true });
  const eyeC = eyeOf(nIneq + nEq, { dtype });
  let eqReg: Tensor | null = null;
  const k0Diag = k0.mul(eyeC).sum(-1);
  const diagMax = k0Diag.max(-1, true);
  const gDiag = k0Diag.slice([...(k0Diag.rank === 2 ? [{}] : []), { start: 0, stop: nIneq }]);
  if (nEq > 0) {
    const isEq = Array.from({ length: nIneq + nEq }, (_, i) => (i >= nIneq ? 1 : 0));
    eqReg = tensor(isEq, { dtype }).mul(diagMax.mul(dtype === 'float64' ? 1e-13 : 1e-7));
  }
  return { form: 'dual', data, lq, w, k0, eyeC, eqReg, diagMax, gDiag, refine };
}

/**
 * Factor C Q⁻¹ Cᵀ + diag(s/lam, δ) at the iterate; `boost` > 0 adds
 * boost·1e-14·max diag on the whole diagonal (degenerate problems with
 * more active constraints than variables make the active block singular).
 */
export function factorDual(pre: DualPre, s: Tensor | null, lam: Tensor | null, boost = 0): DualFact {
  const { nBatch, nEq, dtype } = pre.data;
  const sOverLam = s !== null && lam !== null ? s.div(lam) : null;
  let diag: Tensor | null = sOverLam;
  if (diag !== null && nEq > 0) diag = concat([diag, zeros([nBatch, nEq], { dtype })], -1);
  if (pre.eqReg !== null) diag = diag === null ? pre.eqReg : diag.add(pre.eqReg);
  if (boost > 0) {
    const lift = pre.diagMax.mul(boost * (dtype === 'float64' ? 1e-14 : 1e-7));
    diag = diag === null ? lift.add(zeros([pre.data.nIneq + nEq], { dtype })) : diag.add(lift);
  }
  const k = diag === null ? pre.k0 : pre.k0.addDiagonal(diag);
  const inactive = sOverLam === null ? null : sOverLam.greater(pre.gDiag);
  return { form: 'dual', pre, s, lam, ls: k.cholesky(), boosted: boost > 0, sOverLam, inactive };
}

/** Q⁻¹-weighted products with W: Wᵀx per item, x [nBatch, nz]. */
function wt(w: Tensor, x: Tensor): Tensor {
  return w.rank === 2 ? x.matmul(w) : w.matmul(x.unsqueeze(-1), { transA: true }).squeeze(-1);
}

function wy(w: Tensor, y: Tensor): Tensor {
  return w.rank === 2 ? y.matmul(w, { transB: true }) : w.matmul(y.unsqueeze(-1)).squeeze(-1);
}

/** Lower-triangular solve with a shared or per-item factor. */
function lsolve(l: Tensor, x: Tensor, transpose: boolean): Tensor {
  if (l.rank === 2) return l.triangularSolve(x.transpose(), { transpose }).transpose();
  return trsv(l, x, transpose);
}

/** Solve the Newton system for the residuals `rhs`. */
export function solveDual(f: DualFact, rhs: KktRhs): KktStep {
  const { lq, w } = f.pre;
  const { nIneq } = f.pre.data;
  const t = lsolve(lq, rhs.rx, false);
  const parts: Tensor[] = [];
  let rcOverLam: Tensor | null = null;
  if (nIneq > 0 && rhs.rz !== null && rhs.rc !== null && f.lam !== null) {
    rcOverLam = rhs.rc.div(f.lam);
    parts.push(rhs.rz.sub(rcOverLam));
  }
  if (rhs.ry !== null) parts.push(rhs.ry);
  const r = (parts.length === 1 ? parts[0] : concat(parts, -1)).sub(wt(w, t));
  const y = lsolve(f.ls, lsolve(f.ls, r, false), true);
  const dz = lsolve(lq, t.add(wy(w, y)), true).neg();
  if (nIneq === 0 || rcOverLam === null || f.sOverLam === null || f.inactive === null) {
    return { dz, ds: null, dlam: null, dnu: y };
  }
  const dlam = y.slice([{}, { start: 0, stop: nIneq }]);
  const dnu = f.pre.data.nEq > 0 ? y.slice([{}, { start: nIneq }]) : null;
  // Two exact-arithmetic-equal formulas for ds; take the better conditioned
  // per row. On inactive rows s/lam reaches 1e12 and −rc/lam − (s/lam)∘dlam
  // would amplify the round-off in dlam into the primal residual, so use
  // the linear row G dz + ds = −rz there; on active rows (s/lam small) the
  // complementarity form keeps s∘lam consistent.
  const fromComp = rcOverLam.add(f.sOverLam.mul(dlam)).neg();
  const fromRow = rhs.rz!.add(mv(f.pre.data.G!, dz)).neg();
  const ds = where(f.inactive, fromRow, fromComp);
  return { dz, ds, dlam, dnu };
}
