/**
 * Typed errors. Every message follows `<op>: <rule>; got <values>. <hint>`
 * and every error carries a stable `code` that callers and tests can match.
 */
/**
 * The `code` of a tensor error: which rule was broken, for a program to
 * test instead of the message.
 * @example
 * const code: ErrorCode = 'SHAPE_MISMATCH';
 * try {
 *   tensor([1, 2]).add(tensor([1, 2, 3]));
 * } catch (e) {
 *   if (e instanceof OptnetError && e.code === code) console.log(e.message);
 * }
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
  | 'MODIFIED_IN_PLACE'
  | 'NO_AUTOGRAD';

/**
 * Base class of every error this project throws on purpose (the other
 * packages' QpError and NnError too): catch it to tell our errors from
 * bugs. Messages follow `<op>: <rule>; got <values>. <hint>`.
 * @example
 * try {
 *   zeros([2]).itemSync();
 * } catch (e) {
 *   if (e instanceof OptnetError) console.log(e.code); // 'BAD_ARGUMENT'
 * }
 */
export class OptnetError<C extends string = ErrorCode> extends Error {
  /** Which rule was broken (stable; tests match it, not the message). */
  readonly code: C;
  constructor(code: C, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * Shapes that do not fit an op's rule, or an axis out of range.
 * @example
 * try {
 *   zeros([2, 3]).matmul(zeros([2, 3]));
 * } catch (e) {
 *   e instanceof ShapeError; // true: inner sizes 3 and 2 differ
 * }
 */
export class ShapeError extends OptnetError {}

/**
 * A dtype an op does not accept, or inputs whose dtypes differ (there is
 * no implicit promotion).
 * @example
 * try {
 *   zeros([2]).add(zeros([2], { dtype: 'float64' }));
 * } catch (e) {
 *   e instanceof DTypeError; // true: cast one side first
 * }
 */
export class DTypeError extends OptnetError {}

/**
 * A value outside what the op accepts (NaN, a singular matrix, ...).
 * @example
 * try {
 *   cholesky(tensor([[-1]]));
 * } catch (e) {
 *   e instanceof ValueError; // true: NOT_POSITIVE_DEFINITE
 * }
 */
export class ValueError extends OptnetError {}

/**
 * Misuse of the runtime: a disposed tensor, a sync read on an async
 * device.
 * @example
 * const t = ones([2]);
 * t.dispose();
 * try {
 *   t.dataSync();
 * } catch (e) {
 *   e instanceof RuntimeError; // true: DISPOSED
 * }
 */
export class RuntimeError extends OptnetError {}

/** Lazily checked invariant: the message is built only on failure. */
export function assert(cond: boolean, msg: () => string): asserts cond {
  if (!cond) throw new Error(`internal invariant broken: ${msg()}`);
}
