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

/** Shape and dtype of a tensor, without its data. */
export interface TensorMeta {
  readonly shape: Shape;
  readonly dtype: DType;
}

/** A tensor as a CPU kernel sees it: contiguous row-major data. */
export interface CpuTensor extends TensorMeta {
  readonly data: TypedArray;
}

/** A primitive with a kernel on every backend. */
export interface KernelOp<A = unknown> {
  readonly kind: 'kernel';
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

/** Result of a custom primitive's forward. */
export interface CustomForward {
  readonly outputs: Tensor[];
  /** Whatever the backward needs (the JAX custom_vjp contract). */
  readonly residuals: unknown;
}

/** A primitive whose forward is written in other primitives. */
export interface CustomOp<A = unknown> {
  readonly kind: 'custom';
  readonly name: string;
  forward(inputs: readonly Tensor[], attrs: A): CustomForward;
}

export type Primitive<A = unknown> = KernelOp<A> | CustomOp<A>;

/** Attributes of a primitive, recovered from its definition. */
export type AttrsOf<P> =
  P extends KernelOp<infer A> ? A : P extends CustomOp<infer A> ? A : never;

/**
 * Define a kernel primitive.
 * @example
 * const twice = defineOp<{}>({ name: 'twice',
 *   shape: ([x]) => [x],
 *   cpu: ([x], [y]) => { for (let i = 0; i < x.data.length; i++) y.data[i] = 2 * x.data[i]; } });
 */
export function defineOp<A>(def: Omit<KernelOp<A>, 'kind'>): KernelOp<A> {
  return { kind: 'kernel', ...def };
}
