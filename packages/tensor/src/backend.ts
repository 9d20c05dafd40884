/**
 * The Backend interface: small, and made for an asynchronous device.
 * A backend owns opaque buffers; it can allocate, free, write, read
 * (asynchronously; synchronously only where it says so) and run a kernel
 * primitive on buffers it owns. The CPU backend is the reference.
 */
import { allocArray, type DType, type TypedArray } from './dtype.js';
import type { KernelOp, TensorMeta } from './op.js';
import { RuntimeError } from './errors.js';

/** A buffer with its meaning, as handed to `Backend.run`. */
export interface BackendTensor extends TensorMeta {
  readonly buffer: unknown;
}

export interface Backend {
  readonly name: string;
  /** True when `readSync` works (CPU); async devices say false. */
  readonly canReadSync: boolean;
  allocate(dtype: DType, size: number): unknown;
  free(buffer: unknown): void;
  write(buffer: unknown, data: TypedArray): void;
  read(buffer: unknown, dtype: DType, size: number): Promise<TypedArray>;
  readSync(buffer: unknown, dtype: DType, size: number): TypedArray;
  run<A>(
    op: KernelOp<A>,
    inputs: readonly BackendTensor[],
    outputs: readonly BackendTensor[],
    attrs: A,
  ): void;
}

/** The CPU backend: buffers are typed arrays, kernels are `op.cpu`. */
export class CpuBackend implements Backend {
  readonly name: string = 'cpu';
  readonly canReadSync: boolean = true;

  allocate(dtype: DType, size: number): TypedArray {
    return allocArray(dtype, size);
  }

  free(_buffer: unknown): void {
    // Garbage-collected; dropping the reference is enough.
  }

  write(buffer: unknown, data: TypedArray): void {
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
    const cpuIn = inputs.map((t) => ({ data: t.buffer as TypedArray, shape: t.shape, dtype: t.dtype }));
    const cpuOut = outputs.map((t) => ({ data: t.buffer as TypedArray, shape: t.shape, dtype: t.dtype }));
    op.cpu(cpuIn, cpuOut, attrs);
  }
}

let current: Backend | null = null;

/** The backend new tensors are created on (CPU unless `setBackend` was called). */
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
    throw new RuntimeError('BACKEND_MISMATCH', 'setBackend: expected a Backend object; got ' + String(backend) + '.');
  }
  current = backend;
}
