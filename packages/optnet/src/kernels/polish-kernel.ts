/**
 * Polishing's per-row work as two fused kernels (solver/polish.ts says
 * what polishing is): `qpPolishSystem` guesses each item's active set and
 * builds the synthetic iterates of its Newton system; `qpPolishUpdate`
 * takes the step and projects it. Each carries its tensor-op form as
 * `decompose` for backends without it. In tensor ops they were ~30 small
 * primitives, at nz 10 a third of a solve.
 *
 * The guess. Near a solution each row's ratio s_i/lam_i, normalized by
 * w_i = κ/‖G_i‖² (a slack as a distance s_i/‖G_i‖ against the step its
 * dual would force, lam_i‖G_i‖/κ, with κ the item's curvature scale:
 * max|Q|, or for an LP ‖p‖∞/(1 + ‖z‖∞)), falls into two clusters: s∘lam ≈
 * μ puts active rows near μ/lam² and inactive ones near s²/μ. Two cuts:
 * at 1 (the natural one), and in the middle of the widest gap between the
 * item's sorted log ratios and 0 (the natural one fails when duals or
 * slacks are themselves tiny: a dual of 1e-8 puts an active row at ≈ 1e3
 * for μ = 1e-13). The first guess (`guess: 'first'`) is the natural cut
 * while the gap around 1 (between the nearest ratios on either side) is
 * at least half the widest, else the widest gap's; the second guess is
 * the other cut. `differs` says per item whether the two disagree.
 *
 * The system. For the guessed set and the strategy's row scale sc (floored
 * at 1e-12 of the item's largest), with δ the strategy's polish
 * regularization: the iterate factored is s̃ = δ·sc (active) or sc/δ
 * (inactive), λ̃ = 1; the exact one refined against is s = 0, λ = 1
 * (active) or s = sc/δ, λ = 0 (inactive); rc = λ_ex∘s + s_ex∘lam.
 *
 * Glossary: s slack, lam inequality duals, z primal; G [m, nz] or
 * [nBatch, m, nz]; m = nIneq; rowScale [nBatch, m] or a shared [m];
 * gRows2 the ‖G_i‖² when the caller has them (qp's validation makes them
 * in the pass that checks G finite; else the kernel sums them, the same
 * loop).
 */
import {
  apply,
  concat,
  defineOp,
  DTypeError,
  ShapeError,
  shapesEqual,
  tensor,
  where,
  zeros,
  type CpuTensor,
  type KernelOp,
  type Tensor,
  type TensorMeta,
} from '@optnet/tensor';

export interface PolishSystemAttrs {
  /** Largest |Q_ij| over the batch (κ's floor). */
  readonly qMax: number;
  /** ‖p‖∞ per item (κ of an LP). */
  readonly pNorm: readonly number[];
  /** The strategy's polish regularization δ. */
  readonly delta: number;
  /** Which of the two cuts (see the file comment). */
  readonly guess: 'first' | 'second';
}

/** log of a normalized ratio is clamped here: 0 or ∞ stay comparable. */
const LOG_CLAMP = 700;

function systemShape(
  ins: readonly TensorMeta[],
  { pNorm }: PolishSystemAttrs,
): TensorMeta[] {
  const [s, lam, z, G, sc, g2] = ins;
  const [nBatch, m] = s.shape;
  const nz = z.shape[1];
  const ok =
    (ins.length === 5 ||
      (ins.length === 6 && g2.shape.join() === G.shape.slice(0, -1).join())) &&
    s.shape.length === 2 &&
    shapesEqual(lam.shape, s.shape) &&
    z.shape.length === 2 &&
    z.shape[0] === nBatch &&
    pNorm.length === nBatch &&
    (G.shape.join() === `${m},${nz}` ||
      G.shape.join() === `${nBatch},${m},${nz}`) &&
    (shapesEqual(sc.shape, s.shape) || sc.shape.join() === `${m}`);
  if (!ok) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `qpPolishSystem: s, lam must be [nBatch, m], z [nBatch, nz], G [m, nz] or [nBatch, m, nz], rowScale [nBatch, m] or [m], then optionally G's squared row norms (G's shape without its last axis), one pNorm per item; got ${ins.map((t) => `[${t.shape.join(', ')}]`).join(', ')} and ${pNorm.length} pNorm.`,
    );
  }
  const float = s.dtype === 'float32' || s.dtype === 'float64';
  if (!float || ins.some((t) => t.dtype !== s.dtype)) {
    throw new DTypeError(
      'DTYPE_MISMATCH',
      `qpPolishSystem: inputs must share a float dtype; got ${ins.map((t) => t.dtype).join(', ')}.`,
    );
  }
  const mat = { shape: [nBatch, m], dtype: s.dtype };
  return [mat, mat, mat, mat, mat, mat, { shape: [nBatch, 1], dtype: s.dtype }];
}

