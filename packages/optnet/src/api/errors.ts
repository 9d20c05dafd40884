/**
 * QpError: every failure of the QP layer, with a stable `code`.
 * Messages follow `<op>: <rule>; got <values>. <hint>`.
 */
import { OptnetError } from '@optnet/tensor';

/**
 * The `code` of a QpError: what went wrong, for a program to test instead
 * of the message.
 * @example
 * const code: QpErrorCode = 'Q_NOT_PSD';
 * try {
 *   qp([[-1]], [0], null, null, null, null);
 * } catch (e) {
 *   if (e instanceof QpError && e.code === code) console.log(e.message);
 * }
 */
export type QpErrorCode =
  /** Q is not symmetric (names the batch item and the worst entry). */
  | 'Q_NOT_SYMMETRIC'
  /** Q has a negative eigenvalue beyond round-off (names the batch item). */
  | 'Q_NOT_PSD'
  /** Some batch items ended with a status other than `solved`. */
  | 'QP_NOT_SOLVED'
  /** A QPS file that does not follow the format (names the line). */
  | 'QPS_PARSE'
  /** A QPS feature this reader does not support (integer columns, ...). */
  | 'QPS_UNSUPPORTED'
  /** An option qp or solveQp does not know, or a value it does not accept. */
  | 'BAD_OPTION'
  /** Data that breaks the structure the caller declared (`structure`). */
  | 'BAD_STRUCTURE';

/**
 * Raised by qp, solveQp, OptNetLayer and the QPS reader; its `code` says
 * which rule was broken, and its message how to fix it.
 * @example
 * try {
 *   // z ≤ −1 and z ≥ 1: infeasible
 *   qp([[1]], [0], [[1], [-1]], [-1, -1], null, null);
 * } catch (e) {
 *   if (e instanceof QpError) console.log(e.code); // 'QP_NOT_SOLVED'
 * }
 */
export class QpError extends OptnetError<QpErrorCode> {}
