/**
 * Refusing option keys a function does not know: a PyTorch habit such as
 * `weight_decay` for `weightDecay` would otherwise take the default without
 * a word. The message is @optnet/tensor's `unknownOptionMessage`.
 */
import { unknownOptionMessage, type OptionKeys } from '@optnet/tensor';
import { NnError } from './errors.js';

/**
 * Throw NnError BAD_OPTION for a key of `options` not in `known` (see
 * `unknownOptionMessage`); else return `options`, so that a constructor
 * can check them in its super call.
 * @example
 * checkOptionKeys('Adam', { weight_decay: 0.1 }, ADAM_KEYS); // throws: did you mean 'weightDecay'?
 */
export function checkOptionKeys<T extends object>(
  op: string,
  options: T,
  known: OptionKeys<T>,
): T {
  if (typeof options !== 'object' || options === null) return options;
  const message = unknownOptionMessage(op, options, Object.keys(known));
  if (message !== null) throw new NnError('BAD_OPTION', message);
  return options;
}
