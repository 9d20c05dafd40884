/**
 * What a primitive is. A kernel primitive is defined once with `defineOp`:
 * its name, a shape/dtype rule that validates inputs and names the op in
 * every error, and its CPU kernel, the executable specification that every
 * other backend is tested against. A custom primitive (see autograd's
 * `definePrimitive`) is a forward written in other primitives instead.
 */
import type { DType, TypedArray } from './dtype.js';
import type { ErrorCode, OptnetError } from './errors.js';
import type { Shape } from './shape.js';
import type { Tensor } from './tensor.js';

/**
 * Shape and dtype of a tensor, without its data: what an op's `shape`
 * rule receives and returns.
 * @example
 * const meta: TensorMeta = { shape: [2, 3], dtype: 'float32' };
 */
export interface TensorMeta {
  /** The tensor's shape. */
  readonly shape: Shape;
  /** The tensor's dtype. */
  readonly dtype: DType;
}

/**
 * A tensor as a CPU kernel sees it: contiguous row-major data.
 * @example
 * const x: CpuTensor = {
 *   shape: [2], dtype: 'float32', data: new Float32Array([1, 2]),
 * };
 */
export interface CpuTensor extends TensorMeta {
  /** The elements, row-major, `sizeOf(shape)` of them. */
  readonly data: TypedArray;
}

/**
 * A primitive with a kernel on every backend: what `defineOp` makes, and
 * `apply` runs.
 * @example
 * const negate: KernelOp<{}> = defineOp<{}>({
 *   name: 'negate',
 *   shape: ([x]) => [x],
 *   cpu: ([x], [y]) => y.data.set(x.data.map((v) => -v)),
 * });
 */
export interface KernelOp<A = unknown> {
  /** Tells a kernel primitive from a custom one. */
  readonly kind: 'kernel';
  /** The op's name, in errors and graph nodes. */
  readonly name: string;
  /** Output shapes and dtypes; throws ShapeError/DTypeError naming the op. */
  shape(inputs: readonly TensorMeta[], attrs: A): TensorMeta[];
  /** Reference kernel: fill `outputs` (zero-filled, preallocated). */
  cpu(
    inputs: readonly CpuTensor[],
    outputs: readonly CpuTensor[],
    attrs: A,
  ): void;
  /**
   * The CPU kernel split by output batch item, so threads can share a call (see
   * CpuBatch).
   */
  readonly cpuBatch?: CpuBatch<A>;
  /**
   * The single output has exactly the bytes of input `aliasOf` (reshape):
   * on a backend with `share`, the output takes a shared reference to that
   * buffer instead of running the kernel (no copy).
   */
  readonly aliasOf?: number;
  /**
   * A run that returns (does not throw) leaves every output finite (a
   * Cholesky factor: its pivots are checked), so the CPU backend records
   * the outputs as known finite and solves skip their input scan.
   */
  readonly finiteOutputs?: boolean;
  /**
   * Its CPU kernel writes every element of every output, on every path
   * (fallbacks included), so the CPU backend may hand it recycled memory
   * without zero-filling it first. Large outputs that a kernel overwrites
   * whole (the QP solver's per-iteration factors) were zero-filled for
   * nothing.
   */
  readonly fillsOutputs?: boolean;
  /**
   * The error for a failure a kernel recorded (see KernelFailure), worded
   * as the reference kernel throws it: a device backend calls it when it
   * finds a failure in its status buffer. Ops whose kernels cannot fail on
   * their values have none.
   */
  readonly failure?: (
    failure: KernelFailure,
    inputs: readonly TensorMeta[],
    attrs: A,
  ) => OptnetError;
  /**
   * The same outputs written in other primitives, for a backend without a
   * kernel for this op (`Backend.hasKernel`): a fused kernel outside the
   * core set (the QP solver's step length) still runs everywhere.
   */
  readonly decompose?: (inputs: readonly Tensor[], attrs: A) => Tensor[];
}

/**
 * A failure that depends on the values, as a kernel records it: plain
 * numbers, so that a kernel on a device, which cannot throw, can write one
 * into a status buffer (the lowest index wins, as the reference kernel's
 * first failure does). Its backend raises `op.failure(record)` at the next
 * read; the CPU backend throws the same error from the op.
 * @example
 * // What a device's cholesky writes when batch item 7 fails at pivot 3:
 * const f: KernelFailure = {
 *   code: 'NOT_POSITIVE_DEFINITE', input: 0, index: 7, pivot: 3, value: -1.2e-3,
 * };
 */
