/**
 * The solve with polishing on (from scratch; warm starts are warm.ts's):
 * the interior point stops at a looser tolerance, where the active set is
 * already plain for almost every item, and polishing takes those items
 * the rest of the way, to round-off, in one linear solve where the
 * interior point would take one or two more iterations of the whole
 * batch. An item whose polished point is not accepted (checked at the
 * caller's tolerance, as always) goes on iterating from where it stopped,
 * to that tolerance, and is polished again, on its own: the items that go
 * on are a batch of their own (solver/subset.ts), so the others keep their
 * answers and iteration counts exactly.
 *
 * Glossary: n the batch size; rest the items that go on iterating.
 */
import { type Tensor } from '@optnet/tensor';
import { pdipm, type PdipmOptions, type PdipmOutcome } from './pdipm.js';
import { polish, type Solved } from './polish.js';
import type { KktPre } from './kkt/types.js';
import { merit, type Scales } from './status.js';
import type { Problem } from './step.js';
import { takeIterate, type Subset } from './subset.js';
import { mergeSolved } from './warm.js';

type Gen<T> = Generator<Tensor, T, ArrayLike<number>>;

/** A prepared batch (prepare.ts Prepared) or a subset of one. */
interface Batch {
  readonly prob: Problem;
  readonly pre: KktPre;
  readonly scales: Scales;
}

/**
 * The interior point's tolerance when polishing follows: 10 × tol (1e-7
 * at float64's default 1e-8), at most √tol (and never below tol). Looser stops save more
 * iterations but leave more items whose active set is not yet plain,
 * which then need polishing's second guess or more iterations on their
 * own; at every size of the bench 10 × was the best trade (BENCHMARKS.md,
 * "Issue 11").
 * @example looseTol(1e-8); // 1e-7
 */
export function looseTol(tol: number): number {
  return Math.max(tol, Math.min(10 * tol, Math.sqrt(tol)));
}

/**
 * Iterate to looseTol(opts.tol), polish, and finish the items polishing
 * did not (see the file comment).
 * @example const solved = yield* solveLoose(prep, opts, subsetOf);
 */
export function* solveLoose(
  b: Batch,
  opts: PdipmOptions,
  subsetOf: (idx: readonly number[]) => Subset,
): Gen<Solved> {
  const loose = { ...opts, tol: looseTol(opts.tol) };
  const out = yield* pdipm(b.prob, b.pre, b.scales, loose);
  const first = yield* polish(b.prob, b.pre, out, b.scales, opts.tol, subsetOf);
  const rest = unfinished(first, out, b.scales, opts.tol);
  if (rest.length === 0) return first;
  const spent = rest.map((i) => out.iterations[i]);
  const more = continued(opts, spent, largest(out.iterations));
  const sub = subsetOf(rest);
  const start = takeIterate(sub, out.it);
  const again = yield* pdipm(sub.prob, sub.pre, sub.scales, more, start);
  const part = yield* polish(sub.prob, sub.pre, again, sub.scales, opts.tol);
  const merged = mergeSolved(first, part, rest, sub);
  return addIterations(merged, out.iterations, rest);
}

/**
 * Items that stopped 'solved' at the loose tolerance, were not polished
 * and do not meet the caller's tolerance: they iterate on. (An item that
 * stopped otherwise, infeasible or at maxIter, keeps its status.)
 */
function unfinished(
  first: Solved,
  out: PdipmOutcome,
  scales: Scales,
  tol: number,
): number[] {
  return out.status.flatMap((st, i) =>
    st === 'solved' &&
    !first.polished[i] &&
    merit(out.stats[i], scales, i, tol) > 1
      ? [i]
      : [],
  );
}

/**
 * The options for the second run: each item's iterations so far (`spent`,
 * in the subset's order) count against maxIter, and onIteration's count
 * goes on from the first run's last.
 */
function continued(
  opts: PdipmOptions,
  spent: readonly number[],
  last: number,
): PdipmOptions {
  const report = opts.onIteration;
  return {
    ...opts,
    spent,
    onIteration:
      report === undefined
        ? undefined
        : (info) => {
            // Its first call re-reads the point the first run stopped at.
            if (info.iteration > 0)
              report({ ...info, iteration: last + info.iteration });
          },
  };
}

/** `s` with the first run's iterations added to the items idx. */
function addIterations(
  s: Solved,
  before: readonly number[],
  idx: readonly number[],
): Solved {
  const iterations = s.iterations.slice();
  for (const i of idx) iterations[i] += before[i];
  return { ...s, iterations };
}

/** The largest entry (a loop: spreading a big batch overflows the stack). */
function largest(xs: readonly number[]): number {
  let m = 0;
  for (const x of xs) m = Math.max(m, x);
  return m;
}
