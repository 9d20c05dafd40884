/**
 * The Backend interface: small, and made for an asynchronous device.
 * A backend owns opaque buffers; it can allocate, free, write, read
 * (asynchronously; synchronously only where it says so) and run a kernel
 * primitive on buffers it owns. The CPU backend is the reference.
 */
import {
  allocArray,
  arrayView,
  bytesPerElement,
  dtypeOfArray,
  type DType,
  type TypedArray,
} from './dtype.js';
import type { CpuTensor, KernelOp, TensorMeta } from './op.js';
import { RuntimeError } from './errors.js';
import { forgetFinite, markFinite } from './known-finite.js';
import { forgetMirror } from './wasm/runtime.js';

/**
 * A buffer with its meaning, as handed to `Backend.run`.
 * @example
 * const be = getBackend();
 * const t: BackendTensor = {
 *   buffer: be.allocate('float32', 4), shape: [2, 2], dtype: 'float32',
 * };
 */
export interface BackendTensor extends TensorMeta {
  /** The backend's own storage (a typed array on the CPU). */
  readonly buffer: unknown;
}

/**
 * A device tensors live on: implement it to run the ops somewhere else
 * (the CPU backend is the reference). Only `run` computes: everything else
 * moves memory.
 * @example
 * const be: Backend = getBackend();
 * be.name; // 'cpu'
 */
export interface Backend {
  /** Short name, in error messages ('cpu', 'webgpu'). */
  readonly name: string;
  /** True when `readSync` works (CPU); async devices say false. */
  readonly canReadSync: boolean;
  /** Zero-filled storage for `size` elements of `dtype`. */
  allocate(dtype: DType, size: number): unknown;
  /** Release a buffer now (a GPU buffer is never garbage-collected). */
  free(buffer: unknown): void;
  /** Fill a buffer from a host array of its dtype (allocArray's type). */
  write(buffer: unknown, data: TypedArray): void;
  /** A copy of the buffer as a host array of `dtype`. */
  read(buffer: unknown, dtype: DType, size: number): Promise<TypedArray>;
  /** `read`, synchronously: only where `canReadSync` is true. */
  readSync(buffer: unknown, dtype: DType, size: number): TypedArray;
  /**
   * Optional: the same buffer, for a second tensor to hold (a reshape). A
   * backend that offers it must keep the memory alive until every holder
   * has freed it, and must never recycle it while one holds it.
   */
  share?(buffer: unknown): unknown;
  /**
   * Optional: whether this backend has a kernel for `op`. When it says no,
   * `apply` runs the op's `decompose` instead (absent: every op is run).
   */
  hasKernel?(op: KernelOp<unknown>): boolean;
  /** Run `op`'s kernel: read `inputs`, fill the zero-filled `outputs`. */
  run<A>(
    op: KernelOp<A>,
    inputs: readonly BackendTensor[],
    outputs: readonly BackendTensor[],
    attrs: A,
  ): void;
}

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
  if (p === null) {
    sharedPool.clear();
    pooledBytes = 0;
  }
}

/**
 * Shared buffers released by `dispose` (or a `scope`), by byte length, for
 * reuse. A fresh large SharedArrayBuffer is fresh mmap'd memory: every page
 * faults on first write, and the unmap after GC flushes the TLBs of every
 * thread (~4 ms per 10 MB here, about a cholesky's own time), while plain
 * ArrayBuffers get recycled by malloc. Tensors that are only dropped are
 * left to the GC: recycling them through a FinalizationRegistry would hold
 * every dropped buffer until the event loop turns, which a synchronous
 * solver loop never lets happen (memory grew to gigabytes).
 */
const sharedPool = new Map<number, SharedArrayBuffer[]>();
/**
 * Buffers smaller than this are left to the GC; the pool holds at most
 * POOL_MAX_BYTES.
 */
const POOL_MIN_BYTES = 1 << 16;
const POOL_MAX_BYTES = 1 << 28;
let pooledBytes = 0;

function takeShared(bytes: number): SharedArrayBuffer {
  const list = sharedPool.get(bytes);
  const sab = list?.pop();
  if (sab === undefined) return new SharedArrayBuffer(bytes);
  pooledBytes -= bytes;
  // Zero-filled like a fresh allocation. Builtins on shared memory copy
  // element by element, so fill with the widest elements (~6x a byte fill).
  if (bytes % 8 === 0) new Float64Array(sab).fill(0);
  else new Uint8Array(sab).fill(0);
  return sab;
}

/**
 * `dispose` of a whole shared array: its memory goes to the pool (the
 * tensor no longer uses it). Also used by the thread runner for its
 * temporary outputs.
 */
export function releaseShared(data: TypedArray): void {
  const sab = data.buffer;
  const bytes = sab.byteLength;
  if (
    !(sab instanceof SharedArrayBuffer) ||
    bytes < POOL_MIN_BYTES ||
    pooledBytes + bytes > POOL_MAX_BYTES
  )
    return;
  if (data.byteOffset !== 0 || data.byteLength !== bytes) return;
  const list = sharedPool.get(bytes);
  if (list === undefined) sharedPool.set(bytes, [sab]);
  else if (!list.includes(sab)) list.push(sab);
  else return;
  pooledBytes += bytes;
}

/**
 * Arrays held by more than one tensor (reshapes), with the number of
 * holders beyond the first. A free by one holder only drops the count;
 * the holder that frees it last recycles it. A holder that is dropped
 * without a free never brings the count down, so such an array is left
 * to the GC, never recycled under a live tensor.
 */
