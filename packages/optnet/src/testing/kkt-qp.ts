/**
 * Batches of QPs built backwards from a chosen KKT point, so the answer is
 * known: pick z*, the active set, the duals and slacks, then Q, G, A and
 * make h, b, p fit:
 *
 *   h = G z* + s*   (s*_i = 0 on active rows, > 0 on inactive ones)
 *   b = A z*
 *   p = −(Q z* + Gᵀlam* + Aᵀnu*)   (lam*_i > 0 active, 0 inactive)
 *
 * Then z* is optimal (the KKT conditions hold and are sufficient for a
 * convex QP), unique when Q is definite on the null space of the active
 * rows and A, and lam*, nu* are unique when those rows are independent.
 * The options make the families hard problems are made of: Q with a
 * condition number of 1e8, duals and slacks of 1e-8 (nearly degenerate),
 * objectives scaled by 1e-4 or 1e4, repeated or dependent equality rows
 * (consistent, or not: then infeasible), LPs (Q = 0) at a vertex inside a
 * box, and many redundant inequalities.
 *
 * Glossary: Q p G h A b the data; z primal, s slack, lam/nu duals;
 * nBatch nz nIneq nEq the sizes.
 */
import { makeRng, tensor, ValueError, type Rng } from '@optnet/tensor';
import type { RandomQp } from './random-qp.js';

/**
 * What `kktQp` builds: sizes, dtype, seed, and the hard family's knobs.
 * @example
 * const o: KktQpOptions = { nBatch: 2, nz: 8, nIneq: 6, nEq: 2, dtype: 'float64', seed: 1 };
 */
export interface KktQpOptions {
  /** Problems in the batch. */
  nBatch: number;
  /** Variables per problem. */
  nz: number;
  /** Inequality rows before the redundant and box rows are added. */
  nIneq: number;
  /** Equality rows before the dependent ones are added. */
  nEq: number;
  /** dtype of the tensors made. */
  dtype: 'float32' | 'float64';
  /** Same seed, same problems. */
  seed: number;
  /**
   * Active inequalities at z* (default min(⌊nIneq/2⌋, nz − nEq); an LP
   * needs nz − nEq, a vertex).
   */
  nActive?: number;
  /** Condition number of Q (default 10); 0 makes an LP (Q = 0). */
  condQ?: number;
  /** Range of the active rows' duals, drawn log-uniform (default [0.1, 1]). */
  duals?: readonly [number, number];
  /** Range of the inactive rows' slacks, log-uniform (default [0.1, 1]). */
  slacks?: readonly [number, number];
  /** Multiplies Q and p (and so lam*, nu*); default 1. */
  objScale?: number;
  /**
   * Extra equality rows: copies (even ones) or combinations (odd ones) of
   * the others, so A loses rank (default 0).
   */
  dependentEq?: number;
  /** Make the dependent rows' b inconsistent: then no z is feasible. */
  inconsistent?: boolean;
  /**
   * Extra inequality rows implied by the others (nonnegative combinations
   * with a margin), inactive at z* (default 0).
   */
  redundant?: number;
  /** Add the 2·nz rows −box ≤ z_j ≤ box (a bounded feasible set). */
  box?: number;
}

/**
 * The known answer, per item (plain arrays, float64).
 * @example
 * const { answer } = kktQp({ nBatch: 2, nz: 8, nIneq: 6, nEq: 2, dtype: 'float64', seed: 1 });
 * answer.z[0]; // z* of item 0
 */
export interface KktAnswer {
  /** z* per item. */
  z: number[][];
  /** lam* per item (0 on inactive rows). */
  lam: number[][];
  /** nu* (one of many when A lost rank: the dependent rows get 0). */
  nu: number[][];
  /** s* = h − G z* per item (0 on active rows). */
  s: number[][];
  /** Which inequality rows are active at z*, per item. */
  active: boolean[][];
  /** ½ z*ᵀQz* + pᵀz* per item. */
  objective: number[];
}

/**
 * The data (every tensor with the batch axis) and its answer.
 * @example
 * const { Q, p, G, h, A, b, answer } = kktQp({ nBatch: 2, nz: 8, nIneq: 6, nEq: 2, dtype: 'float64', seed: 1 });
 */
