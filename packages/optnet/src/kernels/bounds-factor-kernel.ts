/**
 * qpBoundsFactor: the factorization of every iteration of the bounds
 * reduction (solver/kkt/bounds.ts), fused per item. With d = lam/s,
 *
 *   h    = diag(Q) + (G∘G)ᵀd        (diagonal: G bounds one variable a row)
 *   W    = diag(√(1/h))·Aᵀ          [n, q]
 *   S    = WᵀW = A diag(1/h) Aᵀ      [q, q]
 *   unit = max(diag S)·rel + abs
 *   L_S  = Cholesky of S + unit·boosts[k]·I for the first k that factors
 *
 * in one WebAssembly call: G is read as one column index and value per
 * row (its declared structure; a G with two nonzeros in a row runs the JS
 * loops instead). Where the batch shares Aᵀ (the Sudoku model's learned
 * A), every item's S comes from one register-blocked product of the
 * batch's 1/h rows with the pairs matrix P of `gramPairs` (the backend's
 * `$dgemmPanels`, P packed once a solve); with Aᵀ per item, from the
 * backend's `$syrkBatch` on W (one triangle, mirrored, as the Gram product
 * of the tensor ops). S is
 * factored by the backend's `$chol`, retried per item with the next boost
 * where a pivot fails, exactly as `regularizedCholesky`: the level output
 * is the boost taken, −1 (and L_S = I) where none factors or where a 1/h
 * is negative or not finite. Nothing throws and nothing is retried on the
 * host. Outputs: 1/h, L_S, level.
 * An optional sixth input `active` (bool [nBatch, 1]) leaves out the
 * items where it is false (the solver's converged items): 1/h = 1,
 * L_S = I and level 0 there, so their solves stay finite; the other
 * items' bits are those without it.
 * `decompose` is the tensor-op form (what bounds.ts ran before), for
 * backends without this kernel; without WebAssembly SIMD plain JS loops
 * run it.
 *
 * Glossary: n = nz, m = nIneq, q = nEq; diag(Q) [n] or [nBatch, n];
 * G [·, m, n]; Aᵀ [·, n, q]; s, lam [nBatch, m].
 */
import {
  allocArray,
  apply,
  defineOp,
  DTypeError,
  primitives,
  regularizedCholesky,
  ShapeError,
  shapesEqual,
  type CpuTensor,
  type KernelOp,
  type Tensor,
  type TensorMeta,
} from '@optnet/tensor';
import {
  cpuKernelOf,
  packDgemmPanels,
  registerWasmKernels,
  wasmKernels,
} from '@optnet/tensor/wasm';
import { mtv } from './batch.js';
import { boundsFactorWat, MAX_BOOSTS } from './bounds-factor-wat.js';
import {
  identityAt,
  runFused,
  splitActive,
  type Data,
} from './fused-common.js';

export interface BoundsFactorAttrs {
  /** Multiples of the unit tried in order (at most five). */
  readonly boosts: readonly number[];
  /** unit = max(diag S)·rel + abs per item. */
  readonly rel: number;
  readonly abs: number;
}

