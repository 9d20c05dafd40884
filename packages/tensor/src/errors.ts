/**
 * Typed errors. Every message follows `<op>: <rule>; got <values>. <hint>`
 * and every error carries a stable `code` that callers and tests can match.
 */
export type ErrorCode =
  | 'SHAPE_MISMATCH'
  | 'BAD_AXIS'
  | 'BAD_ARGUMENT'
  | 'DTYPE_MISMATCH'
  | 'DTYPE_UNSUPPORTED'
  | 'NON_FINITE'
  | 'NOT_POSITIVE_DEFINITE'
  | 'SINGULAR'
  | 'DISPOSED'
  | 'BACKEND_MISMATCH'
  | 'SYNC_READ_UNSUPPORTED'
  | 'NO_KERNEL'
  | 'NOT_DIFFERENTIABLE'
  | 'NO_AUTOGRAD';

/** Base class of every error this project throws on purpose. */
export class OptnetError<C extends string = ErrorCode> extends Error {
  readonly code: C;
  constructor(code: C, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Shapes that do not fit an op's rule, or an axis out of range. */
export class ShapeError extends OptnetError {}

/** A dtype an op does not accept, or inputs whose dtypes differ. */
export class DTypeError extends OptnetError {}

/** A value outside what the op accepts (NaN, a singular matrix, ...). */
export class ValueError extends OptnetError {}

/** Misuse of the runtime: a disposed tensor, a sync read on an async device. */
export class RuntimeError extends OptnetError {}

/** Lazily checked invariant: the message is built only on failure. */
export function assert(cond: boolean, msg: () => string): asserts cond {
  if (!cond) throw new Error(`internal invariant broken: ${msg()}`);
}
