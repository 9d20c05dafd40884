/**
 * A batch restricted to some of its items: the problem, its KKT
 * prefactorization, and the way back. Polishing's second guess is needed
 * by a few items at most (kernels/polish-kernel.ts), and a factorization
 * of the whole batch for them cost as much as the first polish; on the
 * few items it costs almost nothing at the sizes where factorizations
 * dominate.
 *
 * Glossary: Q p G h A b the data (each shared or per item); nBatch the
 * batch size; idx the items kept, in order.
 */
import { indexSelect, slice, tensor, zeros, type Tensor } from '@optnet/tensor';
import { preFactorKkt } from './kkt/kkt.js';
import type { KktPre, KktSetup } from './kkt/types.js';
import type { Iterate, Problem } from './step.js';
import type { Scales } from './status.js';

export interface Subset {
  readonly prob: Problem;
  readonly pre: KktPre;
  readonly scales: Scales;
  /** Rows idx of a per-item tensor [nBatch, ·]. */
  take(t: Tensor): Tensor;
  /**
   * A tensor that broadcasts against the batch ([nBatch, ·], or `part`
   * itself when it has one row: where() broadcasts it, a gather would
   * cost more than the where) whose rows idx are `part`'s ([idx.length,
   * ·]) and whose other rows are filler (pick the rows you need with a
   * mask).
   */
  spread(part: Tensor): Tensor;
}

/**
 * The items `idx` of a batch as a batch of their own, refactored from
 * scratch by the same KKT strategy (`setup` as prepare.ts made it).
 * @example const sub = subset(prob, pre, setup, scales, [4, 17]);
 */
export function subset(
  prob: Problem,
  pre: KktPre,
  setup: KktSetup,
  scales: Scales,
  idx: readonly number[],
): Subset {
  const n = prob.data.nBatch;
  const at = tensor([...idx], { dtype: 'int32' });
  const isItem = (t: Tensor, base: number) => t.rank === base + 1;
  // Consecutive items (one, most often) are a slice: cheaper than a gather.
  const run = idx.every((i, j) => i === idx[0] + j);
  const take = (t: Tensor): Tensor =>
    run
      ? slice(t, [{ start: idx[0], stop: idx[0] + idx.length }])
      : indexSelect(t, 0, at);
  const perItem = (t: Tensor | null, base: number) =>
    t === null || !isItem(t, base) ? t : take(t);
  const d = prob.data;
  const data = {
    ...d,
    Q: perItem(d.Q, 2)!,
    G: perItem(d.G, 2),
    A: perItem(d.A, 2),
    qDiag: perItem(d.qDiag, 1),
    gRows2: perItem(d.gRows2 ?? null, 1),
    nBatch: idx.length,
  };
  const vec = (t: Tensor | null) => (t === null ? null : take(t));
  const sub: Problem = {
    data,
    p: take(prob.p),
    h: vec(prob.h),
    b: vec(prob.b),
    hInv: vec(prob.hInv),
    bInv: vec(prob.bInv),
    zero: zeros([idx.length, 1], { dtype: d.dtype }),
  };
  const from = new Array<number>(n).fill(0);
  idx.forEach((i, j) => (from[i] = j));
  const back = tensor(from, { dtype: 'int32' });
  return {
    prob: sub,
    pre: preFactorKkt(pre.strategy, { ...setup, data, lq: null }),
    scales: {
      pNorm: Float64Array.from(idx, (i) => scales.pNorm[i]),
      qMax: scales.qMax,
    },
    take,
    spread: (part) => (idx.length === 1 ? part : indexSelect(part, 0, back)),
  };
}

/**
 * Rows idx of every block of an iterate.
 * @example const itSub = takeIterate(sub, it);
 */
export function takeIterate(sub: Subset, it: Iterate): Iterate {
  const t = (x: Tensor | null) => (x === null ? null : sub.take(x));
  return { z: t(it.z)!, s: t(it.s), lam: t(it.lam), nu: t(it.nu) };
}