function factorShape(
  all: readonly TensorMeta[],
  { boosts }: BoundsFactorAttrs,
): TensorMeta[] {
  const [qd, g, at, s, lam] = all;
  const [nBatch, m] = s.shape;
  splitActive('qpBoundsFactor', all, 5, nBatch); // checks active's shape
  const n = qd.shape[qd.shape.length - 1];
  const q = at.shape[at.shape.length - 1];
  const is = (x: TensorMeta, ...dims: number[]) =>
    x.shape.join() === dims.join() || shapesEqual(x.shape, [nBatch, ...dims]);
  const ok =
    s.shape.length === 2 &&
    is(qd, n) &&
    is(g, m, n) &&
    is(at, n, q) &&
    shapesEqual(lam.shape, s.shape) &&
    boosts.length >= 1 &&
    boosts.length <= MAX_BOOSTS &&
    (all.length === 5 || all.length === 6);
  if (!ok) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `qpBoundsFactor: inputs must be qDiag [(nBatch,) n], G [(nBatch,) m, n], At [(nBatch,) n, q], s and lam [nBatch, m], with 1 to ${MAX_BOOSTS} boosts; got ${[qd, g, at, s, lam].map((x) => `[${x.shape.join(', ')}]`).join(', ')} and ${boosts.length} boosts.`,
    );
  }
  const dtype = s.dtype;
  if (
    [qd, g, at, lam].some((x) => x.dtype !== dtype) ||
    (dtype !== 'float32' && dtype !== 'float64')
  ) {
    throw new DTypeError(
      'DTYPE_MISMATCH',
      `qpBoundsFactor: inputs must share one float dtype; got ${[qd, g, at, s, lam].map((x) => x.dtype).join(', ')}.`,
    );
  }
  return [
    { shape: [nBatch, n], dtype },
    { shape: [nBatch, q, q], dtype },
    { shape: [nBatch, 1], dtype },
  ];
}

/**
 * G as one column index and value per row ([·, 1, m] each, as float64),
 * or null when a row has two nonzeros (then the dense JS loops run). A
 * row of zeros reads as column 0 with value 0, which adds nothing.
 * @example const [col, val] = compressBounds(g) ?? [null, null];
 */
export function compressBounds(g: CpuTensor): [CpuTensor, CpuTensor] | null {
  const [m, n] = g.shape.slice(-2);
  const items = g.shape.length === 3 ? g.shape[0] : 1;
  const col = new Float64Array(items * m);
  const val = new Float64Array(items * m);
  const G = g.data as Data;
  for (let r = 0; r < items * m; r++) {
    let seen = false;
    for (let j = 0; j < n; j++) {
      const v = G[r * n + j];
      if (v === 0) continue;
      if (seen) return null;
      seen = true;
      col[r] = j;
      val[r] = v;
    }
  }
  const shape = g.shape.length === 3 ? [items, 1, m] : [1, m];
  return [
    { data: col, shape, dtype: 'float64' },
    { data: val, shape, dtype: 'float64' },
  ];
}

/**
 * [·, 1, len] view of a [len] or [nBatch, len] vector (a matrix operand).
 * @example const row = asRow(hInv); // [nBatch, 1, n]
 */
export function asRow(x: CpuTensor): CpuTensor {
  const shape =
    x.shape.length === 2 ? [x.shape[0], 1, x.shape[1]] : [1, x.shape[0]];
  return { ...x, shape };
}

/**
 * P [n, q(q+1)/2] with P[l, (k, j)] = Aᵀ[l, j]·Aᵀ[l, k] for j ≤ k (the
 * lower triangle's pairs row by row, row k at k(k+1)/2): S = A diag(1/h)
 * Aᵀ's lower triangle, packed, is the row vector 1/h times P (the kernel
 * spreads it into its rows in place), so a batch sharing A forms all its S
 * as one matrix
 * product [items, n]·[n, q(q+1)/2] (the backend's register-blocked
 * `$dgemmPanels`, about twice the multiply-adds per second of the per-item
 * `$syrkBatch` at the Sudoku size).
 * @example const P = gramPairs(atData, 64, 40); // 64 × 820
 */
export function gramPairs(at: Data, n: number, q: number): Float64Array {
  const np = (q * (q + 1)) / 2;
  const P = new Float64Array(n * np);
  for (let l = 0; l < n; l++) {
    let o = l * np;
    const r = l * q;
    for (let k = 0; k < q; k++) {
      const b = at[r + k];
      for (let j = 0; j <= k; j++) P[o++] = at[r + j] * b;
    }
  }
  return P;
}

/**
 * The last P made (this thread's), with a copy of the Aᵀ it came from:
 * one solve factors with the same Aᵀ every iteration, so P is made once
 * a solve and, being the same array, stays mirrored in the kernel memory.
 * Keyed on the values, not the array: a tensor's memory may be recycled
 * for other values.
 */
