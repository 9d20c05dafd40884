/**
 * The Backend interface: what a device must provide, made for an
 * asynchronous one. A backend owns opaque buffers; it allocates, frees,
 * writes and reads them (asynchronously; synchronously only where it says
 * so) and runs a kernel primitive on buffers it owns. It declares the
 * dtypes it holds, and how it stores each one is its own affair: reads and
 * writes exchange the host arrays of dtype.ts (bool as a Uint8Array of 0
 * and 1), while a GPU may keep bool as u32, WGSL's smallest storage type.
 *
 * Kernel failures that depend on the values (a matrix that is not
 * positive definite, a singular one, an index out of range, a NaN where a
 * solve needs finite numbers) reach the user one way on every backend:
 * the kernel records the failure (see `KernelFailure` in op.ts), and the
 * next read on that backend rejects with the op's error; the failed op's
 * outputs hold NaN meanwhile. A synchronous backend is never behind its
 * caller, so the CPU backend throws the error from the op itself. Shape
 * and dtype errors come from metadata and are thrown by the op call on
 * every backend. The CPU backend is in cpu/.
 */
import { CpuBackend } from './cpu/backend.js';
import { type DType, type TypedArray } from './dtype.js';
import { DTypeError, RuntimeError } from './errors.js';
import type { KernelOp, TensorMeta } from './op.js';

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
 * A device tensors live on. The CPU backend is the reference; a WebGPU
 * backend is the other. Only `run` computes: everything else moves memory.
 * @example
 * const be: Backend = getBackend();
 * be.dtypes.includes('float64'); // true on the CPU
 */
export interface Backend {
  /** Short name, in error messages ('cpu', 'webgpu'). */
  readonly name: string;
  /**
   * The dtypes this backend holds (the CPU: all four; a WebGPU backend:
   * float32, int32 and bool, since WGSL has no f64). Making a tensor of
   * another dtype on it is a DTypeError DTYPE_UNSUPPORTED.
   */
  readonly dtypes: readonly DType[];
  /** True when `readSync` works (CPU); asynchronous devices say false. */
  readonly canReadSync: boolean;
  /**
   * Zero-filled storage for `size` elements of `dtype`, in its own layout;
   * with `zero` false the contents may be anything (a kernel that writes
   * every element is about to fill it; a backend may zero it anyway).
   */
  allocate(dtype: DType, size: number, zero?: boolean): unknown;
  /** Release a buffer now (a GPU buffer is never garbage-collected). */
  free(buffer: unknown): void;
  /** Fill a buffer from a host array of its dtype (allocArray's type). */
  write(buffer: unknown, data: TypedArray): void;
  /**
   * A copy of the buffer as a host array of `dtype`. Rejects with the
   * error of a kernel failure recorded since the last read, if any (once).
   */
  read(buffer: unknown, dtype: DType, size: number): Promise<TypedArray>;
  /** `read`, synchronously: only where `canReadSync` is true. */
  readSync?(buffer: unknown, dtype: DType, size: number): TypedArray;
  /**
   * Optional: the buffer's own host storage as an array of `dtype`, no
   * copy (`data({ copy: false })`). Only a backend that keeps tensors in
   * host memory offers it; the caller must never write to the array.
   */
  view?(buffer: unknown, dtype: DType, size: number): TypedArray;
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
  /**
   * Run `op`'s kernel: read `inputs`, fill the zero-filled `outputs`. A
   * failure that depends on the values is recorded for the next read (or
   * thrown, by a synchronous backend); see the file comment.
   */
  run<A>(
    op: KernelOp<A>,
    inputs: readonly BackendTensor[],
    outputs: readonly BackendTensor[],
    attrs: A,
  ): void;
}

let current: Backend | null = null;

/**
 * The backend new tensors are created on (CPU unless `setBackend` was called).
 * @example getBackend().name; // 'cpu'
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

/**
 * Throws DTYPE_UNSUPPORTED unless `backend` holds `dtype`; `op` names the
 * caller. The hint names both ways out: cast to a dtype it holds, or keep
 * the tensor on a backend that holds this one (the CPU holds all).
 * @example assertHolds('zeros', getBackend(), 'float64');
 */
export function assertHolds(op: string, backend: Backend, dtype: DType): void {
  if (backend.dtypes.includes(dtype)) return;
  const held = backend.dtypes.join(', ');
  const to =
    backend.dtypes.find((d) => d.startsWith('float')) ?? backend.dtypes[0];
  throw new DTypeError(
    'DTYPE_UNSUPPORTED',
    `${op}: the ${backend.name} backend holds ${held}; got ${dtype}. ` +
      `Use ${to} (x.cast('${to}'), or { dtype: '${to}' } when creating), ` +
      `or keep this tensor on the CPU, which holds every dtype ` +
      `(await x.to(new CpuBackend())).`,
  );
}
