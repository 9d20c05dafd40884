/**
 * Fused kernels for the per-item scalar work of an interior-point step:
 * the step length to the boundary (with the gap safeguard) and Mehrotra's
 * centering. Each is one pass over [nBatch, nIneq] where the same math in
 * tensor ops took 25 small primitives; at nz 10 those ops were a fifth of a
 * solve (each costs a few µs whatever its size). Each op also carries that
 * tensor-op form as `decompose`, which a backend without these kernels runs
 * instead, so the solver still runs on any backend.
 *
 * Glossary: s slack, lam inequality duals (both > 0), ds, dlam a direction,
 * m = nIneq; every input is [nBatch, m].
 */
import {
  apply,
  apply1,
  defineOp,
  DTypeError,
  ShapeError,
  shapesEqual,
  where,
  type CpuTensor,
  type KernelOp,
  type Tensor,
  type TensorMeta,
} from '@optnet/tensor';

export interface StepLengthAttrs {
  /** Multiplies the step to the boundary (0.99 keeps the iterate interior). */
  readonly scale: number;
  /** Shorten a step that would raise the duality gap (see stepLength). */
  readonly capGap: boolean;
}

/** Four inputs of one shape [nBatch, m] and dtype; output [nBatch, width]. */
function stepShape(
  op: string,
  ins: readonly TensorMeta[],
  width: number | null,
): TensorMeta[] {
  const [s] = ins;
  if (s.shape.length !== 2 || ins.some((t) => !shapesEqual(t.shape, s.shape))) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `${op}: s, lam, ds, dlam must share one [nBatch, m] shape; got ${ins.map((t) => `[${t.shape.join(', ')}]`).join(', ')}.`,
    );
  }
  if (
    ins.some((t) => t.dtype !== s.dtype) ||
    (s.dtype !== 'float32' && s.dtype !== 'float64')
  ) {
    throw new DTypeError(
      'DTYPE_MISMATCH',
      `${op}: inputs must share a float dtype; got ${ins.map((t) => t.dtype).join(', ')}.`,
    );
  }
  return [{ shape: [s.shape[0], width ?? s.shape[1]], dtype: s.dtype }];
}

/**
 * Largest α ≤ 1 with s + α·ds ≥ 0 and lam + α·dlam ≥ 0 for item b: with
 * r = min_i min(ds_i/s_i, dlam_i/lam_i), α = 1/max(1, −r).
 */
function boundaryStep(
  s: ArrayLike<number>,
  lam: ArrayLike<number>,
  ds: ArrayLike<number>,
  dlam: ArrayLike<number>,
  o: number,
  m: number,
): number {
  let r = Infinity;
  for (let i = o; i < o + m; i++) {
    const a = ds[i] / s[i];
    const b = dlam[i] / lam[i];
    if (a !== a || b !== b) return NaN; // a broken direction stays visible
    if (a < r) r = a;
    if (b < r) r = b;
  }
  return 1 / Math.max(-r, 1);
}

/**
 * Mehrotra's second-order term can make a step raise the gap: along the
 * direction, μ(α) = μ + c1·α + c2·α² with c1 = (sᵀdlam + lamᵀds)/m and
 * c2 = dsᵀdlam/m, and with c2 > 0 a long step overshoots. Degenerate
 * problems then cycle (the gap went 0.33 → 1.1 → 0.5 → 1.3 ... on a
 * feasible QP of OptNetLayer training). Where μ(α) > μ, shorten the step
 * to the minimizer −c1 / 2c2 of μ(α) (when that is positive).
 */
function capGap(
  s: ArrayLike<number>,
  lam: ArrayLike<number>,
  ds: ArrayLike<number>,
  dlam: ArrayLike<number>,
  o: number,
  m: number,
  alpha: number,
): number {
  let c1 = 0;
  let c2 = 0;
  for (let i = o; i < o + m; i++) {
    c1 += s[i] * dlam[i] + lam[i] * ds[i];
    c2 += ds[i] * dlam[i];
  }
  const best = -c1 / (c2 * 2);
  if ((c1 + c2 * alpha) * alpha > 0 && best > 0) return Math.min(alpha, best);
  return alpha;
}