let lastPairs: {
  at: Float64Array;
  n: number;
  q: number;
  P: CpuTensor;
} | null = null;

/**
 * P for Aᵀ [n, q] (`at`), packed in $dgemmPanels' panels, as a shared
 * operand: the same object as the last call's when Aᵀ holds the same
 * values (exported for its test).
 * @example const P = pairsOf(atData, 64, 40); // [1, 26 · 64 · 32]
 */
export function pairsOf(at: Data, n: number, q: number): CpuTensor {
  const hit =
    lastPairs !== null &&
    lastPairs.n === n &&
    lastPairs.q === q &&
    lastPairs.at.length === at.length &&
    lastPairs.at.every((v, i) => Object.is(v, at[i]));
  if (hit) return lastPairs!.P;
  const np = (q * (q + 1)) / 2;
  const P = packDgemmPanels(gramPairs(at, n, q), n, np, np);
  const made = {
    at: Float64Array.from(at),
    n,
    q,
    P: { data: P, shape: [1, P.length], dtype: 'float64' } as CpuTensor,
  };
  lastPairs = made;
  return made.P;
}

/** In WebAssembly (runFused); false where it cannot run. */
function factorWasm(
  ins: readonly CpuTensor[],
  outs: readonly CpuTensor[],
  { boosts, rel, abs }: BoundsFactorAttrs,
  active: ArrayLike<number> | null,
): boolean {
  const wk = wasmKernels();
  const [qd, g, atT, s, lam] = ins;
  const packed = wk === null ? null : compressBounds(g);
  if (wk === null || packed === null) return false;
  const [nBatch, m] = s.shape;
  const [n, q] = atT.shape.slice(-2);
  const b = Array.from({ length: MAX_BOOSTS }, (_, i) => boosts[i] ?? 0);
  // A shared by the batch: every S from one product with P (gramPairs).
  const np = atT.shape.length === 2 ? (q * (q + 1)) / 2 : 0;
  const pairs = np === 0 ? null : pairsOf(atT.data as Data, n, q);
  return runFused(
    wk,
    'qpBoundsFactor',
    nBatch,
    [
      [asRow(qd), n],
      [atT, n * q],
      [packed[0], m],
      [packed[1], m],
      [pairs, pairs === null ? 0 : pairs.data.length],
    ],
    [
      [s, m],
      [lam, m],
    ],
    [
      [outs[0], n],
      [outs[1], q * q],
      [outs[2], 1],
    ],
    6 + n + 1 + q * q + n * q,
    [n, m, q, boosts.length, np, rel, abs, ...b],
    active,
    // Left-out items: 1/h = 1, L_S = I, level 0.
    [(h) => h.fill(1), (l) => identityAt(l, 0, q), null],
  );
}

