/**
 * Softmax cross-entropy of logits x [N, C] against class labels t [N]
 * (int32), fused: the loss of a classifier and its gradient, each in one
 * kernel instead of logSoftmax, a pick of the label's entry and their
 * backward passes (PyTorch's F.cross_entropy is fused the same way).
 *
 *   softmaxCrossEntropy:      ℓ_i = logsumexp(x_i) − x_i[t_i]
 *                                 = (m_i − x_i[t_i]) + log Σ_j e^(x_ij − m_i)
 *   softmaxCrossEntropyGrad:  dx_ij = g_i·(p_ij − [j = t_i]),
 *                             p_ij = e^(x_ij − m_i) / Σ_k e^(x_ik − m_k)
 *
 * with m_i = max_j x_ij, so large logits do not overflow; both terms of ℓ
 * are ≥ 0, so nothing cancels. The gradient's label entry g_i·(p − 1)
 * is −g_i·r_i/s_i, with r_i the row's sum without the label's term (p − 1
 * would lose the small gradient of a confident, correct row), and the
 * loss of a row whose label holds the max is log1p(r_i). Edge cases follow
 * logSoftmax: an all −∞ row gives NaN (0/0), a +∞ or NaN logit makes the
 * row NaN, and a label whose logit is −∞ (the rest finite) costs +∞.
 * A row whose g_i is 0 gets a zero gradient whatever its logits (not
 * 0·NaN): an ignored row of padding (−∞ or NaN) must not leak NaN into
 * the layers below it.
 *
 * A label outside [0, C) is a ShapeError BAD_ARGUMENT naming the row,
 * thrown by the CPU kernel (or, on a device, recorded and raised at the
 * next read, see KernelFailure): never a silent wrong number. C ≥ 1.
 * The gradient recomputes each row's statistics (m and Σ e^(x − m))
 * instead of the forward saving them in a second output: two passes over
 * the row, and a loss that is a plain single-output primitive.
 *
 * Glossary: N rows (batch), C classes, x logits, t labels, g the
 * cotangent of the per-row loss, m the row max, p the softmax.
 */
import { assertFloat } from '../dtype.js';
import { DTypeError, ShapeError, type OptnetError } from '../errors.js';
import {
  defineOp,
  type CpuTensor,
  type KernelFailure,
  type KernelOp,
  type TensorMeta,
} from '../op.js';
import { fmtShape } from '../shape.js';
import { unknownFailure } from './finite.js';
import type { NoAttrs } from './unary.js';

const FWD = 'softmaxCrossEntropy';
const GRAD = 'softmaxCrossEntropyGrad';

/** Checks logits [N, C] (float) and labels [N] (int32); returns N. */
function checkInputs(op: string, x: TensorMeta, t: TensorMeta): number {
  assertFloat(op, x.dtype, 'logits');
  if (t.dtype !== 'int32') {
    throw new DTypeError(
      'DTYPE_MISMATCH',
      `${op}: labels must be int32 class indices; got ${t.dtype}. Cast first: labels.cast('int32').`,
    );
  }
  if (
    x.shape.length !== 2 ||
    t.shape.length !== 1 ||
    t.shape[0] !== x.shape[0]
  ) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `${op}: logits [N, C] need labels [N]; got logits ${fmtShape(x.shape)}, labels ${fmtShape(t.shape)}. Classes go on the last axis of a 2-d input.`,
    );
  }
  if (x.shape[1] === 0) {
    throw new ShapeError(
      'BAD_ARGUMENT',
      `${op}: logits need at least one class; got logits ${fmtShape(x.shape)}. Every row's label must index a class.`,
    );
  }
  return x.shape[0];
}

/**
 * The error for label `label` at row `row`, outside [0, c).
 * @example labelError('softmaxCrossEntropy', 3, 12, 10).code; // 'BAD_ARGUMENT'
 */
export function labelError(
  op: string,
  row: number,
  label: number,
  c: number,
): ShapeError {
  return new ShapeError(
    'BAD_ARGUMENT',
    `${op}: labels must lie in [0, ${c}) (the logits' class axis); got ${label} at row ${row}. ` +
      `Check the labels against the number of classes; give ignored rows a valid label and mask their loss out.`,
  );
}

/**
 * Throws labelError for the first label outside [0, c) (every kernel of
 * both ops checks first, so the same row is named on every path).
 */