const clampLog = (v: number): number =>
  v !== v ? 0 : Math.max(-LOG_CLAMP, Math.min(LOG_CLAMP, Math.log(v)));

/** Sorts a[0..n) in place: insertion sort, for the few rows of an item. */
function sortSmall(a: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) {
    const v = a[i];
    let j = i - 1;
    for (; j >= 0 && a[j] > v; j--) a[j + 1] = a[j];
    a[j + 1] = v;
  }
}

/**
 * The two cuts for one item's log ratios x[0..m), first guess first (see
 * the file comment), into out: 0, or the middle of the widest gap between
 * the sorted values of x and 0 (the smallest such point on a tie). `pts`
 * is scratch of m + 1.
 */
function cuts(
  x: Float64Array,
  m: number,
  pts: Float64Array,
  out: Float64Array,
) {
  let below = -Infinity;
  let above = Infinity;
  for (let i = 0; i < m; i++) {
    const v = x[i];
    pts[i] = v;
    if (v < 0) below = v > below ? v : below;
    else above = v < above ? v : above;
  }
  pts[m] = 0;
  if (m < 64) sortSmall(pts, m + 1);
  else pts.subarray(0, m + 1).sort();
  let best = -Infinity;
  let at = 0;
  for (let j = 0; j < m; j++) {
    const gap = pts[j + 1] - pts[j];
    if (gap > best) {
      best = gap;
      at = (pts[j] + pts[j + 1]) / 2;
    }
  }
  const natural = above - below >= best / 2;
  out[0] = natural ? 0 : at;
  out[1] = natural ? at : 0;
}

/** κ of item b: max(‖p‖∞/(1 + ‖z‖∞), qMax, 1e-300). */
function kappaOf(z: CpuTensor, pNorm: number, b: number, qMax: number) {
  const nz = z.shape[1];
  let zMax = 0;
  for (let j = 0; j < nz; j++)
    zMax = Math.max(zMax, Math.abs(z.data[b * nz + j]));
  return Math.max(pNorm / (1 + zMax), qMax, 1e-300);
}

/** ‖G_i‖² of item b's rows into g2. */
function rowNorms2(G: CpuTensor, b: number, g2: Float64Array): void {
  // Not `[m, nz] = shape.slice(-2)`: that destructuring (an iterator per
  // item) cost more than the norms at nz 10.
  const r = G.shape.length;
  const m = G.shape[r - 2];
  const nz = G.shape[r - 1];
  const o = r === 3 ? b * m * nz : 0;
  const d = G.data;
  for (let i = 0; i < m; i++) {
    let t = 0;
    for (let j = o + i * nz; j < o + (i + 1) * nz; j++) t += d[j] * d[j];
    g2[i] = t;
  }
}

