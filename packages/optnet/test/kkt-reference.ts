// Gradients of z*(Q, p, G, h, A, b) derived analytically at a KKT point
// whose active set is known (kktQp builds them), in plain float64 loops
// with a dense LU: nothing of the solver's reductions is reused, so they
// check its backward independently. With strict complementarity the
// solution is differentiable and its derivative is that of the
// equality-constrained QP on the active rows:
//   [Q  G_Aᵀ  Aᵀ] [a  ]   [g]
//   [G_A  0   0 ] [c_A] = [0]        (c = 0 on inactive rows)
//   [A    0   0 ] [e  ]   [0]
// and then ∂ℓ/∂p = −a, ∂ℓ/∂Q = −½(a zᵀ + z aᵀ), ∂ℓ/∂h = c,
// ∂ℓ/∂G = −(lam aᵀ + c zᵀ), ∂ℓ/∂b = e, ∂ℓ/∂A = −(nu aᵀ + e zᵀ).

type Mat = number[][];

/** x with M x = r by Gaussian elimination with partial pivoting. */
export function luSolve(m: Mat, r: number[]): number[] {
  const n = r.length;
  const a = m.map((row, i) => [...row, r[i]]);
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++)
      if (Math.abs(a[i][k]) > Math.abs(a[p][k])) p = i;
    [a[k], a[p]] = [a[p], a[k]];
    for (let i = k + 1; i < n; i++) {
      const f = a[i][k] / a[k][k];
      for (let j = k; j <= n; j++) a[i][j] -= f * a[k][j];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = a[i][n];
    for (let j = i + 1; j < n; j++) s -= a[i][j] * x[j];
    x[i] = s / a[i][i];
  }
  return x;
}

export interface ItemData {
  Q: Mat;
  G: Mat;
  A: Mat;
  z: number[];
  lam: number[];
  nu: number[];
  active: boolean[];
}

export interface ItemGrads {
  dQ: Mat;
  dp: number[];
  dG: Mat;
  dh: number[];
  dA: Mat;
  db: number[];
}

/** The six gradients of ℓ with ∂ℓ/∂z = g, for one item (file comment). */
export function referenceGrads(d: ItemData, g: number[]): ItemGrads {
  const n = d.z.length;
  const act = d.active.flatMap((on, i) => (on ? [i] : []));
  const rows = [...act.map((i) => d.G[i]), ...d.A];
  const size = n + rows.length;
  const k: Mat = Array.from({ length: size }, () => new Array(size).fill(0));
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) k[i][j] = d.Q[i][j];
  rows.forEach((row, r) =>
    row.forEach((v, j) => {
      k[n + r][j] = v;
      k[j][n + r] = v;
    }),
  );
  const x = luSolve(k, [...g, ...new Array(rows.length).fill(0)]);
  const a = x.slice(0, n);
  const c = new Array<number>(d.G.length).fill(0);
  act.forEach((i, r) => (c[i] = x[n + r]));
  const e = x.slice(n + act.length);
  const outer = (u: number[], v: number[], s: number) =>
    u.map((ui) => v.map((vj) => s * ui * vj));
  const add = (x1: Mat, x2: Mat) =>
    x1.map((r, i) => r.map((v, j) => v + x2[i][j]));
  const dQ = add(outer(a, d.z, -0.5), outer(d.z, a, -0.5));
  const dG = add(outer(d.lam, a, -1), outer(c, d.z, -1));
  const dA = add(outer(d.nu, a, -1), outer(e, d.z, -1));
  return { dQ, dp: a.map((v) => -v), dG, dh: c, dA, db: e };
}

/** max |x − y| / max |y| over nested arrays. */
export function relDiff(x: unknown, y: unknown): number {
  const fx = (x as number[]).flat(3) as number[];
  const fy = (y as number[]).flat(3) as number[];
  let err = 0;
  let scale = 1e-300;
  fy.forEach((v, i) => {
    err = Math.max(err, Math.abs(fx[i] - v));
    scale = Math.max(scale, Math.abs(v));
  });
  return fx.length === fy.length ? err / scale : Infinity;
}
