/**
 * "Did you mean" hints in option and flag errors: @optnet/tensor's
 * closestName, and refuseUnknownKeys for an options object.
 */
import { closestName, unknownOptionMessage, ValueError } from '@optnet/tensor';

export { closestName };

/**
 * Throw ValueError BAD_ARGUMENT for a key of `options` that is not in
 * `known` (one set to undefined counts as unset), naming `op`, the key,
 * the closest known one and all of them: a misspelt option would
 * otherwise take its default without a word.
 * @example
 * refuseUnknownKeys('OptNetLayer', { nEqs: 2 }, ['nz', 'nEq']); // throws: did you mean 'nEq'?
 */
export function refuseUnknownKeys(
  op: string,
  options: object,
  known: readonly string[],
): void {
  const message = unknownOptionMessage(op, options, known);
  if (message !== null) throw new ValueError('BAD_ARGUMENT', message);
}
