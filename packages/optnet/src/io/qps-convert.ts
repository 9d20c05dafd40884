/**
 * QPS model → dense QP in the OptNet form
 *   min ½ zᵀQz + pᵀz + objConstant   s.t.  Gz ≤ h,  Az = b.
 *
 * Rows:   E (or a range of width 0)      → A row a,   b = rhs
 * finite upper hi of a row       → G row a,   h = hi      ('row R (upper)')
 * finite lower lo of a row       → G row −a,  h = −lo     ('row R (lower)')
 * Bounds: lower == upper                 → A row e_j, b = value   ('bound C
 * (fixed)')
 * finite upper u                 → G row e_j,  h = u      ('bound C (upper)')
 * finite lower l                 → G row −e_j, h = −l     ('bound C (lower)')
 * G holds the rows first (file order), then the bounds (column order); A the
 * E rows first, then the fixed columns. OBJSENSE MAX negates Q, p and the
 * constant, so the result is always a minimization.
 */
import { ShapeError } from '@optnet/tensor';

/**
 * A QPS file as read, before conversion (objective in the file's sense):
 * what readQps returns.
 * @example
 * import { readFileSync } from 'node:fs';
 * const m: QpsModel = readQps(readFileSync('HS21.QPS', 'utf8'));
 * m.rowTypes; // ['G']; m.lower [2, -50]
 */
export interface QpsModel {
  /** The NAME line. */
  name: string;
  /** The OBJSENSE section ('min' without one). */
  objSense: 'min' | 'max';
  /** Name of the objective row ('' when the file has no N row). */
  objName: string;
  /** Column (variable) names, in file order. */
  varNames: string[];
  /** Constraint rows (the objective and ignored N rows excluded). */
  rowNames: string[];
  /** Each row's type: ≤ (L), ≥ (G) or = (E). */
  rowTypes: ('L' | 'G' | 'E')[];
  /** Constraint matrix triplets: row index into rowNames, column index. */
  aRow: number[];
  /** Column index of each constraint matrix entry. */
  aCol: number[];
  /** Value of each constraint matrix entry. */
  aVal: number[];
  /** Linear objective coefficients c (one per column). */
  c: number[];
  /** RHS given on the objective row; the objective constant is −objRhs. */
  objRhs: number;
  /** Right-hand side per row (default 0). */
  rhs: number[];
  /** RANGES value per row (NaN: none). */
  range: number[];
  /** Column lower bounds (−Infinity when free). */
  lower: number[];
  /** Column upper bounds (Infinity when free). */
  upper: number[];
  /** Q triplets with both triangles present (QUADOBJ entries mirrored). */
  qRow: number[];
  /** Column index of each Q entry. */
  qCol: number[];
  /** Value of each Q entry. */
  qVal: number[];
}

/**
 * min ½zᵀQz + pᵀz + objConstant  s.t. Gz ≤ h, Az = b (all dense, row-major):
 * a QPS problem as parseQps returns it, ready for qp or solveQp.
 * @example
 * import { readFileSync } from 'node:fs';
 * const d: DenseQp = parseQps(readFileSync('HS21.QPS', 'utf8'));
 * const { nz, nIneq } = d; // 2, 5
 * const Q = tensor(d.Q, { shape: [nz, nz] });
 * const G = tensor(d.G, { shape: [nIneq, nz] });
 * const r = await solveQp(Q, d.p, G, d.h, null, null);
 * qpObjective(d, await r.z.data()); // -99.96
 */
export interface DenseQp {
  /** The problem's name (NAME line, or parseQps' `name` option). */
  name: string;
  /** Number of variables. */
  nz: number;
  /** Number of inequality rows (rows and finite bounds). */
  nIneq: number;
  /** Number of equality rows (E rows and fixed columns). */
  nEq: number;
  /** nz×nz, symmetric. */
  Q: Float64Array;
  /** The linear objective, nz. */
  p: Float64Array;
  /** The objective's constant term (−RHS on the objective row). */
  objConstant: number;
  /** The file's OBJSENSE; 'max' means Q, p, objConstant were negated. */
  objSense: 'min' | 'max';
  /** nIneq×nz. */
  G: Float64Array;
  /** Right-hand sides of Gz ≤ h, nIneq. */
  h: Float64Array;
  /** nEq×nz. */
  A: Float64Array;
  /** Right-hand sides of Az = b, nEq. */
  b: Float64Array;
  /** Column (variable) names, in z's order. */
  varNames: string[];
  /**
   * Where each G row came from: 'row R0001 (upper)', 'bound C0003 (lower)',
   * ...
   */
  ineqOrigin: string[];
  /** Where each A row came from: 'row R0002', 'bound C0001 (fixed)', ... */
  eqOrigin: string[];
}

/**
 * The interval [lo, hi] that a'z must lie in, for a row of `type` with
 * right-hand side `rhs` and RANGES value `r` (NaN: no range).
 * L: [rhs−|r|, rhs]; G: [rhs, rhs+|r|]; E: r ≥ 0 → [rhs, rhs+r], r < 0 →
 * [rhs+r, rhs].
 * @example rowRange('L', 6, 13) // [-7, 6]
 */
export function rowRange(
  type: 'L' | 'G' | 'E',
  rhs: number,
  r: number,
): [number, number] {
  if (Number.isNaN(r)) {
    if (type === 'L') return [-Infinity, rhs];
    return type === 'G' ? [rhs, Infinity] : [rhs, rhs];
  }
  if (type === 'L') return [rhs - Math.abs(r), rhs];
  if (type === 'G') return [rhs, rhs + Math.abs(r)];
  return r >= 0 ? [rhs, rhs + r] : [rhs + r, rhs];
}

