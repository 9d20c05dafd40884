/**
 * The KKT system of one interior-point step: the driver every reduction
 * (a `KktStrategy`, types.ts) runs under. It adds what they all share:
 * iterative refinement on the full Newton system (types.ts writes it out),
 * and the bookkeeping of per-item regularization levels. Nothing here
 * throws on a breakdown: each strategy regularizes per item
 * (`regularizedCholesky`) and reports the level each item needed.
 *
 * Glossary: Q [nz, nz], G [nIneq, nz], A [nEq, nz] (each shared or with a
 * leading nBatch axis); z primal, s slack, lam inequality duals, nu
 * equality duals.
 *
 * The reductions, by block elimination with batched Cholesky
 * factorizations:
 * - 'dual' (dual.ts): eliminate dz through Q⁻¹, factor an
 *   (nIneq + nEq) matrix per iteration. Needs Q positive definite; Q is
 *   factored once. Well conditioned near the solution; the default when Q
 *   is definite.
 * - 'primal' (primal.ts): eliminate ds and dlam, factor an nz matrix
 *   Q + GᵀDG (+ ρAᵀA + δI) per iteration. Works for any convex Q.
 * choose.ts picks one per solve.
 *
 * preFactorKkt / factorKkt / solveKkt import no autograd: the backward pass
 * calls solveKkt on the forward's final factorization.
 */
import { where, type Tensor } from '@optnet/tensor';
import { mtv, mv } from '../../kernels/batch.js';
import { fusedResiduals } from '../../kernels/residual-kernel.js';
import { boundsResiduals } from '../../kernels/bounds-residual-kernel.js';
import { residualsWithStats } from '../../kernels/residual-stats-kernel.js';
import type {
  KktData,
  KktFact,
  KktPre,
  KktRhs,
  KktSetup,
  KktStep,
  KktStepRhs,
  KktStrategy,
} from './types.js';

/**
 * Everything that does not depend on the iterate, for `strategy` (which
 * the result carries: factorKkt and solveKkt dispatch on it).
 * @example
 * const pre = preFactorKkt(dualKkt, { data, scales, refine: 0, lq: null });
 */
export function preFactorKkt<P extends KktPre>(
  strategy: KktStrategy<P>,
  setup: KktSetup,
): P {
  return strategy.prefactor(setup);
}

/**
 * Factor at the iterate (s, lam); a new value, `pre` is unchanged. An item
 * whose factorization breaks down (round-off on a nearly singular system)
 * is factored again, alone, with more regularization, up to a limit; the
 * Newton step then is inexact, which the interior-point iteration
 * corrects. `level` says per item what it needed (−1: even the limit
 * broke down; that item's solves are meaningless).
 * @example
 * const f = factorKkt(pre, s, lam); // f.level: [nBatch, 1] or null
 */
export function factorKkt(
  pre: KktPre,
  s: Tensor | null,
  lam: Tensor | null,
  active: Tensor | null = null,
): KktFact {
  return pre.strategy.factor(pre, s, lam, active);
}

/**
 * The worse of two per-item levels (−1, a breakdown, is worst; else the
 * larger); null counts as 0 everywhere.
 * @example
 * const level = worseLevel(pre.level, factorLevel);
 */
export function worseLevel(a: Tensor | null, b: Tensor | null): Tensor | null {
  if (a === null || b === null) return a ?? b;
  return where(a.minimum(b).less(0), -1, a.maximum(b));
}

/**
 * Solve the Newton system for `rhs`, then refine on the full system: the
 * residual of all four block rows is measured directly (never through
 * Gᵀdiag(d)G, whose entries reach 1e12 near a solution) and a correction
 * solved with the same factorization. This removes the regularization's
 * error and the round-off that d = lam/s amplifies. Steps: `f.refine`
 * (the strategy's count for this factorization). The residual is that of
 * the system at `f.target` when the factorization has one (polishing:
 * a regularized system factored, the exact one refined against), else at
 * f.s, f.lam. A strategy with a `refinedSolve` does all of it fused.
 * @example
 * const { dz, ds, dlam, dnu } = solveKkt(f, { rx, rc, rz, ry });
 */