function systemKernel(
  ins: readonly CpuTensor[],
  outs: readonly CpuTensor[],
  { qMax, pNorm, delta, guess }: PolishSystemAttrs,
): void {
  const [s, lam, z, G, sc, given] = ins;
  const [sReg, lamReg, sEx, lamEx, rc, act, differs] = outs.map((t) => t.data);
  const [S, L, SC] = [s.data, lam.data, sc.data];
  const [nBatch, m] = s.shape;
  const sOf = sc.shape.length === 2 ? m : 0;
  const x = new Float64Array(m);
  const g2 = new Float64Array(m);
  const pts = new Float64Array(m + 1);
  const cut = new Float64Array(2);
  const pick = guess === 'first' ? 0 : 1;
  for (let b = 0; b < nBatch; b++) {
    const o = b * m;
    const kappa = kappaOf(z, pNorm[b], b, qMax);
    if (given !== undefined) {
      const o2 = given.shape.length === 2 ? b * m : 0;
      for (let i = 0; i < m; i++) g2[i] = given.data[o2 + i];
    } else if (b === 0 || G.shape.length === 3) rowNorms2(G, b, g2);
    let scMax = 0;
    for (let i = 0; i < m; i++) {
      x[i] = clampLog((S[o + i] / L[o + i]) * (kappa / g2[i]));
      const r = SC[b * sOf + i];
      scMax = r > scMax ? r : scMax;
    }
    cuts(x, m, pts, cut);
    const t = cut[pick];
    const other = cut[1 - pick];
    let diff = 0;
    for (let i = 0; i < m; i++) {
      const on = x[i] < t;
      if (on !== x[i] < other) diff = 1;
      const r = Math.max(SC[b * sOf + i], 1e-12 * scMax);
      sReg[o + i] = on ? delta * r : r / delta;
      lamReg[o + i] = 1;
      sEx[o + i] = on ? 0 : r / delta;
      lamEx[o + i] = on ? 1 : 0;
      rc[o + i] = on ? S[o + i] : (r / delta) * L[o + i];
      act[o + i] = on ? 1 : 0;
    }
    differs[b] = diff;
  }
}

/**
 * The tensor-op form: the widest gap by a pairwise [nBatch, m + 1, m + 1]
 * comparison of each point with the next larger one, instead of a sort.
 */
function systemOps(
  [s, lam, z, G, sc, given]: readonly Tensor[],
  { qMax, pNorm, delta, guess }: PolishSystemAttrs,
): Tensor[] {
  const g2 = given ?? G.square().sum(-1);
  const kappa = tensor([...pNorm], { dtype: s.dtype })
    .reshape([pNorm.length, 1])
    .div(z.abs().max(-1, true).add(1))
    .maximum(qMax)
    .maximum(1e-300);
  const x0 = s.div(lam).mul(kappa.div(g2)).log().clamp(-LOG_CLAMP, LOG_CLAMP);
  const x = where(x0.equal(x0), x0, 0); // NaN → 0, as the kernel does
  const pts = concat([x, zeros([x.shape[0], 1], { dtype: x.dtype })], -1);
  const a = pts.unsqueeze(-1);
  const c = pts.unsqueeze(-2);
  const next = where(c.greater(a), c, Infinity).min(-1);
  const gap = where(next.less(Infinity), next.sub(pts), -Infinity);
  const widest = gap.max(-1, true);
  const mid = pts.add(gap.mul(0.5));
  const gapCut = where(gap.equal(widest), mid, Infinity).min(-1, true);
  // The gap around 0: nearest value below it to nearest at or above.
  const below = where(x.less(0), x, -Infinity).max(-1, true);
  const above = where(x.less(0), Infinity, x).min(-1, true);
  const natural = above.sub(below).greaterEqual(widest.mul(0.5));
  const zero = gapCut.mul(0);
  const first = where(natural, zero, gapCut);
  const second = where(natural, gapCut, zero);
  const on = x.less(guess === 'first' ? first : second);
  const otherOn = x.less(guess === 'first' ? second : first);
  const r = sc.maximum(sc.max(-1, true).mul(1e-12)).expand(s.shape);
  const off = r.div(delta);
  const one = s.mul(0).add(1);
  const sEx = where(on, 0, off);
  const lamEx = where(on, one, 0);
  return [
    where(on, r.mul(delta), off),
    one,
    sEx,
    lamEx,
    lamEx.mul(s).add(sEx.mul(lam)),
    where(on, one, 0),
    where(on.notEqual(otherOn), one, 0).max(-1, true),
  ];
}

export const polishSystemOp: KernelOp<PolishSystemAttrs> =
  defineOp<PolishSystemAttrs>({
    name: 'qpPolishSystem',
    shape: systemShape,
    cpu: systemKernel,
    decompose: systemOps,
  });

