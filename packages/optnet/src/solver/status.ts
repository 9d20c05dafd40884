/**
 * Stopping rules of the interior-point loop, per batch item, on the
 * statistics read back each iteration (see `residualStats` in
 * kernels/stats-kernel.ts).
 *
 * Glossary: p h b the QP data; z primal, s slack, lam/nu duals.
 */
import type { QpStatus } from '../api/types.js';

/** Per-item norms of the data that make the tolerances relative. */
export interface Scales {
  readonly pNorm: Float64Array;
  /** Largest |Q_ij| over the batch. */
  readonly qMax: number;
}

/**
 * Tolerance of the infeasibility and unboundedness certificates: a
 * certificate must hold to this relative accuracy before we say so.
 */
const CERT_TOL = 1e-9;

/**
 * Decide the status of every open item (status null) from `stats`
 * ([nBatch, NSTATS + 1] flat: kernels/stats-kernel.ts's statistics, then
 * the regularization level of the factorization that made the iterate,
 * −1 for a breakdown); copy each open item's row into `last`. Returns the
 * number of items still open. `atMaxIter(i)`: item i has used up its
 * iterations.
 */
export function judge(
  stats: ArrayLike<number>,
  scales: Scales,
  status: (QpStatus | null)[],
  atMaxIter: (i: number) => boolean,
  tol: number,
  last: Float64Array[],
): number {
  const n = status.length;
  const k = stats.length / n;
  let open = 0;
  // The drivers read a copy (a Float64Array of its own): rows of it are
  // kept in `last` as they are.
  const all = stats instanceof Float64Array ? stats : Float64Array.from(stats);
  for (let i = 0; i < n; i++) {
    if (status[i] !== null) continue;
    last[i] = all.subarray(i * k, (i + 1) * k);
    status[i] = decide(all, i * k, k, scales, i, atMaxIter(i), tol);
    if (status[i] === null) open++;
  }
  return open;
}

/**
 * How far item i's statistics `st` are from solved: the largest of its
 * primal residual, dual residual and gap, each over its tolerance (≤ 1:
 * solved); Infinity for a non-finite statistic. The dual residual is
 * relative to the largest term of Qz + p + Gᵀlam + Aᵀnu, so large
 * multipliers do not demand more digits than the sum can hold.
 * @example if (merit(st, scales, i, tol) <= 1) status[i] = 'solved';
 */
export function merit(
  st: Float64Array,
  sc: Scales,
  i: number,
  tol: number,
): number {
  // One read a name, no destructuring: this runs per item every iteration.
  const pres = st[0];
  const dres = st[1];
  const gap = st[2];
  const obj = st[3];
  const cu = st[4];
  const qz = st[6];
  const m = Math.max(
    pres / tol,
    dres / (tol * (1 + Math.max(sc.pNorm[i], qz, cu))),
    gap / (tol * (1 + Math.abs(obj))),
  );
  return Number.isNaN(m) ? Infinity : m;
}

/**
 * Item i's status from its statistics, the k numbers at `o` of `all`
 * (read from the flat buffer, not from a view of each row).
 */
function decide(
  all: Float64Array,
  o: number,
  k: number,
  sc: Scales,
  i: number,
  atMax: boolean,
  tol: number,
): QpStatus | null {
  // Finite unless a NaN or ±Infinity is among them (x − x is 0 exactly for
  // finite x, NaN otherwise): one test, not one a statistic.
  let sum = 0;
  for (let j = o; j < o + k; j++) sum += all[j] - all[j];
  if (sum !== 0) return 'numerical_error';
  const pres = all[o];
  const dres = all[o + 1];
  const gap = all[o + 2];
  const obj = all[o + 3];
  const cu = all[o + 4];
  const cden = all[o + 5];
  const qz = all[o + 6];
  const pz = all[o + 7];
  const gz = all[o + 8];
  const az = all[o + 9];
  const level = all[o + 10];
  // A factorization that broke down even at its largest regularization.
  if (level < 0) return 'numerical_error';
  // As in merit, without its divisions' rounding.
  const pOk = pres <= tol;
  const dOk = dres <= tol * (1 + Math.max(sc.pNorm[i], qz, cu));
  const gOk = gap <= tol * (1 + Math.abs(obj));
  if (pOk && dOk && gOk) return 'solved';
  // Farkas: lam ≥ 0 with Gᵀlam + Aᵀnu = 0 and hᵀlam + bᵀnu < 0.
  if (cden > 0 && cu <= CERT_TOL * cden) return 'infeasible';
  // A ray: Qz = 0, Gz ≤ 0, Az = 0 and pᵀz < 0 (z itself, once it diverges).
  const ray = -pz;
  if (ray > 0 && Math.max(qz, gz, az) <= CERT_TOL * ray && pOk)
    return 'unbounded';
  return atMax ? 'max_iterations' : null;
}