export function solveKkt(f: KktFact, rhs: KktRhs): KktStep {
  const strategy = f.pre.strategy;
  const fused = strategy.refinedSolve?.(f, rhs);
  if (fused) return fused;
  let step = strategy.solve(f, rhs);
  for (let i = 0; i < f.refine; i++) {
    const corr = strategy.solve(f, newtonResidual(f, rhs, step));
    step = {
      dz: step.dz.add(corr.dz),
      ds: addOrNull(step.ds, corr.ds),
      dlam: addOrNull(step.dlam, corr.dlam),
      dnu: addOrNull(step.dnu, corr.dnu),
    };
  }
  return step;
}

/**
 * The predictor-corrector direction of an interior-point step in one
 * fused kernel where the strategy has one, else null: then solve the
 * affine system, take qpCentering's right-hand side and solve again
 * (pdipm.ts step).
 * @example
 * const d = predictorCorrector(f, { rx, rz, ry }) ?? twoSolves();
 */
export function predictorCorrector(
  f: KktFact,
  rhs: KktStepRhs,
): KktStep | null {
  return f.pre.strategy.step(f, rhs);
}

/**
 * The slack rows eliminated from the Newton system (the primal and bounds
 * reductions): with ds = −rz − G dz and dlam = d∘(G dz) + w, w = (lam∘rz −
 * rc)/s, the variable rows' right-hand side becomes r1 = −rx − Gᵀw. Without
 * inequalities, w is null and r1 = −rx.
 * @example const { r1, w } = eliminateSlacks(G, rhs, s, lam);
 */
export function eliminateSlacks(
  G: Tensor | null,
  rhs: KktRhs,
  s: Tensor | null,
  lam: Tensor | null,
): { r1: Tensor; w: Tensor | null } {
  const r1 = rhs.rx.neg();
  if (G === null || rhs.rz === null || rhs.rc === null || !s || !lam)
    return { r1, w: null };
  const w = lam.mul(rhs.rz).sub(rhs.rc).div(s);
  return { r1: r1.sub(mtv(G, w)), w };
}

/**
 * The step from dz and dnu with the eliminated rows recovered (see
 * eliminateSlacks): ds = −rz − G dz, dlam = d∘(G dz) + w, d = lam/s.
 * @example return recoverSlacks(G, rhs, w, f.d, dz, dnu);
 */
export function recoverSlacks(
  G: Tensor | null,
  rhs: KktRhs,
  w: Tensor | null,
  d: () => Tensor,
  dz: Tensor,
  dnu: Tensor | null,
): KktStep {
  if (G === null || rhs.rz === null || w === null)
    return { dz, ds: null, dlam: null, dnu };
  const gdz = mv(G, dz);
  return { dz, ds: rhs.rz.neg().sub(gdz), dlam: gdz.mul(d()).add(w), dnu };
}

function addOrNull(a: Tensor | null, b: Tensor | null): Tensor | null {
  return a === null || b === null ? a : a.add(b);
}

/**
 * Which fused residual kernel a batch's residuals come from: the bounds
 * form where Q's diagonal and G's bounds are declared, else the dense one;
 * null (the tensor ops) for a single problem, without inequalities, or
 * with equalities but no nu or b. Whatever fuses residuals with more (the
 * statistics, the refined solve) does so only where this says 'dense',
 * so that it gives the bits of the residuals it replaces.
 * @example if (residualKernelOf(data, nu, b) === 'dense') fuseMore();
 */
export function residualKernelOf(
  data: KktData,
  nu: Tensor | null,
  b: Tensor | null,
): 'dense' | 'bounds' | null {
  const { G, A, qDiag, gBounds, nBatch } = data;
  if (nBatch <= 1 || G === null || (A !== null && (nu === null || b === null)))
    return null;
  return qDiag !== null && gBounds ? 'bounds' : 'dense';
}

/**
 * The interior-point residuals of `data` at (z, s, lam, nu) for p, h and
 * b, from the fused kernels: [rx, rz, u, qz, gz] and, with equalities, ry
 * (kernels/residual-kernel.ts; its bounds form where Q's diagonal and G's
 * bounds are declared, the products then O(n + m)). Null for a single
 * problem, which keeps the tensor ops whose summation order the
 * Maros–Meszaros suite was tuned on, without inequalities, or with
 * equalities but no nu or b.
 * @example const r = fusedResidualsOf(data, z, p, s, lam, h, nu, b);
 */