/** What qpPolishSystem returns, per item and row (see the file comment). */
export interface PolishSystem {
  readonly reg: { s: Tensor; lam: Tensor };
  readonly exact: { s: Tensor; lam: Tensor };
  readonly rc: Tensor;
  /** 1 where the row is taken as active, else 0. */
  readonly active: Tensor;
  /** [nBatch, 1]: 1 where the two rules guess different sets. */
  readonly differs: Tensor;
}

/**
 * The active-set guess and the synthetic iterates of the polish system
 * (see the file comment).
 * @example const sys = polishSystem(s, lam, z, G, rowScale, { qMax, pNorm, delta: 1e-14, guess: 'first' });
 */
export function polishSystem(
  s: Tensor,
  lam: Tensor,
  z: Tensor,
  G: Tensor,
  rowScale: Tensor,
  attrs: PolishSystemAttrs,
  gRows2: Tensor | null = null,
): PolishSystem {
  const ins = [s, lam, z, G, rowScale];
  if (gRows2 !== null) ins.push(gRows2);
  const [sReg, lamReg, sEx, lamEx, rc, active, differs] = apply(
    polishSystemOp,
    ins,
    attrs,
  );
  return {
    reg: { s: sReg, lam: lamReg },
    exact: { s: sEx, lam: lamEx },
    rc,
    active,
    differs,
  };
}

function updateShape(ins: readonly TensorMeta[]): TensorMeta[] {
  const pairs = ins.length === 9 ? [0, 2, 4, 7] : [0, 2, 4];
  const bad =
    (ins.length !== 7 && ins.length !== 9) ||
    ins.some((t) => t.dtype !== ins[0].dtype) ||
    !shapesEqual(ins[6].shape, ins[2].shape) ||
    pairs.some((k) => !shapesEqual(ins[k + 1].shape, ins[k].shape));
  if (bad) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `qpPolishUpdate: takes z, dz, s, ds, lam, dlam, active (and nu, dnu), each x and dx of one shape and dtype, active of s's; got ${ins.map((t) => `[${t.shape.join(', ')}] ${t.dtype}`).join(', ')}.`,
    );
  }
  return pairs.map((k) => ({ shape: ins[k].shape, dtype: ins[k].dtype }));
}

/** The tensor-op form of qpPolishUpdate. */
function updateOps(ins: readonly Tensor[]): Tensor[] {
  const [z, dz, s, ds, lam, dlam, active, nu, dnu] = ins;
  const on = active.greater(0);
  const out = [
    z.add(dz),
    s.add(ds).maximum(0),
    where(on, lam.add(dlam).maximum(0), 0),
  ];
  return nu === undefined ? out : [...out, nu.add(dnu)];
}

function updateKernel(ins: readonly CpuTensor[], outs: readonly CpuTensor[]) {
  const [z, dz, s, ds, lam, dlam, active, nu, dnu] = ins.map((t) => t.data);
  const [zo, so, lo, nuo] = outs.map((t) => t.data);
  for (let i = 0; i < z.length; i++) zo[i] = z[i] + dz[i];
  for (let i = 0; i < s.length; i++) {
    so[i] = Math.max(s[i] + ds[i], 0);
    lo[i] = active[i] > 0 ? Math.max(lam[i] + dlam[i], 0) : 0;
  }
  if (nuo !== undefined)
    for (let i = 0; i < nu.length; i++) nuo[i] = nu[i] + dnu[i];
}

export const polishUpdateOp: KernelOp<Record<string, never>> = defineOp<
  Record<string, never>
>({
  name: 'qpPolishUpdate',
  shape: updateShape,
  cpu: updateKernel,
  decompose: updateOps,
});

/**
 * The polished point from a Newton step d: z + dz, s + ds and lam + dlam
 * projected (s ≥ 0; lam ≥ 0 on active rows and exactly 0 on the others),
 * nu + dnu.
 * @example const [z, s, lam, nu] = polishUpdate(z, dz, s, ds, lam, dlam, active, nu, dnu);
 */
export function polishUpdate(
  ...ins: [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, ...Tensor[]]
): Tensor[] {
  return apply(polishUpdateOp, ins, {});
}
