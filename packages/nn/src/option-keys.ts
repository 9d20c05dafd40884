/**
 * Refusing option keys a function does not know: a PyTorch habit such as
 * `weight_decay` for `weightDecay` would otherwise take the default without
 * a word.
 */
import { closestName, Tensor } from '@optnet/tensor';
import { NnError } from './errors.js';

/**
 * One entry per key an options type takes, so that a key added to the
 * type without one fails to compile.
 * @example
 * const KEYS: OptionKeys<SgdOptions> = { lr: 1, momentum: 1, ... };
 */
export type OptionKeys<T> = { readonly [K in keyof Required<T>]: 1 };

/**
 * Throw NnError BAD_OPTION for a key of `options` not in `known` (one set
 * to undefined counts as unset), naming `op`, the key, the closest known
 * key (snake_case and case ignored) and all of them; else return
 * `options`, so that a constructor can check them in its super call.
 * @example
 * checkOptionKeys('Adam', { weight_decay: 0.1 }, ADAM_KEYS); // throws: did you mean 'weightDecay'?
 */
export function checkOptionKeys<T extends object>(
  op: string,
  options: T,
  known: OptionKeys<T>,
): T {
  if (typeof options !== 'object' || options === null) return options;
  const names = Object.keys(known);
  for (const [key, value] of Object.entries(options)) {
    if (Object.hasOwn(known, key) || value === undefined) continue;
    const near = closestName(key, names);
    throw new NnError(
      'BAD_OPTION',
      `${op}: unknown option '${key}'; got ${key}: ${show(value)}.${near === null ? '' : ` Did you mean '${near}'?`} Known options: ${names.join(', ')}.`,
    );
  }
  return options;
}

/** A value as a message shows it: short, on one line. */
function show(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (v instanceof Tensor) return `a tensor [${v.shape.join(', ')}]`;
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'object' && v !== null) return 'an object';
  return String(v);
}
