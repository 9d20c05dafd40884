/**
 * QpError: every failure of the QP layer, with a stable `code`.
 * Messages follow `<op>: <rule>; got <values>. <hint>`.
 */
import { OptnetError } from '@optnet/tensor';

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

/** Raised by qp, solveQp, OptNetLayer and the QPS reader. */
export class QpError extends OptnetError<QpErrorCode> {}