/** One sparse constraint row on its way to G or A. */
interface SparseRow {
  cols: number[];
  vals: number[];
  rhs: number;
  origin: string;
}

/** Sparse rows of the constraint matrix, from the column-ordered triplets. */
function sparseRows(m: QpsModel): { cols: number[]; vals: number[] }[] {
  const rows = m.rowNames.map(() => ({
    cols: [] as number[],
    vals: [] as number[],
  }));
  for (let k = 0; k < m.aRow.length; k++) {
    rows[m.aRow[k]].cols.push(m.aCol[k]);
    rows[m.aRow[k]].vals.push(m.aVal[k]);
  }
  return rows;
}

/**
 * Splits rows and bounds into the inequality and equality lists (see the file
 * comment).
 */
function collectRows(m: QpsModel): { ineq: SparseRow[]; eq: SparseRow[] } {
  const ineq: SparseRow[] = [];
  const eq: SparseRow[] = [];
  const neg = (v: number[]): number[] => v.map((x) => -x);
  /**
   * [lo, hi] → an A row when lo == hi (origin `eqName`), else a G row per
   * finite side.
   */
  const push = (
    cols: number[],
    vals: number[],
    lo: number,
    hi: number,
    what: string,
    eqName: string,
  ): void => {
    if (lo === hi) return void eq.push({ cols, vals, rhs: lo, origin: eqName });
    if (hi < Infinity)
      ineq.push({ cols, vals, rhs: hi, origin: `${what} (upper)` });
    if (lo > -Infinity)
      ineq.push({ cols, vals: neg(vals), rhs: -lo, origin: `${what} (lower)` });
  };
  sparseRows(m).forEach(({ cols, vals }, i) => {
    const [lo, hi] = rowRange(m.rowTypes[i], m.rhs[i], m.range[i]);
    const what = `row ${m.rowNames[i]}`;
    push(cols, vals, lo, hi, what, what);
  });
  m.varNames.forEach((name, j) => {
    push(
      [j],
      [1],
      m.lower[j],
      m.upper[j],
      `bound ${name}`,
      `bound ${name} (fixed)`,
    );
  });
  return { ineq, eq };
}

/** Dense row-major matrix and right-hand side from sparse rows. */
function densify(
  rows: SparseRow[],
  nz: number,
): { M: Float64Array; v: Float64Array } {
  const M = new Float64Array(rows.length * nz);
  const v = new Float64Array(rows.length);
  rows.forEach((row, i) => {
    for (let k = 0; k < row.cols.length; k++)
      M[i * nz + row.cols[k]] += row.vals[k];
    v[i] = row.rhs;
  });
  return { M, v };
}

/** Dense Q = ½(Qf + Qfᵀ) from the file's triplets, times `sign`. */
function denseQ(m: QpsModel, sign: number): Float64Array {
  const n = m.varNames.length;
  const Q = new Float64Array(n * n);
  for (let k = 0; k < m.qRow.length; k++)
    Q[m.qRow[k] * n + m.qCol[k]] += m.qVal[k];
  for (let i = 0; i < n; i++) {
    Q[i * n + i] *= sign;
    for (let j = 0; j < i; j++) {
      // exact when the file listed both triangles with equal values: (a + a) /
      // 2 = a
      const s = (sign * (Q[i * n + j] + Q[j * n + i])) / 2;
      Q[i * n + j] = s;
      Q[j * n + i] = s;
    }
  }
  return Q;
}

/**
 * Converts a model from `readQps` to the dense minimization form (what
 * parseQps does in one call).
 * @example
 * import { readFileSync } from 'node:fs';
 * const m = readQps(readFileSync('HS21.QPS', 'utf8'));
 * toDenseQp(m, 'HS21').nIneq; // 5: 1 row and 4 finite bounds
 */
export function toDenseQp(m: QpsModel, name: string = m.name): DenseQp {
  const nz = m.varNames.length;
  const sign = m.objSense === 'max' ? -1 : 1;
  const { ineq, eq } = collectRows(m);
  const g = densify(ineq, nz);
  const a = densify(eq, nz);
  return {
    name,
    nz,
    nIneq: ineq.length,
    nEq: eq.length,
    Q: denseQ(m, sign),
    p: Float64Array.from(m.c, (v) => sign * v),
    // the file's RHS on the objective row is minus the constant; + 0 turns −0
    // into 0
    objConstant: sign * -m.objRhs + 0,
    objSense: m.objSense,
    G: g.M,
    h: g.v,
    A: a.M,
    b: a.v,
    varNames: m.varNames.slice(),
    ineqOrigin: ineq.map((r) => r.origin),
    eqOrigin: eq.map((r) => r.origin),
  };
}

/**
 * ½zᵀQz + pᵀz + objConstant for a dense QP (the minimized objective): to
 * compare a solution with the optimum a benchmark publishes.
 * @example
 * import { readFileSync } from 'node:fs';
 * const hs21 = parseQps(readFileSync('HS21.QPS', 'utf8'));
 * qpObjective(hs21, [2, 0]); // -99.96
 */
export function qpObjective(qp: DenseQp, z: ArrayLike<number>): number {
  const n = qp.nz;
  if (z.length !== n) {
    const msg = `qpObjective: z must have nz entries; got ${z.length} for nz = ${n}.`;
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `${msg} Pass one value per column of ${qp.name}.`,
    );
  }
  let quad = 0;
  let lin = 0;
  for (let i = 0; i < n; i++) {
    let row = 0;
    for (let j = 0; j < n; j++) row += qp.Q[i * n + j] * z[j];
    quad += z[i] * row;
    lin += qp.p[i] * z[i];
  }
  return 0.5 * quad + lin + qp.objConstant;
}
