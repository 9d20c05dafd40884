/**
 * Ruiz equilibration of a single dense QP (host arrays), for badly scaled
 * problems such as those of the Maros–Meszaros set.
 *
 * Glossary: Q p G h A b the data (row-major), nz nIneq nEq the sizes.
 *
 * Scale variables by D and constraint rows by E so that every column and
 * row of the KKT matrix [Q Cᵀ; C 0] (C = [G; A]) has ∞-norm near 1:
 *   Q̃ = DQD, p̃ = Dp, G̃ = E_G G D, h̃ = E_G h, Ã = E_A A D, b̃ = E_A b.
 * The objective value is unchanged; z = D z̃, lam = E_G lam̃, nu = E_A nũ.
 */
import type { DenseQp } from './qps-convert.js';

export interface Equilibrated {
  readonly qp: DenseQp;
  /** Variable scaling D [nz]. */
  readonly d: Float64Array;
  /** Row scaling E [nIneq + nEq] (inequalities first). */
  readonly e: Float64Array;
}

/** Scale `qp` with `iters` Ruiz passes (default 15). */
export function equilibrate(qp: DenseQp, iters = 15): Equilibrated {
  const { nz, nIneq, nEq } = qp;
  const Q = Float64Array.from(qp.Q);
  const G = Float64Array.from(qp.G);
  const A = Float64Array.from(qp.A);
  const d = new Float64Array(nz).fill(1);
  const e = new Float64Array(nIneq + nEq).fill(1);
  for (let it = 0; it < iters; it++) {
    const col = new Float64Array(nz);
    const row = new Float64Array(nIneq + nEq);
    for (let i = 0; i < nz; i++)
      for (let j = 0; j < nz; j++)
        col[j] = Math.max(col[j], Math.abs(Q[i * nz + j]));
    scanRows(G, nIneq, nz, 0, col, row);
    scanRows(A, nEq, nz, nIneq, col, row);
    const dc = Array.from(col, (c) => (c > 0 ? 1 / Math.sqrt(c) : 1));
    const er = Array.from(row, (r) => (r > 0 ? 1 / Math.sqrt(r) : 1));
    for (let i = 0; i < nz; i++)
      for (let j = 0; j < nz; j++) Q[i * nz + j] *= dc[i] * dc[j];
    scaleRows(G, nIneq, nz, er, 0, dc);
    scaleRows(A, nEq, nz, er, nIneq, dc);
    dc.forEach((v, j) => (d[j] *= v));
    er.forEach((v, i) => (e[i] *= v));
  }
  const p = Float64Array.from(qp.p, (v, j) => v * d[j]);
  const h = Float64Array.from(qp.h, (v, i) => v * e[i]);
  const b = Float64Array.from(qp.b, (v, i) => v * e[nIneq + i]);
  return { qp: { ...qp, Q, p, G, h, A, b }, d, e };
}

/** Column maxima into `col`, row maxima into `row` from offset `r0`. */
function scanRows(
  M: Float64Array,
  rows: number,
  nz: number,
  r0: number,
  col: Float64Array,
  row: Float64Array,
): void {
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < nz; j++) {
      const v = Math.abs(M[i * nz + j]);
      if (v > col[j]) col[j] = v;
      if (v > row[r0 + i]) row[r0 + i] = v;
    }
  }
}

function scaleRows(
  M: Float64Array,
  rows: number,
  nz: number,
  er: number[],
  r0: number,
  dc: number[],
): void {
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < nz; j++) M[i * nz + j] *= er[r0 + i] * dc[j];
}

/** z = D z̃ for the solution of the scaled problem. */
export function unscaleZ(
  eq: Equilibrated,
  zScaled: ArrayLike<number>,
): Float64Array {
  return Float64Array.from(zScaled, (v, j) => v * eq.d[j]);
}