export interface KktQp extends RandomQp {
  /** The KKT point the problems were built from. */
  answer: KktAnswer;
  /** False when `inconsistent` made the problems infeasible. */
  feasible: boolean;
}

type Mat = number[][];

const gauss = (rng: Rng): number =>
  Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
const vec = (n: number, f: () => number): number[] =>
  Array.from({ length: n }, f);
const mat = (r: number, c: number, f: () => number): Mat =>
  Array.from({ length: r }, () => vec(c, f));
const dot = (a: readonly number[], b: readonly number[]): number =>
  a.reduce((s, v, i) => s + v * b[i], 0);
const mv = (m: Mat, x: readonly number[]): number[] => m.map((r) => dot(r, x));
const mtv = (m: Mat, y: readonly number[], n: number): number[] => {
  const out = new Array<number>(n).fill(0);
  m.forEach((r, i) => r.forEach((v, j) => (out[j] += v * y[i])));
  return out;
};
/** Log-uniform in [lo, hi]. */
const logUniform = (rng: Rng, [lo, hi]: readonly [number, number]): number =>
  lo * Math.pow(hi / lo, rng());

/** A random orthogonal matrix: Gram–Schmidt (twice) on Gaussian columns. */
function orthogonal(n: number, rng: Rng): Mat {
  const cols: number[][] = [];
  while (cols.length < n) {
    let v = vec(n, () => gauss(rng));
    for (let pass = 0; pass < 2; pass++)
      for (const c of cols) {
        const k = dot(v, c);
        v = v.map((x, i) => x - k * c[i]);
      }
    const norm = Math.sqrt(dot(v, v));
    if (norm > 1e-8) cols.push(v.map((x) => x / norm));
  }
  return cols;
}

/** Q = U diag(σ) Uᵀ, σ log-spaced from 1 down to 1/cond; zeros for cond 0. */
function makeQ(n: number, cond: number, rng: Rng): Mat {
  if (cond === 0) return mat(n, n, () => 0);
  const u = orthogonal(n, rng);
  const sig = vec(n, () => 0).map((_, j) =>
    n === 1 ? 1 : Math.pow(cond, -j / (n - 1)),
  );
  const q = mat(n, n, () => 0);
  for (let k = 0; k < n; k++)
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) q[i][j] += sig[k] * u[k][i] * u[k][j];
  return q.map((r, i) => r.map((_, j) => (q[i][j] + q[j][i]) / 2));
}

/** Dependent equality rows: copies (even k) or combinations (odd k). */
function dependentRows(a: Mat, k: number, rng: Rng): Mat {
  return vec(k, () => 0).map((_, t) => {
    if (t % 2 === 0) return [...a[t % a.length]];
    const w = vec(a.length, () => gauss(rng));
    return mtv(a, w, a[0].length);
  });
}

interface Item {
  Q: Mat;
  p: number[];
  G: Mat;
  h: number[];
  A: Mat;
  b: number[];
  z: number[];
  lam: number[];
  nu: number[];
  s: number[];
}

/** Implied rows: nonnegative combinations of `g` with h + margin. */
function redundantRows(it: Item, k: number, o: KktQpOptions, rng: Rng): void {
  const base = it.G.length;
  for (let t = 0; t < k; t++) {
    const w = vec(base, () => rng());
    const margin = logUniform(rng, o.slacks ?? [0.1, 1]);
    const row = mtv(it.G.slice(0, base), w, o.nz);
    const hi = dot(w, it.h.slice(0, base)) + margin;
    it.G.push(row);
    it.h.push(hi);
    it.s.push(hi - dot(row, it.z));
    it.lam.push(0);
  }
}

/** The rows ±z_j ≤ box. */
function boxRows(it: Item, box: number, n: number): void {
  for (let j = 0; j < n; j++) {
    for (const sign of [1, -1]) {
      const row = vec(n, () => 0);
      row[j] = sign;
      it.G.push(row);
      it.h.push(box);
      it.s.push(box - sign * it.z[j]);
      it.lam.push(0);
    }
  }
}