const extraHolders = new WeakMap<TypedArray, number>();

/**
 * Plain arrays released by `dispose`, by dtype and length. A fresh typed
 * array costs ~2 µs at 10 KB (backing-store allocation, external-memory
 * accounting, later GC) against ~0.15 µs to zero a recycled one; solvers
 * that scope their iterations allocate thousands of such arrays per call.
 * Only disposed arrays come here (a tensor's buffer is never handed out:
 * reads copy), so reuse cannot alias live data.
 */
const plainPool = new Map<string, TypedArray[]>();
/** What is in plainPool, so a second free of one array cannot pool it twice. */
const inPlainPool = new WeakSet<TypedArray>();
const PLAIN_MIN_SIZE = 64;
/** A solver step disposes a few hundred [nBatch, n] arrays at once. */
const PLAIN_MAX_PER_KEY = 256;
const PLAIN_MAX_BYTES = 1 << 26;
let plainBytes = 0;

function takePlain(dtype: DType, size: number): TypedArray {
  if (size < PLAIN_MIN_SIZE) return allocArray(dtype, size);
  const a = plainPool.get(`${dtype}${size}`)?.pop();
  if (a === undefined) return allocArray(dtype, size);
  inPlainPool.delete(a);
  plainBytes -= a.byteLength;
  return a.fill(0);
}

function releasePlain(data: TypedArray): void {
  const bytes = data.byteLength;
  if (data.length < PLAIN_MIN_SIZE || plainBytes + bytes > PLAIN_MAX_BYTES)
    return;
  if (
    data.byteOffset !== 0 ||
    data.buffer.byteLength !== bytes ||
    inPlainPool.has(data)
  )
    return;
  const key = `${dtypeOfArray(data)}${data.length}`;
  const list = plainPool.get(key);
  if (list === undefined) plainPool.set(key, [data]);
  else if (list.length >= PLAIN_MAX_PER_KEY) return;
  else list.push(data);
  inPlainPool.add(data);
  plainBytes += bytes;
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
 * const a = { shape: [64, 50, 50], dtype: 'float64' } as const;
 * cpuWouldSplit(primitives.cholesky, [a], [a], {}); // true with threads on
 */
export function cpuWouldSplit<A>(
  op: KernelOp<A>,
  inputs: readonly TensorMeta[],
  outputs: readonly TensorMeta[],
  attrs: A,
): boolean {
  const p = parallel;
  const cost = op.cpuBatch?.cost;
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
  const batch = op.cpuBatch;
  if (batch === undefined || batch.cost === undefined) return false;
  return batch.cost(ins, outs, attrs) >= p.minCost;
}

/**
 * The CPU backend: buffers are typed arrays, kernels are `op.cpu` (with
 * WebAssembly SIMD and worker threads where they pay). The default one;
 * make another to return to the CPU after `setBackend`.
 * @example
 * setBackend(new CpuBackend());
 * zeros([2]).backend.name; // 'cpu'
 */
export class CpuBackend implements Backend {
  /** 'cpu'. */
  readonly name: string = 'cpu';
  /** True: reads can be synchronous. */
  readonly canReadSync: boolean = true;

  allocate(dtype: DType, size: number): TypedArray {
    if (parallel === null || size < SHARED_MIN_SIZE)
      return takePlain(dtype, size);
    return allocShared(dtype, size);
  }

  free(buffer: unknown): void {
    // Garbage-collected, so dropping the reference would be enough; but
    // reusing disposed arrays is ~15x cheaper than allocating fresh ones
    // (see releasePlain), and shared buffers must be reused (releaseShared).
    // An array several tensors hold (share) is recycled by the last free.
    const data = buffer as TypedArray;
    const extra = extraHolders.get(data);
    if (extra !== undefined) {
      if (extra > 1) extraHolders.set(data, extra - 1);
      else extraHolders.delete(data);
      return;
    }
    forgetFinite(data);
    forgetMirror(data);
    if (data.buffer instanceof SharedArrayBuffer) releaseShared(data);
    else releasePlain(data);
  }

  /**
   * The same array: tensors never write their buffers after the kernel that
   * made them.
   */
  share(buffer: unknown): TypedArray {
    extraHolders.set(
      buffer as TypedArray,
      (extraHolders.get(buffer as TypedArray) ?? 0) + 1,
    );
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
      op.cpu(cpuIn, cpuOut, attrs);
    }
    if (op.finiteOutputs === true) for (const t of cpuOut) markFinite(t.data);
  }
}

/**
 * A zero-filled array of `size` elements for `dtype` on a SharedArrayBuffer.
 */
export function allocShared(dtype: DType, size: number): TypedArray {
  return arrayView(dtype, takeShared(size * bytesPerElement(dtype)), 0, size);
}

let current: Backend | null = null;

/**
 * The backend new tensors are created on (CPU unless `setBackend` was called).
 * @example
 * getBackend().name; // 'cpu'
 */
export function getBackend(): Backend {
  current ??= new CpuBackend();
  return current;
}

/**
 * Make `backend` the one new tensors and ops use.
 * @example setBackend(new CpuBackend());
 */
export function setBackend(backend: Backend): void {
  if (!backend || typeof backend.run !== 'function') {
    throw new RuntimeError(
      'BACKEND_MISMATCH',
      'setBackend: expected a Backend object; got ' + String(backend) + '.',
    );
  }
  current = backend;
}