/** The tensor-op form of stepLength (for backends without the kernel). */
function stepLengthOps(
  [s, lam, ds, dlam]: readonly Tensor[],
  { scale, capGap: cap }: StepLengthAttrs,
): Tensor[] {
  const r = ds.div(s).min(-1, true).minimum(dlam.div(lam).min(-1, true));
  const alpha = r.neg().maximum(1).reciprocal().mul(scale);
  if (!cap) return [alpha];
  const c1 = s.mul(dlam).add(lam.mul(ds)).sum(-1, true);
  const c2 = ds.mul(dlam).sum(-1, true);
  const rise = c1.add(c2.mul(alpha)).mul(alpha); // m·(μ(α) − μ)
  const best = c1.neg().div(c2.mul(2));
  const capped = where(best.greater(0), alpha.minimum(best), alpha);
  return [where(rise.greater(0), capped, alpha)];
}

export const stepLengthOp: KernelOp<StepLengthAttrs> =
  defineOp<StepLengthAttrs>({
    name: 'qpStepLength',
    shape: (ins) => stepShape('qpStepLength', ins, 1),
    cpu: (
      [s, lam, ds, dlam]: readonly CpuTensor[],
      [y],
      { scale, capGap: cap },
    ) => {
      const m = s.shape[1];
      for (let b = 0; b < s.shape[0]; b++) {
        const alpha =
          boundaryStep(s.data, lam.data, ds.data, dlam.data, b * m, m) * scale;
        y.data[b] = cap
          ? capGap(s.data, lam.data, ds.data, dlam.data, b * m, m, alpha)
          : alpha;
      }
    },
    decompose: stepLengthOps,
    // Every element of every output is written, on every path.
    fillsOutputs: true,
  });

/**
 * Step length per item ([nBatch, 1]): `scale` times the longest step to the
 * boundary, shortened where it would raise the gap when `capGap` is set.
 * @example
 * const alpha = stepLength(s, lam, ds, dlam, { scale: 0.99, capGap: true });
 */
export function stepLength(
  s: Tensor,
  lam: Tensor,
  ds: Tensor,
  dlam: Tensor,
  attrs: StepLengthAttrs,
): Tensor {
  return apply1(stepLengthOp, [s, lam, ds, dlam], attrs);
}

/** The tensor-op form of centering (for backends without the kernel). */
function centeringOps([s, lam, ds, dlam]: readonly Tensor[]): Tensor[] {
  const m = s.shape[1];
  const [aAff] = stepLengthOps([s, lam, ds, dlam], { scale: 1, capGap: false });
  const sl = s.mul(lam);
  const mu = sl.sum(-1, true).div(m);
  const muAff = s
    .add(ds.mul(aAff))
    .mul(lam.add(dlam.mul(aAff)))
    .sum(-1, true)
    .div(m);
  const ratio = muAff.div(mu).minimum(1).maximum(0);
  const sigma = ratio.mul(ratio).mul(ratio); // (μ_aff/μ)³
  return [sl.add(ds.mul(dlam)).sub(sigma.mul(mu))];
}

export const centeringOp: KernelOp<Record<string, never>> = defineOp<
  Record<string, never>
>({
  name: 'qpCentering',
  shape: (ins) => stepShape('qpCentering', ins, null),
  cpu: ([s, lam, ds, dlam]: readonly CpuTensor[], [y]) => {
    const [nBatch, m] = s.shape;
    const S = s.data,
      L = lam.data,
      DS = ds.data,
      DL = dlam.data,
      Y = y.data;
    for (let b = 0; b < nBatch; b++) {
      const o = b * m;
      const a = boundaryStep(S, L, DS, DL, o, m);
      let sl = 0;
      let slAff = 0;
      for (let i = o; i < o + m; i++) {
        sl += S[i] * L[i];
        slAff += (S[i] + DS[i] * a) * (L[i] + DL[i] * a);
      }
      const mu = sl / m;
      const ratio = Math.max(Math.min(slAff / m / mu, 1), 0);
      const sigmaMu = ratio * ratio * ratio * mu;
      for (let i = o; i < o + m; i++)
        Y[i] = S[i] * L[i] + DS[i] * DL[i] - sigmaMu;
    }
  },
  decompose: centeringOps,
  // Every element of every output is written, on every path.
  fillsOutputs: true,
});

/**
 * Mehrotra's corrector right-hand side rc = s∘lam + ds∘dlam − σμ from the
 * affine direction (ds, dlam): μ = sᵀlam/m, σ = (μ_aff/μ)³ with μ_aff the
 * gap after the longest affine step.
 * @example const rc = centering(s, lam, aff.ds, aff.dlam);
 */
