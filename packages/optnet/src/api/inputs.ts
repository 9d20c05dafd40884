/**
 * The data arguments of qp / solveQp as callers pass them, made into the
 * solver's tensors: plain nested arrays of numbers are converted (with the
 * dtype and backend of the first tensor argument; see toInputs);
 * anything else is refused with a line naming the argument. Constraint
 * pairs with no rows (qpth's empty G [0, nz] or [nBatch, 0, nz], h [0],
 * or empty tensors for both) mean "no constraints of that kind".
 *
 * Glossary: Q p G h A b the data; nz nIneq nEq the sizes.
 */
import {
  getBackend,
  ShapeError,
  tensor,
  ValueError,
  zeros,
  type Backend,
  type DType,
  type NestedArray,
  type Tensor,
} from '@optnet/tensor';
import type { QpArg } from './types.js';
import type { QpInputs } from './validate.js';

/** The six arguments as given (Q and p required). */
export interface QpArgs {
  readonly Q: unknown;
  readonly p: unknown;
  readonly G: unknown;
  readonly h: unknown;
  readonly A: unknown;
  readonly b: unknown;
}

function isTensor(v: unknown): v is Tensor {
  return (
    typeof v === 'object' &&
    v !== null &&
    (v as { isTensor?: unknown }).isTensor === true
  );
}

function isArrayData(v: unknown): v is Exclude<QpArg, Tensor> {
  return (
    Array.isArray(v) || v instanceof Float64Array || v instanceof Float32Array
  );
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'object') return `an object (${v.constructor?.name})`;
  if (typeof v === 'string') return `the string '${v}'`;
  return `${typeof v} ${String(v)}`;
}

/**
 * One argument as a tensor; null stays null where allowed. A matrix given
 * as `[]`, or as an empty tensor of rank 1 (qpth's `torch.Tensor()`), has
 * no rows: [0, nz].
 */
function toTensor(
  op: string,
  name: string,
  v: unknown,
  { dtype, backend }: { dtype: DType; backend: Backend },
  nz: number | null,
): Tensor | null {
  if (isTensor(v))
    return nz !== null && v.rank === 1 && v.size === 0 ? v.reshape([0, nz]) : v;
  if ((v === null || v === undefined) && name !== 'Q' && name !== 'p')
    return null;
  if (!isArrayData(v)) {
    throw new ValueError(
      'BAD_ARGUMENT',
      `${op}: ${name} must be a Tensor or a nested array of numbers; got ${describe(v)}. Pass tensor(...) or an array such as [[2, 0], [0, 2]].`,
    );
  }
  if (nz !== null && Array.isArray(v) && v.length === 0)
    return zeros([0, nz], { dtype, backend });
  try {
    return tensor(v as NestedArray, { dtype, backend });
  } catch (e) {
    if (!(e instanceof ShapeError)) throw e;
    const why = e.message.replace(/^tensor: /, '');
    throw new ShapeError(e.code, `${op}: ${name} as an array: ${why}`);
  }
}

/**
 * The arguments as tensors: arrays converted with the dtype and backend of
 * the first tensor among them (when there is none: the current backend,
 * in float64 where it holds it, else float32).
 * @example
 * toInputs('qp', { Q: [[2, 0], [0, 2]], p: [1, 1], G: null, h: null,
 *   A: null, b: null }); // float64 tensors
 */
export function toInputs(op: string, args: QpArgs): QpInputs {
  const all = [args.Q, args.p, args.G, args.h, args.A, args.b];
  const first = all.find(isTensor);
  const backend = first?.backend ?? getBackend();
  const dtype =
    first?.dtype ??
    (backend.dtypes.includes('float64') ? 'float64' : 'float32');
  const like = { dtype, backend };
  const Q = toTensor(op, 'Q', args.Q, like, null)!;
  const nz = Q.rank === 2 || Q.rank === 3 ? Q.shape[Q.rank - 1] : null;
  return {
    Q,
    p: toTensor(op, 'p', args.p, like, null)!,
    G: toTensor(op, 'G', args.G, like, nz),
    h: toTensor(op, 'h', args.h, like, null),
    A: toTensor(op, 'A', args.A, like, nz),
    b: toTensor(op, 'b', args.b, like, null),
  };
}

const noRows = (m: Tensor | null): boolean =>
  m !== null && m.shape[m.rank - 2] === 0;

/**
 * The problem the solver sees: a pair (G, h) or (A, b) without rows is
 * dropped, so the result is exactly that of passing null. Call after
 * checkShapes, which checks the empty pairs like any other.
 * @example
 * dropEmpty({ Q, p, G: zeros([0, 3]), h: zeros([0]), A: null, b: null });
 * // → G and h null
 */
export function dropEmpty(x: QpInputs): QpInputs {
  const ineq = noRows(x.G) ? { G: null, h: null } : {};
  const eq = noRows(x.A) ? { A: null, b: null } : {};
  return { ...x, ...ineq, ...eq };
}
