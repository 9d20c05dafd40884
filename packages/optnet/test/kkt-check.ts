// Independent optimality check of a QP solution in plain loops: the KKT
// conditions of a convex QP are sufficient, so small residuals here prove
// z optimal without trusting the solver's own bookkeeping.
import {
  eye,
  makeRng,
  matmul,
  randn,
  type DType,
  type Tensor,
} from '@optnet/tensor';
import type { QpResult } from '../src/index.js';
import type { RandomQp } from '../src/testing/random-qp.js';

/** QP data, each argument shared or batched (randomQp's shape of result). */
export type Dense = RandomQp;

/** Item `i` of a maybe-batched argument as nested arrays. */
function item(
  t: Tensor | null,
  i: number,
  base: number,
): number[][] | number[] | null {
  if (t === null) return null;
  const a = t.arraySync() as unknown[];
  return (t.rank === base ? a : a[i]) as number[][] | number[];
}

export interface KktReport {
  stationarity: number;
  primal: number;
  dualSign: number;
  complementarity: number;
}

/** Largest KKT violation of item i, each relative to its data's scale. */
export function kktResiduals(x: Dense, r: QpResult, i: number): KktReport {
  const Q = item(x.Q, i, 2) as number[][];
  const p = item(x.p, i, 1) as number[];
  const G = item(x.G, i, 2) as number[][] | null;
  const h = item(x.h, i, 1) as number[] | null;
  const A = item(x.A, i, 2) as number[][] | null;
  const b = item(x.b, i, 1) as number[] | null;
  const z = (
    r.z.rank === 1 ? r.z.arraySync() : (r.z.arraySync() as number[][])[i]
  ) as number[];
  const lam =
    G === null
      ? []
      : ((r.lam.rank === 1
          ? r.lam.arraySync()
          : (r.lam.arraySync() as number[][])[i]) as number[]);
  const nu =
    A === null
      ? []
      : ((r.nu.rank === 1
          ? r.nu.arraySync()
          : (r.nu.arraySync() as number[][])[i]) as number[]);
  const n = z.length;
  const grad = p.map((pj, j) => pj + Q[j].reduce((s, q, k) => s + q * z[k], 0));
  G?.forEach((row, k) => row.forEach((g, j) => (grad[j] += g * lam[k])));
  A?.forEach((row, k) => row.forEach((a, j) => (grad[j] += a * nu[k])));
  const scale =
    1 +
    Math.max(...p.map(Math.abs), ...Q.flat().map(Math.abs)) *
      (1 + Math.max(...z.map(Math.abs)));
  let primal = 0;
  let comp = 0;
  let dualSign = 0;
  G?.forEach((row, k) => {
    const gz = row.reduce((s, g, j) => s + g * z[j], 0);
    const slack = h![k] - gz;
    primal = Math.max(primal, -slack);
    dualSign = Math.max(dualSign, -lam[k]);
    comp = Math.max(comp, Math.abs(lam[k] * slack));
  });
  A?.forEach((row, k) => {
    primal = Math.max(
      primal,
      Math.abs(row.reduce((s, a, j) => s + a * z[j], 0) - b![k]),
    );
  });
  return {
    stationarity: Math.max(...grad.slice(0, n).map(Math.abs)) / scale,
    primal,
    dualSign,
    complementarity: comp / scale,
  };
}

/** The worst of all four residuals over every item. */
export function worstKkt(x: Dense, r: QpResult, nBatch: number): number {
  let worst = 0;
  for (let i = 0; i < nBatch; i++) {
    const k = kktResiduals(x, r, i);
    worst = Math.max(
      worst,
      k.stationarity,
      k.primal,
      k.dualSign,
      k.complementarity,
    );
  }
  return worst;
}

export interface RandomOpts {
  nBatch: number;
  nz: number;
  nIneq: number;
  nEq: number;
  seed: number;
  dtype?: DType;
  /** Which arguments drop the batch axis (shared across items). */
  shared?: string[];
}

/** A random feasible batch: Q = LLᵀ + 0.1I, h = Gz₀ + s₀, b = Az₀. */
export function randomProblem(o: RandomOpts): Dense {
  const rng = makeRng(o.seed);
  const dtype = o.dtype ?? 'float64';
  const sh = new Set(o.shared ?? []);
  const lead = (name: string): number[] => (sh.has(name) ? [] : [o.nBatch]);
  const L = randn([...lead('Q'), o.nz, o.nz], { rng, dtype });
  const Q = matmul(L, L, { transB: true }).add(eye(o.nz, { dtype }).mul(0.1));
  const p = randn([...lead('p'), o.nz], { rng, dtype }).mul(3);
  const z0 = randn([o.nBatch, o.nz], { rng, dtype });
  let G: Tensor | null = null;
  let h: Tensor | null = null;
  if (o.nIneq > 0) {
    G = randn([...lead('G'), o.nIneq, o.nz], { rng, dtype });
    const s0 = randn([o.nBatch, o.nIneq], { rng, dtype }).abs();
    // A shared h must hold every item's z0: take the largest Gz0 + 0.1.
    h = sh.has('h') ? mvb(G, z0).max(0).add(0.1) : mvb(G, z0).add(s0);
  }
  let A: Tensor | null = null;
  let b: Tensor | null = null;
  if (o.nEq > 0) {
    A = randn([...lead('A'), o.nEq, o.nz], { rng, dtype });
    b = mvb(A, z0);
    if (sh.has('b'))
      throw new Error(
        'randomProblem: a shared b needs a shared z0; not supported',
      );
  }
  return { Q, p, G, h, A, b };
}

function mvb(m: Tensor, x: Tensor): Tensor {
  return m.rank === 2
    ? matmul(x, m, { transB: true })
    : matmul(m, x.unsqueeze(-1)).squeeze(-1);
}