/** The same in plain JS loops, G dense. */
function factorJs(
  [qd, g, atT, s, lam]: readonly CpuTensor[],
  outs: readonly CpuTensor[],
  { boosts, rel, abs }: BoundsFactorAttrs,
): void {
  const [nBatch, m] = s.shape;
  const [n, q] = atT.shape.slice(-2);
  // Offsets of item b in a per-item operand (rank 2 vector, rank 3 matrix).
  const off = (x: CpuTensor, b: number, rank: number, size: number) =>
    x.shape.length === rank ? b * size : 0;
  const S = allocArray('float64', nBatch * q * q) as Float64Array;
  const unit = new Float64Array(nBatch);
  const w = new Float64Array(n);
  const [Qd, G, At] = [qd.data, g.data, atT.data] as Data[];
  for (let b = 0; b < nBatch; b++) {
    const go = off(g, b, 3, m * n);
    for (let j = 0; j < n; j++) {
      let t = 0;
      for (let i = 0; i < m; i++) {
        const gij = G[go + i * n + j];
        t += gij * gij * (lam.data[b * m + i] / s.data[b * m + i]);
      }
      const hInv = 1 / (Qd[off(qd, b, 2, n) + j] + t);
      outs[0].data[b * n + j] = hInv;
      w[j] = Math.sqrt(hInv);
    }
    const ao = off(atT, b, 3, n * q);
    let mx = -Infinity;
    for (let k = 0; k < q; k++) {
      for (let l = 0; l <= k; l++) {
        let v = 0;
        for (let p = 0; p < n; p++)
          v += w[p] * At[ao + p * q + k] * (w[p] * At[ao + p * q + l]);
        S[b * q * q + k * q + l] = v;
        S[b * q * q + l * q + k] = v;
      }
      mx = Math.max(mx, S[b * q * q + k * q + k]);
    }
    unit[b] = mx * rel + abs;
  }
  cpuKernelOf(primitives.regularizedCholesky)(
    [
      { data: S, shape: [nBatch, q, q], dtype: 'float64' },
      { data: unit, shape: [nBatch, 1], dtype: 'float64' },
    ],
    [outs[1], outs[2]],
    { boosts },
  );
}

/** The tensor-op form: what solver/kkt/bounds.ts ran before this kernel. */
function factorOps(
  [qd, g, atT, s, lam]: readonly Tensor[],
  { boosts, rel, abs }: BoundsFactorAttrs,
): Tensor[] {
  const [nBatch] = s.shape;
  const n = qd.shape[qd.shape.length - 1];
  const h = qd.add(mtv(g.square(), lam.div(s)));
  const hInv = h.reciprocal().expand([nBatch, n]);
  const w = hInv.sqrt().unsqueeze(-1).mul(atT);
  const schur = w.matmul(w, { transA: true });
  const unit = schur.diagonal().max(-1, true).mul(rel).add(abs);
  const [ls, level] = regularizedCholesky(schur, unit, boosts);
  return [hInv, ls, level];
}

export const boundsFactorOp: KernelOp<BoundsFactorAttrs> =
  defineOp<BoundsFactorAttrs>({
    name: 'qpBoundsFactor',
    shape: factorShape,
    cpu: (all, outs, attrs) => {
      registerWasmKernels(boundsFactorWat);
      const [nBatch] = all[3].shape;
      const [ins, active] = splitActive('qpBoundsFactor', all, 5, nBatch);
      if (factorWasm(ins, outs, attrs, active?.data ?? null)) return;
      // The JS loops factor every item (active is an economy, not a rule).
      // Outputs come unzeroed (fillsOutputs): the fallback starts clean.
      for (const o of outs) o.data.fill(0);
      factorJs(ins, outs, attrs);
    },
    decompose: (ins, attrs) => factorOps(ins.slice(0, 5), attrs),
    // A factor or the identity, and levels, like regularizedCholesky.
    finiteOutputs: false,
    // The WebAssembly path copies out every item's whole outputs.
    fillsOutputs: true,
  });

/**
 * The bounds reduction's factorization at (s, lam), fused (see the file
 * comment): [1/h [nBatch, n], L_S [nBatch, q, q], level [nBatch, 1]]. With
 * `active` (bool [nBatch, 1]) the items where it is false may be left out.
 * @example
 * const [hInv, ls, level] = boundsFactor(qDiag, G, At, s, lam, { boosts: [1, 1e3], rel: 1e-12, abs: 1e-13 });
 */
export function boundsFactor(
  qDiag: Tensor,
  G: Tensor,
  At: Tensor,
  s: Tensor,
  lam: Tensor,
  attrs: BoundsFactorAttrs,
  active: Tensor | null = null,
): Tensor[] {
  const ins = [qDiag, G, At, s, lam];
  return apply(boundsFactorOp, active === null ? ins : [...ins, active], {
    ...attrs,
    boosts: [...attrs.boosts],
  });
}
