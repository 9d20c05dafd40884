/**
 * "Did you mean" hints in option and flag errors: @optnet/tensor's
 * closestName, and refuseUnknownKeys for an options object.
 */
import { closestName, ValueError } from '@optnet/tensor';

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
  for (const [key, value] of Object.entries(options)) {
    if (known.includes(key) || value === undefined) continue;
    const near = closestName(key, known);
    throw new ValueError(
      'BAD_ARGUMENT',
      `${op}: unknown option '${key}'; got ${key}: ${String(value)}.${near === null ? '' : ` Did you mean '${near}'?`} Known options: ${known.join(', ')}.`,
    );
  }
}
