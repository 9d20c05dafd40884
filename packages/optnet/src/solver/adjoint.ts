/**
 * What the backward pass of qp solves with: per item the system at the
 * exact active set where the polished point was taken (polish.ts), else
 * the interior-point system at the returned iterate; and the outer
 * products its matrix gradients are made of (api/qp.ts).
 *
 * Glossary: s slack, lam inequality duals; nBatch items.
 */
import { concat, matmul, where, type Tensor } from '@optnet/tensor';
import { outerPair } from '../kernels/outer-pair-kernel.js';
import { factorKkt } from './kkt/kkt.js';
import type { KktFact, KktPre } from './kkt/types.js';
import { maskOf } from './best.js';
import type { FirstPolish, Solved } from './polish.js';

/**
 * The factorization the backward pass solves with: per item the polish
 * system (the exact active set, refined against) where the polished point
 * was taken, else the interior-point system at the returned iterate. An
 * item in `skip` (its gradient will be zero: qp's backward) is factored at
 * s = lam = 1, harmless whatever its iterate. The items the first polish
 * attempt polished keep its factorization: only the others are factored
 * again (where the strategy can merge factorizations; else all are).
 * @example const f = adjointFact(pre, solved, skipMask);
 */
export function adjointFact(
  pre: KktPre,
  out: Solved,
  skip: Tensor | null,
): KktFact {
  const refine = pre.polish.adjointRefine;
  const first = out.first;
  if (first !== null && first.polished.every((p) => p))
    return {
      ...first.f,
      refine: Math.max(first.f.refine, refine),
    };
  const { s, lam } = out.it;
  const safe = (t: Tensor | null): Tensor | null =>
    t === null || skip === null ? t : where(skip, 1, t);
  const sys = out.system();
  if (sys === null || !out.polished.some((p) => p))
    return factorKkt(pre, safe(s), safe(lam));
  const pol = maskOf(out.polished);
  const sB = where(pol, sys.reg.s, safe(s)!);
  const lamB = where(pol, sys.reg.lam, safe(lam)!);
  const f = factorAround(pre, sB, lamB, first);
  const target = {
    s: where(pol, sys.exact.s, sB),
    lam: where(pol, sys.exact.lam, lamB),
  };
  return { ...f, refine: Math.max(f.refine, refine), target };
}

/**
 * factorKkt(pre, s, lam), taking the items `first` polished from its
 * factorization (made at the same s, lam on them) where the strategy can:
 * the same factors, for the cost of the other items.
 */
function factorAround(
  pre: KktPre,
  s: Tensor,
  lam: Tensor,
  first: FirstPolish | null,
): KktFact {
  const refactor = pre.strategy.refactor;
  if (first === null || refactor === undefined) return factorKkt(pre, s, lam);
  return refactor(pre, s, lam, first.polished, first.f);
}

/**
 * k·(x1 ⊗ y1 + x2 ⊗ y2) per item (one pass over the [nBatch, r, c]
 * result: qpOuterPair), or summed over the batch for a shared argument
 * (one matmul with inner size 2·nBatch): the backward's matrix
 * gradients (api/qp.ts).
 * @example const dQ = outer2(a, z, z, a, -0.5, false);
 */
export function outer2(
  x1: Tensor,
  y1: Tensor,
  x2: Tensor,
  y2: Tensor,
  k: number,
  shared: boolean,
): Tensor {
  if (shared)
    return matmul(concat([x1, x2], 0).mul(k), concat([y1, y2], 0), {
      transA: true,
    });
  return outerPair(x1, y1, x2, y2, k);
}