export interface KernelFailure {
  /**
   * NOT_POSITIVE_DEFINITE, SINGULAR, NON_FINITE or BAD_ARGUMENT (an index
   * out of range).
   */
  readonly code: ErrorCode;
  /** The input it concerns (NON_FINITE, an index); 0 otherwise. */
  readonly input: number;
  /**
   * The batch item (a factorization), or the flat element index into that
   * input (NON_FINITE, an index).
   */
  readonly index: number;
  /** The pivot that failed (a factorization); 0 otherwise. */
  readonly pivot: number;
  /** The value found: the pivot, the entry or the index. */
  readonly value: number;
}

/**
 * A CPU kernel whose output is a batch of independent items (matrices): the
 * kernel restricted to items [start, end) reads any part of the inputs but
 * writes only those items, so disjoint ranges can run on different threads
 * and give the same bits as one run over everything. Errors must not depend
 * on the split: a failing item names its global index, and whole-input
 * checks (NON_FINITE) name the first bad entry of the whole input.
 * @example
 * // rows of a [n, m] output, one item per row
 * const rowsOf: CpuBatch<{}> = {
 *   items: (_in, [y]) => y.shape[0],
 *   run: ([x], [y], _a, start, end) => {
 *     const m = y.shape[1];
 *     for (let i = start * m; i < end * m; i++) y.data[i] = 2 * x.data[i];
 *   },
 * };
 */
export interface CpuBatch<A> {
  /** Number of output batch items (the unit of splitting). */
  items(
    inputs: readonly TensorMeta[],
    outputs: readonly TensorMeta[],
    attrs: A,
  ): number;
  /** The kernel for output items [start, end) only. */
  run(
    inputs: readonly CpuTensor[],
    outputs: readonly CpuTensor[],
    attrs: A,
    start: number,
    end: number,
  ): void;
  /** Rough flop count of the whole call, so small work stays on one thread. */
  cost?(
    inputs: readonly TensorMeta[],
    outputs: readonly TensorMeta[],
    attrs: A,
  ): number;
}

/**
 * The whole-call kernel of a batch kernel: every item, on this thread.
 * @example defineOp({ name, shape, cpuBatch: batch, cpu: runAll(batch) })
 */
export function runAll<A>(batch: CpuBatch<A>): KernelOp<A>['cpu'] {
  return (inputs, outputs, attrs) =>
    batch.run(inputs, outputs, attrs, 0, batch.items(inputs, outputs, attrs));
}

/**
 * Result of a custom primitive's forward.
 * @example
 * const out: CustomForward = { outputs: [ones([2])], residuals: null };
 */
export interface CustomForward {
  /** The primitive's outputs (new tensors). */
  readonly outputs: Tensor[];
  /** Whatever the backward needs (the JAX custom_vjp contract). */
  readonly residuals: unknown;
}

/**
 * A primitive whose forward is written in other primitives (autograd's
 * `definePrimitive` makes them, with their VJP).
 * @example
 * const twice: CustomOp<{}> = {
 *   kind: 'custom',
 *   name: 'twice',
 *   forward: ([x]) => ({ outputs: [x.mul(2)], residuals: null }),
 * };
 * apply(twice, [tensor([1, 2])], {}); // [[2, 4]]
 */
export interface CustomOp<A = unknown> {
  /** Tells a custom primitive from a kernel one. */
  readonly kind: 'custom';
  /** The op's name, in errors and graph nodes. */
  readonly name: string;
  /** The outputs, computed with other primitives, and the residuals. */
  forward(inputs: readonly Tensor[], attrs: A): CustomForward;
}

/**
 * Any primitive: a kernel op or a custom op, what `apply` runs and graph
 * nodes record.
 * @example
 * const p: Primitive<NoAttrs> = primitives.exp;
 * p.kind; // 'kernel'
 */
export type Primitive<A = unknown> = KernelOp<A> | CustomOp<A>;

/**
 * Attributes of a primitive, recovered from its definition: types a table
 * keyed by primitive (autograd's VJP rules).
 * @example
 * type SumAttrs = AttrsOf<Primitives['sum']>; // ReduceAttrs
 * const attrs: SumAttrs = { axes: [0], keepdims: false };
 */
export type AttrsOf<P> =
  P extends KernelOp<infer A> ? A : P extends CustomOp<infer A> ? A : never;

/**
 * Define a kernel primitive: a shape rule that validates the inputs, and
 * the CPU reference kernel. Run it with `apply`; give it a VJP rule (in
 * autograd) to differentiate it.
 * @example
 * const twice = defineOp<{}>({
 *   name: 'twice',
 *   shape: ([x]) => [x],
 *   cpu: ([x], [y]) => {
 *     for (let i = 0; i < x.data.length; i++) y.data[i] = 2 * x.data[i];
 *   },
 * });
 * const [y] = apply(twice, [tensor([1, 2])], {}); // [2, 4]
 */
export function defineOp<A>(def: Omit<KernelOp<A>, 'kind'>): KernelOp<A> {
  return { kind: 'kernel', ...def };
}