export function centering(
  s: Tensor,
  lam: Tensor,
  ds: Tensor,
  dlam: Tensor,
): Tensor {
  return apply1(centeringOp, [s, lam, ds, dlam], {});
}

export interface MoveAttrs {
  /**
   * Whether an [nBatch, 1] bool mask of the items that move follows the
   * pairs.
   */
  readonly masked: boolean;
  /**
   * Whether an [nBatch, 1] regularization level comes last: an item whose
   * factorization broke down (level < 0) does not move either.
   */
  readonly leveled?: boolean;
}

/** Where the mask and the level are among the inputs (or −1). */
function tail(n: number, { masked, leveled }: MoveAttrs): [number, number] {
  const level = leveled === true ? n - 1 : -1;
  const active = masked ? (level >= 0 ? n - 2 : n - 1) : -1;
  return [active, level];
}

/** The tensor-op form of move. */
function moveOps(ins: readonly Tensor[], attrs: MoveAttrs): Tensor[] {
  const alpha = ins[0];
  const [ai, li] = tail(ins.length, attrs);
  let active = ai >= 0 ? ins[ai] : null;
  if (li >= 0) {
    const ok = ins[li].greaterEqual(0);
    active = active === null ? ok : where(active, ok, active);
  }
  const pairs = Math.min(...[ai, li].filter((k) => k >= 0), ins.length);
  const out: Tensor[] = [];
  for (let k = 1; k + 1 < pairs; k += 2) {
    const next = ins[k].add(ins[k + 1].mul(alpha));
    out.push(active === null ? next : where(active, next, ins[k]));
  }
  return out;
}

export const moveOp: KernelOp<MoveAttrs> = defineOp<MoveAttrs>({
  name: 'qpMove',
  shape: (ins, attrs) => {
    const extra = (attrs.masked ? 1 : 0) + (attrs.leveled === true ? 1 : 0);
    const pairs = ins.slice(1, ins.length - extra);
    const out: TensorMeta[] = [];
    for (let k = 0; k + 1 < pairs.length; k += 2) {
      const [x, dx] = [pairs[k], pairs[k + 1]];
      if (
        x.shape.length !== 2 ||
        !shapesEqual(x.shape, dx.shape) ||
        x.shape[0] !== ins[0].shape[0] ||
        x.dtype !== dx.dtype
      ) {
        throw new ShapeError(
          'SHAPE_MISMATCH',
          `qpMove: each x and dx must share one [nBatch, n] shape and dtype; got [${x.shape.join(', ')}] and [${dx.shape.join(', ')}].`,
        );
      }
      out.push({ shape: x.shape, dtype: x.dtype });
    }
    return out;
  },
  cpu: (ins, outs, attrs) => {
    const alpha = ins[0].data;
    const [ai, li] = tail(ins.length, attrs);
    const active = ai >= 0 ? ins[ai].data : null;
    const level = li >= 0 ? ins[li].data : null;
    outs.forEach((o, p) => {
      const x = ins[1 + 2 * p].data;
      const dx = ins[2 + 2 * p].data;
      const y = o.data;
      const n = o.shape[1];
      for (let b = 0; b < o.shape[0]; b++) {
        const a = alpha[b];
        const moves =
          (active === null || active[b] !== 0) &&
          (level === null || level[b] >= 0);
        for (let i = b * n; i < b * n + n; i++)
          y[i] = moves ? x[i] + dx[i] * a : x[i];
      }
    });
  },
  decompose: moveOps,
  // Every element of every output is written, on every path.
  fillsOutputs: true,
});

/**
 * x + α·dx for each pair, per item (α [nBatch, 1]); items where `active` is
 * false keep x, and so do items whose `level` (a factorization's, see
 * solver/kkt/types.ts) is negative. One kernel for the whole iterate.
 * @example const [z1, s1] = move(alpha, [[z, dz], [s, ds]], null);
 */
export function move(
  alpha: Tensor,
  pairs: readonly (readonly [Tensor, Tensor])[],
  active: Tensor | null,
  level: Tensor | null = null,
): Tensor[] {
  const ins = [alpha, ...pairs.flat()];
  if (active !== null) ins.push(active);
  if (level !== null) ins.push(level);
  return apply(moveOp, ins, {
    masked: active !== null,
    leveled: level !== null,
  });
}

