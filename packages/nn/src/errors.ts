/**
 * NnError: failures of @optnet/nn with a stable `code`. Messages follow
 * `<op>: <rule>; got <values>. <hint>` (shapes and dtypes of tensors go
 * through @optnet/tensor's ShapeError / DTypeError instead).
 */
import { OptnetError } from '@optnet/tensor';

/**
 * The `code` of an NnError: what went wrong, for a program to test instead
 * of the message.
 * @example
 * const code: NnErrorCode = 'BAD_OPTION';
 * try {
 *   new Dropout(2); // p must be in [0, 1]
 * } catch (e) {
 *   if (e instanceof NnError && e.code === code) console.log(e.message);
 * }
 */
export type NnErrorCode =
  /** A layer or optimizer option out of range (names the option and value). */
  | 'BAD_OPTION'
  /**
   * A state dict (or checkpoint) whose names, shapes or dtypes do not fit the
   * module.
   */
  | 'STATE_MISMATCH'
  /**
   * A safetensors file that breaks the format (names the byte offset or key).
   */
  | 'SAFETENSORS_PARSE'
  /** An IDX file that breaks the format (names the byte offset). */
  | 'IDX_PARSE'
  /** A file that cannot be read or written (wraps the system error). */
  | 'FILE_ERROR'
  /**
   * A loss target out of range (a class index ≥ C, a negative index that is not
   * ignoreIndex).
   */
  | 'BAD_TARGET';

/**
 * Raised by modules, optimizers, checkpoints and data readers; its `code`
 * says which rule was broken and its message how to fix it.
 * @example
 * try {
 *   new Linear(0, 2);
 * } catch (e) {
 *   if (e instanceof NnError && e.code === 'BAD_OPTION') console.log(e);
 * }
 */
export class NnError extends OptnetError<NnErrorCode> {}
