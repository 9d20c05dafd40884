/**
 * Checks of the `QpOptions` a caller passes to qp / solveQp: every key
 * known (with the closest known key suggested for a typo) and every value
 * in its range, before any work is done. An option set to undefined counts
 * as not set.
 */
import { showValue, Tensor } from '@optnet/tensor';
import { QpError } from './errors.js';
import type { QpOptions } from './types.js';
import { KKT_NAMES } from '../solver/kkt/choose.js';
import { closestName } from './closest.js';

interface OptionRule {
  /** What the value must be, for the message ("an integer ≥ 1"). */
  readonly want: string;
  readonly ok: (v: unknown) => boolean;
}

const isInt = (v: unknown, min: number): boolean =>
  typeof v === 'number' && Number.isInteger(v) && v >= min;

const oneOf = (values: readonly string[]): OptionRule => ({
  want: values.map((v) => `'${v}'`).join(' | '),
  ok: (v) => typeof v === 'string' && values.includes(v),
});

/** One rule per key: a key added to QpOptions without one fails tsc. */
const RULES: { readonly [K in keyof Required<QpOptions>]: OptionRule } = {
  tol: {
    want: 'a finite number > 0',
    ok: (v) => typeof v === 'number' && v > 0 && Number.isFinite(v),
  },
  maxIter: { want: 'an integer ≥ 1', ok: (v) => isInt(v, 1) },
  refine: { want: 'an integer ≥ 0', ok: (v) => isInt(v, 0) },
  checkQ: { want: 'a boolean', ok: (v) => typeof v === 'boolean' },
  kkt: oneOf(KKT_NAMES),
  polish: { want: 'a boolean', ok: (v) => typeof v === 'boolean' },
  warmStart: {
    want: 'an object with a tensor z (and tensors s, lam, nu, or none), such as a QpResult',
    ok: isWarmStart,
  },
  onNotSolved: oneOf(['throw', 'return']),
  onIteration: { want: 'a function', ok: (v) => typeof v === 'function' },
  onResult: { want: 'a function', ok: (v) => typeof v === 'function' },
  structure: {
    want: "{ Q?: 'dense' | 'diagonal', G?: 'dense' | 'bounds' }",
    ok: (v) => structureProblem(v) === null,
  },
};

/** The values each key of `structure` takes. */
const STRUCTURE: Readonly<Record<'Q' | 'G', readonly string[]>> = {
  Q: ['dense', 'diagonal'],
  G: ['dense', 'bounds'],
};

/**
 * What is wrong with a `structure` option, in words, with the closest
 * known key or value for a typo; null when nothing is.
 * e.g. for { Q: 'diag' }: "Q must be 'dense' | 'diagonal'; got Q: 'diag'. Did you mean 'diagonal'?"
 */
function structureProblem(v: unknown): string | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    return `must be an object; got ${showValue(v)}`;
  for (const [key, value] of Object.entries(v)) {
    if (key !== 'Q' && key !== 'G') {
      const near = closestName(key, ['Q', 'G']);
      return `has an unknown key '${key}' (it takes Q and G)${near === null ? '' : `. Did you mean '${near}'?`}`;
    }
    const allowed = STRUCTURE[key];
    if (value !== undefined && !allowed.includes(value as string)) {
      const near =
        typeof value === 'string' ? closestName(value, allowed) : null;
      return `${key} must be ${allowed.map((a) => `'${a}'`).join(' | ')}; got ${key}: ${showValue(value)}${near === null ? '' : `. Did you mean '${near}'?`}`;
    }
  }
  return null;
}

const KNOWN = Object.keys(RULES) as (keyof QpOptions)[];

function isWarmStart(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const w = v as Record<string, unknown>;
  const opt = (t: unknown) =>
    t === undefined || t === null || t instanceof Tensor;
  return w.z instanceof Tensor && opt(w.s) && opt(w.lam) && opt(w.nu);
}

const knownList = (): string =>
  KNOWN.map((k) => `${k} (${RULES[k].want})`).join(', ');

/**
 * The known option closest to `key` (see `closestName`), or null.
 * @example
 * closestOption('maxIters'); // 'maxIter'
 */
export function closestOption(key: string): string | null {
  return closestName(key, KNOWN);
}

/**
 * Throw QpError BAD_OPTION for options that are not an object, an unknown
 * key or a value out of range, naming `op`, the key, the value and the
 * known options.
 * @example
 * checkOptions('qp', { maxIters: 10 }); // throws: did you mean 'maxIter'?
 */
export function checkOptions(op: string, options: unknown): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new QpError(
      'BAD_OPTION',
      `${op}: options must be an object; got ${showValue(options)}. Pass {} or leave them out. Known options: ${knownList()}.`,
    );
  for (const [key, value] of Object.entries(options)) {
    if (!Object.hasOwn(RULES, key)) {
      const near = closestOption(key);
      const hint = near === null ? '' : ` Did you mean '${near}'?`;
      throw new QpError(
        'BAD_OPTION',
        `${op}: unknown option '${key}'; got ${key}: ${showValue(value)}.${hint} Known options: ${knownList()}.`,
      );
    }
    const rule = RULES[key as keyof QpOptions];
    const problem =
      key === 'structure' && value !== undefined
        ? structureProblem(value)
        : null;
    if (problem !== null)
      throw new QpError(
        'BAD_OPTION',
        `${op}: option structure ${problem}${problem.endsWith('?') ? '' : '.'} Declare ${rule.want}, e.g. structure: { Q: 'diagonal', G: 'bounds' }.`,
      );
    if (value !== undefined && !rule.ok(value))
      throw new QpError(
        'BAD_OPTION',
        `${op}: option ${key} must be ${rule.want}; got ${key}: ${showValue(value)}. Known options: ${knownList()}.`,
      );
  }
}