/** The tensor-op form of slackStep. */
function slackStepOps([
  rcOverLam,
  sOverLam,
  dlam,
  rz,
  gdz,
  inactive,
]: readonly Tensor[]): Tensor[] {
  const fromComp = rcOverLam.add(sOverLam.mul(dlam)).neg();
  const fromRow = rz.add(gdz).neg();
  return [where(inactive, fromRow, fromComp)];
}

export const slackStepOp: KernelOp<Record<string, never>> = defineOp<
  Record<string, never>
>({
  name: 'qpSlackStep',
  shape: (ins) => {
    const [x] = ins;
    if (
      ins.some((t) => !shapesEqual(t.shape, x.shape)) ||
      ins[5].dtype !== 'bool'
    ) {
      throw new ShapeError(
        'SHAPE_MISMATCH',
        `qpSlackStep: six [nBatch, m] inputs, the last bool; got ${ins.map((t) => `${t.dtype}[${t.shape.join(', ')}]`).join(', ')}.`,
      );
    }
    return [{ shape: x.shape, dtype: x.dtype }];
  },
  cpu: ([rcOverLam, sOverLam, dlam, rz, gdz, inactive], [y]) => {
    const [A, B, C, R, G, I, Y] = [
      rcOverLam.data,
      sOverLam.data,
      dlam.data,
      rz.data,
      gdz.data,
      inactive.data,
      y.data,
    ];
    for (let i = 0; i < Y.length; i++)
      Y[i] = I[i] !== 0 ? -(R[i] + G[i]) : -(A[i] + B[i] * C[i]);
  },
  decompose: slackStepOps,
  // Every element of every output is written, on every path.
  fillsOutputs: true,
});

/**
 * ds from the two exact-arithmetic-equal formulas, per row: the linear row
 * −(rz + G dz) where `inactive`, else the complementarity form
 * −(rc/lam + (s/lam)∘dlam) (see solver/kkt/dual.ts for why).
 * @example const ds = slackStep(rcOverLam, sOverLam, dlam, rz, gdz, inactive);
 */
export function slackStep(
  rcOverLam: Tensor,
  sOverLam: Tensor,
  dlam: Tensor,
  rz: Tensor,
  gdz: Tensor,
  inactive: Tensor,
): Tensor {
  return apply1(
    slackStepOp,
    [rcOverLam, sOverLam, dlam, rz, gdz, inactive],
    {},
  );
}

/** The tensor-op form of shiftPositive (step.ts before this kernel). */
function shiftPositiveOps([x]: readonly Tensor[]): Tensor[] {
  const a = x.min(-1, true).neg();
  return [x.add(where(a.greaterEqual(0), a.add(1), 0))];
}

export const shiftPositiveOp: KernelOp<Record<string, never>> = defineOp<
  Record<string, never>
>({
  name: 'qpShiftPositive',
  shape: ([x]) => {
    if (
      x.shape.length !== 2 ||
      x.shape[1] === 0 ||
      (x.dtype !== 'float32' && x.dtype !== 'float64')
    ) {
      throw new ShapeError(
        'SHAPE_MISMATCH',
        `qpShiftPositive: x must be float [nBatch, m] with m ≥ 1; got ${x.dtype}[${x.shape.join(', ')}].`,
      );
    }
    return [{ shape: x.shape, dtype: x.dtype }];
  },
  cpu: ([x], [y]) => {
    const [nBatch, m] = x.shape;
    const X = x.data;
    const Y = y.data;
    // The tensor ops' arithmetic in x's dtype: min (NaN kept), −, +1 and
    // the sum, each rounded to float32 there; x + 0 where no shift (−0
    // becomes +0, as the add gives it).
    const round = x.dtype === 'float32' ? Math.fround : (v: number) => v;
    for (let b = 0; b < nBatch; b++) {
      const o = b * m;
      let min = Infinity;
      for (let i = o; i < o + m; i++) {
        const v = X[i];
        if (v < min || v !== v) min = v;
      }
      const a = -min;
      const add = a >= 0 ? round(a + 1) : 0;
      for (let i = o; i < o + m; i++) Y[i] = X[i] + add;
    }
  },
  decompose: shiftPositiveOps,
  // Every element of every output is written, on every path.
  fillsOutputs: true,
});

/**
 * x + (1 + a) per item where a = −min(x) ≥ 0, else x (+ 0): the starting
 * point's shift of s and lam into the positive orthant, one op instead of
 * six small ones.
 * @example const s = shiftPositive(ds); // every row's entries ≥ 1
 */
export function shiftPositive(x: Tensor): Tensor {
  return apply1(shiftPositiveOp, [x], {});
}
