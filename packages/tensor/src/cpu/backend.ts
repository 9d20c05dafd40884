/**
 * The CPU backend, the reference every other backend is tested against:
 * buffers are typed arrays (recycled through cpu/pools.ts), kernels are
 * the ops' reference kernels (`op.cpu`), split over worker threads when
 * '@optnet/tensor/threads' installed a runner. A data-dependent failure
 * (not positive definite, singular, ...) is thrown from the op itself:
 * this backend reads synchronously, so it is never behind the caller.
 */
import type { Backend, BackendTensor } from '../backend.js';
import { DTYPES, type DType, type TypedArray } from '../dtype.js';
import type { CpuTensor, KernelOp, TensorMeta } from '../op.js';
import { cpuBatchOf, cpuKernelOf } from './kernels.js';
import { forgetFinite, markFinite } from './known-finite.js';
import {
  addHolder,
  allocShared,
  clearSharedPool,
  dropHolder,
  releasePlain,
  isShared,
  releaseShared,
  takePlain,
} from './pools.js';
import { forgetMirror } from './wasm/runtime.js';

/**
 * A way to run a kernel's `cpuBatch` split over threads (installed by
 * `useCpuThreads` from '@optnet/tensor/threads'). `run` returns false to
 * decline (the caller then runs `op.cpu` on its own thread).
 */
export interface CpuParallel {
  /** Calls whose `cpuBatch.cost` is below this stay on one thread. */
  readonly minCost: number;
  run<A>(
    op: KernelOp<A>,
    inputs: readonly CpuTensor[],
    outputs: readonly CpuTensor[],
    attrs: A,
  ): boolean;
}

let parallel: CpuParallel | null = null;

/**
 * Buffers of at least this many elements are shared when threads are on.
 * Smaller ones stay plain: a split call copies such inputs into shared
 * memory and writes such outputs through a shared temporary (cheap at
 * this size), while plain memory is faster to make, zero and use for all
 * the calls that are not split (the QP solver at nz 10 ran ~12% slower
 * with its [128, 10, 10] matrices shared). Equal to the thread runner's
 * largest input copy.
 */
const SHARED_MIN_SIZE = 1 << 16;

/**
 * Install (or remove, with null) the thread runner of every CpuBackend.
 * While one is installed, `allocate` hands out SharedArrayBuffer-backed
 * arrays so other threads can write the outputs in place.
 * @example setCpuParallel(null); // back to one thread
 */
export function setCpuParallel(p: CpuParallel | null): void {
  parallel = p;
  if (p === null) clearSharedPool();
}

/** The installed thread runner, if any. */
export function getCpuParallel(): CpuParallel | null {
  return parallel;
}

/**
 * Whether the CPU backend would split a call of `op` on these shapes over
 * worker threads (threads on, the op splittable, the call big enough). A
 * package with a fused kernel of its own (which workers do not know) can
 * use it to run the splittable primitives instead where that pays.
 * @example
 * if (cpuWouldSplit(primitives.cholesky, [a], [a], {})) return cholesky(a);
 */
export function cpuWouldSplit<A>(
  op: KernelOp<A>,
  inputs: readonly TensorMeta[],
  outputs: readonly TensorMeta[],
  attrs: A,
): boolean {
  const p = parallel;
  const cost = cpuBatchOf(op)?.cost;
  return (
    p !== null &&
    cost !== undefined &&
    cost(inputs, outputs, attrs) >= p.minCost
  );
}

/**
 * Whether a kernel call should go to the thread runner: splittable and big
 * enough (see MIN_PARALLEL_COST).
 */
function worthSplitting<A>(
  op: KernelOp<A>,
  p: CpuParallel,
  ins: readonly CpuTensor[],
  outs: readonly CpuTensor[],
  attrs: A,
): boolean {
  const batch = cpuBatchOf(op);
  if (batch === undefined || batch.cost === undefined) return false;
  return batch.cost(ins, outs, attrs) >= p.minCost;
}

/**
 * The CPU backend: buffers are typed arrays, kernels are `op.cpu`. It holds
 * every dtype and reads synchronously.
 * @example setBackend(new CpuBackend());
 */
export class CpuBackend implements Backend {
  readonly name: string = 'cpu';
  readonly dtypes: readonly DType[] = DTYPES;
  readonly canReadSync: boolean = true;

  allocate(dtype: DType, size: number, zero: boolean = true): TypedArray {
    if (parallel === null || size < SHARED_MIN_SIZE)
      return takePlain(dtype, size, zero);
    return allocShared(dtype, size);
  }

  free(buffer: unknown): void {
    // Garbage-collected, so dropping the reference would be enough; but
    // reusing disposed arrays is ~15x cheaper than allocating fresh ones
    // (see releasePlain), and shared buffers must be reused (releaseShared).
    // An array several tensors hold (share) is recycled by the last free.
    const data = buffer as TypedArray;
    if (!dropHolder(data)) return;
    forgetFinite(data);
    forgetMirror(data);
    if (isShared(data)) releaseShared(data);
    else releasePlain(data);
  }

  /**
   * The same array: tensors never write their buffers after the kernel that
   * made them.
   */
  share(buffer: unknown): TypedArray {
    addHolder(buffer as TypedArray);
    return buffer as TypedArray;
  }

  write(buffer: unknown, data: TypedArray): void {
    forgetFinite(buffer as TypedArray);
    forgetMirror(buffer as TypedArray);
    (buffer as TypedArray).set(data);
  }

  read(buffer: unknown, dtype: DType, size: number): Promise<TypedArray> {
    return Promise.resolve(this.readSync(buffer, dtype, size));
  }

  readSync(buffer: unknown, _dtype: DType, _size: number): TypedArray {
    return (buffer as TypedArray).slice();
  }

  view(buffer: unknown, _dtype: DType, _size: number): TypedArray {
    return buffer as TypedArray;
  }

  run<A>(
    op: KernelOp<A>,
    inputs: readonly BackendTensor[],
    outputs: readonly BackendTensor[],
    attrs: A,
  ): void {
    const cpuIn = inputs.map((t) => ({
      data: t.buffer as TypedArray,
      shape: t.shape,
      dtype: t.dtype,
    }));
    const cpuOut = outputs.map((t) => ({
      data: t.buffer as TypedArray,
      shape: t.shape,
      dtype: t.dtype,
    }));
    const p = parallel;
    if (!(
      p !== null &&
      worthSplitting(op, p, cpuIn, cpuOut, attrs) &&
      p.run(op, cpuIn, cpuOut, attrs)
    )) {
      cpuKernelOf(op)(cpuIn, cpuOut, attrs);
    }
    if (op.finiteOutputs === true) for (const t of cpuOut) markFinite(t.data);
  }
}