export function fusedResidualsOf(
  data: KktData,
  z: Tensor,
  p: Tensor,
  s: Tensor,
  lam: Tensor,
  h: Tensor,
  nu: Tensor | null,
  b: Tensor | null,
): Tensor[] | null {
  const { Q, G, A, qDiag } = data;
  const kernel = residualKernelOf(data, nu, b);
  if (kernel === null) return null;
  const bounds = kernel === 'bounds';
  const eq = A !== null;
  return (bounds ? boundsResiduals : fusedResiduals)(
    bounds ? qDiag! : Q,
    G!,
    A,
    z,
    p,
    s,
    lam,
    h,
    eq ? nu : null,
    eq ? b : null,
  );
}

/**
 * The residuals and the statistics the solver reads back
 * (kernels/residual-stats-kernel.ts) in one op: [rx, rz, (ry,) stats].
 * Null where fusedResidualsOf would be, and for declared bounds (their
 * residual kernel is another): then the caller runs the two.
 * @example const r = fusedResidualStatsOf(data, z, p, s, lam, h, nu, b, hInv, bInv, level);
 */
export function fusedResidualStatsOf(
  data: KktData,
  z: Tensor,
  p: Tensor,
  s: Tensor,
  lam: Tensor,
  h: Tensor,
  nu: Tensor | null,
  b: Tensor | null,
  hInv: Tensor,
  bInv: Tensor | null,
  level: Tensor | null,
): Tensor[] | null {
  const { Q, G, A } = data;
  if (residualKernelOf(data, nu, b) !== 'dense') return null;
  if (A !== null && bInv === null) return null;
  const eq = A !== null;
  return residualsWithStats(
    Q,
    G!,
    A,
    z,
    p,
    s,
    lam,
    h,
    eq ? nu : null,
    eq ? b : null,
    hInv,
    eq ? bInv : null,
    level,
  );
}

/**
 * The right-hand side whose solution corrects `d`: the Newton system is
 * J·d = −r, so J·(d + e) = −r needs J·e = −(r + J·d). Its rx, rz and ry
 * rows have the form of the interior-point residuals (step.ts) at
 * z = dz, s = ds, lam = dlam, nu = dnu with p = rx, h = −rz and b = −ry,
 * so a batch takes them from the same fused kernel: Q and G read once,
 * instead of five products and their sums as tensor ops (a single
 * problem keeps the tensor ops, as the residuals do).
 */
function newtonResidual(f: KktFact, r: KktRhs, d: KktStep): KktRhs {
  const { Q, G, A } = f.pre.data;
  const s = f.target?.s ?? f.s;
  const lam = f.target?.lam ?? f.lam;
  const comp =
    G !== null &&
    r.rc !== null &&
    r.rz !== null &&
    d.ds !== null &&
    d.dlam !== null &&
    s !== null &&
    lam !== null;
  const rc = comp ? r.rc!.add(lam!.mul(d.ds!)).add(s!.mul(d.dlam!)) : null;
  const fused = comp
    ? fusedResidualsOf(
        f.pre.data,
        d.dz,
        r.rx,
        d.ds!,
        d.dlam!,
        r.rz!.neg(),
        d.dnu,
        r.ry === null ? null : r.ry.neg(),
      )
    : null;
  if (fused !== null) {
    const [rx, rz, , , , ry] = fused;
    return { rx, rc, rz, ry: ry ?? null };
  }
  let rx = r.rx.add(mv(Q, d.dz));
  if (G !== null && d.dlam !== null) rx = rx.add(mtv(G, d.dlam));
  if (A !== null && d.dnu !== null) rx = rx.add(mtv(A, d.dnu));
  const rz = comp ? r.rz!.add(mv(G!, d.dz)).add(d.ds!) : null;
  const ry = A !== null && r.ry !== null ? r.ry.add(mv(A, d.dz)) : null;
  return { rx, rc, rz, ry };
}