export function checkLabels(op: string, t: Int32Array, c: number): void {
  for (let i = 0; i < t.length; i++) {
    const k = t[i];
    if (!(k >= 0 && k < c)) throw labelError(op, i, k, c);
  }
}

/** The error of a recorded label failure (input 1, index = the row). */
function failureOf(op: string, f: KernelFailure, x: TensorMeta): OptnetError {
  if (f.code !== 'BAD_ARGUMENT') return unknownFailure(op, f);
  return labelError(op, f.index, f.value, x.shape[1]);
}

/**
 * [m, s, rest] of the row at `base` of `c` entries: its max m (0 when it
 * is −∞, so an all −∞ row gives 0/0 = NaN), s = Σ e^(x − m), and rest the
 * same sum without the label's entry, which is (1 − p)·s at the label
 * without the cancellation of 1 − p (a confident row's 1 − p = 1e-9 keeps
 * its digits).
 */
function rowStats(
  a: CpuTensor['data'],
  base: number,
  c: number,
  label: number,
) {
  let m = -Infinity;
  for (let j = 0; j < c; j++) {
    const v = a[base + j];
    if (v > m || v !== v) m = v;
  }
  if (m === -Infinity) m = 0;
  let s = 0;
  let rest = 0;
  for (let j = 0; j < c; j++) {
    const e = Math.exp(a[base + j] - m);
    s += e;
    if (j !== label) rest += e;
  }
  return [m, s, rest] as const;
}

function lossInto(x: CpuTensor, t: CpuTensor, y: CpuTensor): void {
  const c = x.shape[1];
  const labels = t.data as Int32Array;
  checkLabels(FWD, labels, c);
  const a = x.data;
  for (let i = 0; i < labels.length; i++) {
    const base = i * c;
    const [m, s, rest] = rowStats(a, base, c, labels[i]);
    const xt = a[base + labels[i]];
    // the label's logit is the max: ℓ = log(1 + rest), kept exact as log1p
    y.data[i] =
      xt === m && Number.isFinite(m) ? Math.log1p(rest) : m - xt + Math.log(s);
  }
}

function gradInto(
  x: CpuTensor,
  t: CpuTensor,
  g: CpuTensor,
  y: CpuTensor,
): void {
  const c = x.shape[1];
  const labels = t.data as Int32Array;
  checkLabels(GRAD, labels, c);
  const a = x.data;
  const out = y.data;
  for (let i = 0; i < labels.length; i++) {
    const base = i * c;
    const gi = g.data[i];
    if (gi === 0) {
      // No gradient flows in: none flows out, whatever the row holds (an
      // ignored row's NaN or ±∞ logits must not leak upstream).
      out.fill(0, base, base + c);
      continue;
    }
    const [m, s, rest] = rowStats(a, base, c, labels[i]);
    const scale = gi / s;
    for (let j = 0; j < c; j++)
      out[base + j] = Math.exp(a[base + j] - m) * scale;
    // g·(p − 1) = −g·rest/s, without the cancellation of p − 1
    out[base + labels[i]] = -gi * (rest / s);
  }
}

export const softmaxCrossEntropy: KernelOp<NoAttrs> = defineOp<NoAttrs>({
  name: FWD,
  shape: ([x, t]) => {
    const n = checkInputs(FWD, x, t);
    return [{ shape: [n], dtype: x.dtype }];
  },
  failure: (f, [x]) => failureOf(FWD, f, x),
  fillsOutputs: true,
  cpu: ([x, t], [y]) => lossInto(x, t, y),
});

export const softmaxCrossEntropyGrad: KernelOp<NoAttrs> = defineOp<NoAttrs>({
  name: GRAD,
  shape: ([x, t, g]) => {
    const n = checkInputs(GRAD, x, t);
    if (g.dtype !== x.dtype) {
      throw new DTypeError(
        'DTYPE_MISMATCH',
        `${GRAD}: g must have the logits' dtype ${x.dtype}; got ${g.dtype}. Cast it: g.cast('${x.dtype}').`,
      );
    }
    if (g.shape.length !== 1 || g.shape[0] !== n) {
      throw new ShapeError(
        'SHAPE_MISMATCH',
        `${GRAD}: g must have shape [${n}] (one per row of the logits); got ${fmtShape(g.shape)}.`,
      );
    }
    return [{ shape: x.shape, dtype: x.dtype }];
  },
  failure: (f, [x]) => failureOf(GRAD, f, x),
  fillsOutputs: true,
  cpu: ([x, t, g], [y]) => gradInto(x, t, g, y),
});
