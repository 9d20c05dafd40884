/**
 * Which KKT reduction a solve runs: chosen once, in prepare.ts, from the
 * `kkt` option and what prepare measured; the solver then only calls the
 * chosen strategy's methods (through kkt.ts).
 *
 * Glossary: nz nIneq nEq the sizes; Q the objective's matrix.
 */
import { QpError } from '../../api/errors.js';
import { dualKkt } from './dual.js';
import { primalKkt } from './primal.js';
import { boundsKkt } from './bounds.js';
import type { KktProblemInfo, KktStrategy } from './types.js';

/**
 * Every reduction, in order of preference when 'auto' finds two of equal
 * cost. A new reduction is one file exporting a `KktStrategy`, listed here
 * (and its name added to `QpOptions['kkt']`).
 */
export const KKT_STRATEGIES: readonly KktStrategy[] = [
  dualKkt,
  primalKkt,
  boundsKkt,
];

/** The values the `kkt` option accepts. */
export const KKT_NAMES: readonly string[] = [
  'auto',
  ...KKT_STRATEGIES.map((s) => s.name),
];

/**
 * The strategy named `want`, or for 'auto' the cheapest that fits (the
 * first listed on a tie). Without constraints there is nothing to
 * eliminate: the variable-space reduction, whatever `want`. Throws the
 * strategy's refusal as a QpError when `want` names one that does not fit.
 * @example
 * const strategy = chooseKkt('auto', info); // dualKkt or primalKkt
 */
export function chooseKkt(want: string, info: KktProblemInfo): KktStrategy {
  if (info.nIneq + info.nEq === 0) return primalKkt;
  if (want !== 'auto') {
    const named = KKT_STRATEGIES.find((s) => s.name === want);
    if (named === undefined) {
      throw new QpError(
        'BAD_OPTION',
        `qp: kkt must be one of ${KKT_NAMES.map((n) => `'${n}'`).join(', ')}; got '${want}'.`,
      );
    }
    const fit = named.fit(info);
    if ('refused' in fit)
      throw new QpError(fit.code, `qp: kkt '${want}' ${fit.refused}`);
    return named;
  }
  let best: KktStrategy = primalKkt;
  let bestCost = Infinity;
  for (const s of KKT_STRATEGIES) {
    const fit = s.fit(info);
    if ('cost' in fit && fit.cost < bestCost) {
      best = s;
      bestCost = fit.cost;
    }
  }
  return best;
}