function makeItem(o: KktQpOptions, rng: Rng): Item {
  const { nz, nIneq, nEq } = o;
  const cond = o.condQ ?? 10;
  const nAct = o.nActive ?? Math.min(Math.floor(nIneq / 2), nz - nEq);
  const box = o.box ?? 0;
  // z* well inside the box, when there is one.
  const z = vec(nz, () =>
    box > 0 ? (box / 2) * Math.tanh(gauss(rng)) : gauss(rng),
  );
  const Q = makeQ(nz, cond, rng);
  const G = mat(nIneq, nz, () => gauss(rng));
  const lam = vec(nIneq, () => 0);
  const s = vec(nIneq, () => 0);
  for (let i = 0; i < nIneq; i++) {
    if (i < nAct) lam[i] = logUniform(rng, o.duals ?? [0.1, 1]);
    else s[i] = logUniform(rng, o.slacks ?? [0.1, 1]);
  }
  const A = mat(nEq, nz, () => gauss(rng));
  const nu = vec(nEq, () => gauss(rng));
  const h = mv(G, z).map((v, i) => v + s[i]);
  const it: Item = { Q, p: [], G, h, A, b: mv(A, z), z, lam, nu, s };
  redundantRows(it, o.redundant ?? 0, o, rng);
  if (box > 0) boxRows(it, box, nz);
  const extra = dependentRows(A, nEq > 0 ? (o.dependentEq ?? 0) : 0, rng);
  for (const row of extra) {
    it.A.push(row);
    it.b.push(dot(row, z) + (o.inconsistent ? 1 : 0));
    it.nu.push(0);
  }
  const k = o.objScale ?? 1;
  const grad = mv(Q, z)
    .map((v, j) => v + mtv(it.G, it.lam, nz)[j])
    .map((v, j) => v + (it.A.length ? mtv(it.A, it.nu, nz)[j] : 0));
  it.Q = Q.map((r) => r.map((v) => v * k));
  it.p = grad.map((v) => -v * k);
  it.lam = it.lam.map((v) => v * k);
  it.nu = it.nu.map((v) => v * k);
  return it;
}

function check(o: KktQpOptions): void {
  const nAct = o.nActive ?? 0;
  const bad =
    !(o.nBatch >= 1 && o.nz >= 1 && o.nIneq >= 0 && o.nEq >= 0) ||
    nAct > o.nIneq ||
    nAct + o.nEq > o.nz ||
    (o.condQ === 0 && o.nActive !== undefined && nAct + o.nEq !== o.nz);
  if (bad)
    throw new ValueError(
      'BAD_ARGUMENT',
      `kktQp: need nBatch, nz ≥ 1, nActive ≤ nIneq, nActive + nEq ≤ nz (= nz for an LP); got ${JSON.stringify(o)}. Choose fewer active rows or equalities.`,
    );
}

/**
 * A batch of QPs with a known solution (see the file comment), drawn from
 * `makeRng(seed)`.
 * @example
 * const d = kktQp({ nBatch: 4, nz: 8, nIneq: 10, nEq: 2, dtype: 'float64', seed: 0, condQ: 1e8 });
 * const r = await solveQp(d.Q, d.p, d.G, d.h, d.A, d.b); // r.z ≈ d.answer.z
 */
export function kktQp(o: KktQpOptions): KktQp {
  check(o);
  const rng = makeRng(o.seed);
  const items = vec(o.nBatch, () => 0).map(() => makeItem(o, rng));
  const t = (f: (it: Item) => number[] | Mat) =>
    tensor(items.map(f) as number[][], { dtype: o.dtype });
  const rows = (f: (it: Item) => Mat | number[]) =>
    f(items[0]).length === 0 ? null : t(f);
  const answer: KktAnswer = {
    z: items.map((it) => it.z),
    lam: items.map((it) => it.lam),
    nu: items.map((it) => it.nu),
    s: items.map((it) => it.s),
    active: items.map((it) => it.lam.map((v) => v > 0)),
    objective: items.map(
      (it) => 0.5 * dot(it.z, mv(it.Q, it.z)) + dot(it.p, it.z),
    ),
  };
  return {
    Q: t((it) => it.Q),
    p: t((it) => it.p),
    G: rows((it) => it.G),
    h: items[0].G.length === 0 ? null : t((it) => it.h),
    A: rows((it) => it.A),
    b: items[0].A.length === 0 ? null : t((it) => it.b),
    answer,
    feasible: !o.inconsistent,
  };
}
