/**
 * Assertions for op tests that run on any backend (no Node or uvu import,
 * so the GPU package and browsers can reuse them).
 */
import type { TypedArray } from '../dtype.js';
import type { ErrorCode } from '../errors.js';
import { Tensor, type NestedArray } from '../tensor.js';
import { FLOAT32_FLOOR, wideFloat } from './suite-dtype.js';

/**
 * A tensor, or plain values to compare with one.
 * @inline
 */
type Values = Tensor | TypedArray | NestedArray | readonly number[];

async function flat(v: Values): Promise<number[]> {
  if (v instanceof Tensor) return Array.from(await v.data());
  if (ArrayBuffer.isView(v)) return Array.from(v as TypedArray);
  if (Array.isArray(v)) return (v as unknown[]).flat(Infinity).map(Number);
  return [Number(v)];
}

/**
 * Tolerances (and an optional shape) of assertClose.
 * @example
 * const opts: CloseOptions = { rtol: 1e-4, atol: 1e-6, shape: [2] };
 * await assertClose(tensor([1, 2]), [1, 2.0001], opts);
 */
export interface CloseOptions {
  /** Relative tolerance (default 1e-6). */
  rtol?: number;
  /** Absolute tolerance (default 1e-9). */
  atol?: number;
  /** Also require this shape (when `actual` is a tensor). */
  shape?: readonly number[];
}

/**
 * |actual − expected| ≤ atol + rtol·|expected| elementwise; NaN matches NaN.
 * On a backend without float64 (a GPU), tolerances are at least
 * FLOAT32_FLOOR's: the cases state float64's. Throws an Error naming the
 * first value that differs.
 * @example
 * await assertClose(tensor([0, 1]).exp(), [1, Math.E], { rtol: 1e-6 });
 */
export async function assertClose(
  actual: Values,
  expected: Values,
  opts: CloseOptions = {},
): Promise<void> {
  let { rtol = 1e-6, atol = 1e-9 } = opts;
  if (wideFloat() === 'float32') {
    rtol = Math.max(rtol, FLOAT32_FLOOR.rtol);
    atol = Math.max(atol, FLOAT32_FLOOR.atol);
  }
  if (opts.shape && actual instanceof Tensor) {
    const got = actual.shape.join(',');
    if (got !== opts.shape.join(','))
      throw new Error(
        `shape: expected [${opts.shape.join(', ')}], got [${got}]`,
      );
  }
  const a = await flat(actual);
  const e = await flat(expected);
  if (a.length !== e.length)
    throw new Error(`length: expected ${e.length} values, got ${a.length}`);
  for (let i = 0; i < a.length; i++) {
    const bothNaN = Number.isNaN(a[i]) && Number.isNaN(e[i]);
    const ok =
      bothNaN ||
      a[i] === e[i] ||
      Math.abs(a[i] - e[i]) <= atol + rtol * Math.abs(e[i]);
    if (!ok)
      throw new Error(
        `value ${i}: expected ${e[i]}, got ${a[i]} (rtol ${rtol}, atol ${atol})`,
      );
  }
}

/**
 * Throws unless `fn` throws (or its promise rejects with) an error with
 * `code` whose message matches every pattern.
 * For tests of error paths: the code, and the words the message promises.
 * @example
 * await assertThrowsCode(
 *   async () => zeros([2]).item(), 'BAD_ARGUMENT', /exactly one element/,
 * );
 */
export async function assertThrowsCode(
  fn: () => unknown,
  code: ErrorCode | (string & {}),
  ...patterns: RegExp[]
): Promise<void> {
  try {
    await fn();
  } catch (e) {
    return checkError(e, code, patterns);
  }
  throw new Error(
    `expected an error with code ${code}, but nothing was thrown`,
  );
}

/**
 * assertThrowsCode for a synchronous `fn`, usable without `await`.
 * @example
 * assertThrowsCodeSync(() => zeros([2, 3]).reshape([4]), 'SHAPE_MISMATCH');
 */
export function assertThrowsCodeSync(
  fn: () => unknown,
  code: ErrorCode | (string & {}),
  ...patterns: RegExp[]
): void {
  try {
    fn();
  } catch (e) {
    return checkError(e, code, patterns);
  }
  throw new Error(
    `expected an error with code ${code}, but nothing was thrown`,
  );
}

function checkError(
  e: unknown,
  code: string,
  patterns: readonly RegExp[],
): void {
  const err = e as { code?: string; message?: string };
  if (err.code !== code)
    throw new Error(
      `expected error code ${code}, got ${err.code}: ${err.message}`,
    );
  for (const pattern of patterns) {
    if (!pattern.test(err.message ?? '')) {
      throw new Error(
        `error message ${JSON.stringify(err.message)} does not match ${pattern}`,
      );
    }
  }
}
