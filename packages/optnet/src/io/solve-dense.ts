/**
 * Solve one dense QP read from a QPS file (or built by hand): equilibrate,
 * solve in float64, undo the scaling, and report the objective with its
 * constant. This is what `optnet solve` runs.
 *
 * Glossary: Q p G h A b the data; z primal, lam/nu duals.
 */
import { tensor, type Tensor } from '@optnet/tensor';
import { equilibrate, unscaleZ } from './equilibrate.js';
import { qpObjective, type DenseQp } from './qps-convert.js';
import { solveQp } from '../api/qp.js';
import type { QpOptions, QpStatus } from '../api/types.js';

export interface DenseQpOptions extends Omit<QpOptions, 'onNotSolved'> {
  /** Ruiz-equilibrate the data first (default true). */
  scale?: boolean;
  /** Solve in this precision (default float64). */
  dtype?: 'float32' | 'float64';
}

export interface DenseQpResult {
  name: string;
  status: QpStatus;
  /**
   * ½zᵀQz + pᵀz + objConstant, in the file's sense (max problems negated back).
   */
  objective: number;
  iterations: number;
  /** Whether the returned point is the polished one (see QpResult). */
  polished: boolean;
  seconds: number;
  z: Float64Array;
  /** Of the (scaled) problem the solver saw; see QpResult. */
  primalResidual: number;
  dualResidual: number;
  gap: number;
}

/**
 * The default tolerance of solveDense: tighter than qp's 1e-8, because a
 * problem like HS268 has an objective constant of 14463 that cancels to an
 * optimum near 0, so 1e-6 of |f*| needs 1e-10 of the QP's own objective.
 */
export const DENSE_TOL = 1e-10;

/**
 * Refinement steps per KKT solve in solveDense (qp's default is 1 in the
 * primal reduction): at tol 1e-10 one step was measured to leave too much
 * round-off near the end on QSHARE2B (residuals jumped from 1e-12 to 1e-7
 * and the solve broke down), and whether it did flipped with the summation
 * order of a mat-vec kernel; two steps solve it with either order.
 */
export const DENSE_REFINE = 2;

/**
 * @example
 * const r = await solveDense(parseQps(text));
 * console.log(r.status, r.objective);
 */
export async function solveDense(
  qp: DenseQp,
  options: DenseQpOptions = {},
): Promise<DenseQpResult> {
  const t0 = performance.now();
  // scale and dtype are this function's; the rest are solveQp's options.
  const { scale, dtype = 'float64', ...qpOptions } = options;
  const eq = scale === false ? null : equilibrate(qp);
  const s = eq === null ? qp : eq.qp;
  const mat = (a: Float64Array, r: number, c: number): Tensor | null =>
    r === 0 ? null : tensor(a, { dtype }).reshape([r, c]);
  const vec = (a: Float64Array, r: number): Tensor | null =>
    r === 0 ? null : tensor(a, { dtype });
  const tol = qpOptions.tol ?? (dtype === 'float64' ? DENSE_TOL : undefined);
  const r = await solveQp(
    mat(s.Q, s.nz, s.nz)!,
    tensor(s.p, { dtype }),
    mat(s.G, s.nIneq, s.nz),
    vec(s.h, s.nIneq),
    mat(s.A, s.nEq, s.nz),
    vec(s.b, s.nEq),
    {
      ...qpOptions,
      tol,
      maxIter: qpOptions.maxIter ?? 100,
      refine: qpOptions.refine ?? DENSE_REFINE,
    },
  );
  const zs = await r.z.data();
  const z =
    eq === null
      ? Float64Array.from(zs as ArrayLike<number>)
      : unscaleZ(eq, zs as ArrayLike<number>);
  const f = qpObjective(qp, z);
  return {
    name: qp.name,
    status: r.status[0],
    objective: qp.objSense === 'max' ? -f : f,
    iterations: r.iterations[0],
    polished: r.polished[0],
    seconds: (performance.now() - t0) / 1000,
    z,
    primalResidual: r.primalResidual[0],
    dualResidual: r.dualResidual[0],
    gap: r.gap[0],
  };
}
