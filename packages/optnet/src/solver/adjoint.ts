/**
 * What the backward pass of qp solves with: per item the system at the
 * exact active set where the polished point was taken (polish.ts), else
 * the interior-point system at the returned iterate.
 *
 * Glossary: s slack, lam inequality duals; nBatch items.
 */
import { where, type Tensor } from '@optnet/tensor';
import { factorKkt } from './kkt/kkt.js';
import type { KktFact, KktPre } from './kkt/types.js';
import { maskOf } from './best.js';
import type { Solved } from './polish.js';

/**
 * The factorization the backward pass solves with: per item the polish
 * system (the exact active set, refined against) where the polished point
 * was taken, else the interior-point system at the returned iterate. An
 * item in `skip` (its gradient will be zero: qp's backward) is factored at
 * s = lam = 1, harmless whatever its iterate.
 * @example const f = adjointFact(pre, solved, skipMask);
 */
export function adjointFact(
  pre: KktPre,
  out: Solved,
  skip: Tensor | null,
): KktFact {
  const refine = pre.polish.adjointRefine;
  const all = out.polished.every((p) => p);
  if (all && out.fact !== null)
    return {
      ...out.fact,
      refine: Math.max(out.fact.refine, refine),
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
  const f = factorKkt(pre, sB, lamB);
  const target = {
    s: where(pol, sys.exact.s, sB),
    lam: where(pol, sys.exact.lam, lamB),
  };
  return { ...f, refine: Math.max(f.refine, refine), target };
}
