/**
 * A backend that behaves like a GPU, for tests: every later change to the
 * stack is checked against GPU semantics on any machine, in seconds.
 * - No synchronous reads: `dataSync`/`itemSync` are SYNC_READ_UNSUPPORTED,
 *   and `read` resolves later (after an await), as a readback does.
 * - float32, int32 and bool only (WGSL has no f64): a float64 tensor on it
 *   is DTYPE_UNSUPPORTED. Every result is rounded to float32 as it is
 *   stored (the reference kernels accumulate in f64 inside, a little more
 *   accurately than a GPU would).
 * - bool stored as u32, WGSL's smallest storage type: reads and writes
 *   convert, as a WebGPU backend's do.
 * - Only the core kernels, the primitives of @optnet/tensor, run as
 *   kernels (their JS reference, no WebAssembly): any other op (a fused
 *   kernel) runs its `decompose`, or is NO_KERNEL.
 * - Kernels cannot throw: a failure that depends on the values (not
 *   positive definite, singular, NaN in a solve, an index out of range)
 *   leaves the op's float outputs NaN and rejects the next read, once.
 * - Opaque buffers, counted: a freed buffer cannot be used again (a kernel
 *   reading one is a bug, thrown at once), `liveBuffers` counts what a
 *   GPU would hold, for leak tests, and `reads` the readbacks.
 */
import { assertHolds, type Backend, type BackendTensor } from '../backend.js';
import { allocArray, type DType, type TypedArray } from '../dtype.js';
import { OptnetError } from '../errors.js';
import type { CpuTensor, KernelOp } from '../op.js';
import { primitives } from '../primitives.js';

/**
 * A buffer of the GPU-like backend: its storage, until freed. Opaque to
 * callers, as a device buffer is.
 * @example
 * const buf: GpuLikeBuffer = new GpuLikeBackend().allocate('float32', 4);
 */
export class GpuLikeBuffer {
  constructor(
    /** The dtype it holds (bool as u32 words). */
    readonly dtype: DType,
    /** The words; null once freed. */
    public storage: Float32Array | Int32Array | Uint32Array | null,
  ) {}

  /** The storage; throws if the buffer was freed (a use after free). */
  get live(): Float32Array | Int32Array | Uint32Array {
    if (this.storage === null)
      throw new Error('gpu-like: a freed buffer was used (a bug upstream).');
    return this.storage;
  }
}

const core: ReadonlySet<KernelOp<never>> = new Set(
  Object.values(primitives) as KernelOp<never>[],
);

function storageFor(
  dtype: DType,
  size: number,
): Float32Array | Int32Array | Uint32Array {
  if (dtype === 'float32') return new Float32Array(size);
  if (dtype === 'int32') return new Int32Array(size);
  return new Uint32Array(size); // bool
}

/**
 * The GPU-like test backend (see the file comment).
 * @example
 * setBackend(new GpuLikeBackend());
 * const x = tensor([1, 2]); await x.add(1).toArray(); // [2, 3]
 */
export class GpuLikeBackend implements Backend {
  readonly name: string = 'gpu-like';
  readonly dtypes: readonly DType[] = ['float32', 'int32', 'bool'];
  readonly canReadSync: boolean = false;
  #pending: OptnetError | null = null;
  #live = 0;
  #reads = 0;

  /** Buffers allocated and not yet freed. */
  get liveBuffers(): number {
    return this.#live;
  }

  /** Reads so far (each one a readback on a GPU: a host sync). */
  get reads(): number {
    return this.#reads;
  }

  allocate(dtype: DType, size: number): GpuLikeBuffer {
    assertHolds('allocate', this, dtype);
    this.#live++;
    return new GpuLikeBuffer(dtype, storageFor(dtype, size));
  }

  free(buffer: unknown): void {
    const b = buffer as GpuLikeBuffer;
    if (b.storage === null) return;
    b.storage = null;
    this.#live--;
  }

  write(buffer: unknown, data: TypedArray): void {
    (buffer as GpuLikeBuffer).live.set(data);
  }

  async read(buffer: unknown, dtype: DType, size: number): Promise<TypedArray> {
    const b = buffer as GpuLikeBuffer;
    this.#reads++;
    const copy = allocArray(dtype, size);
    copy.set(b.live);
    await Promise.resolve(); // a readback resolves later
    const failure = this.#pending;
    this.#pending = null;
    if (failure !== null) throw failure;
    return copy;
  }

  hasKernel(op: KernelOp<unknown>): boolean {
    return core.has(op as KernelOp<never>);
  }

  run<A>(
    op: KernelOp<A>,
    inputs: readonly BackendTensor[],
    outputs: readonly BackendTensor[],
    attrs: A,
  ): void {
    const ins = inputs.map(hostView);
    const outs = outputs.map(hostView);
    try {
      op.cpu(ins, outs, attrs);
    } catch (e) {
      // Raised from the values: shapes and dtypes were checked before.
      if (!(e instanceof OptnetError)) throw e;
      this.#pending ??= e;
      for (const t of outs) if (t.dtype === 'float32') t.data.fill(NaN);
    }
    outputs.forEach((t, i) => {
      if (t.dtype === 'bool')
        (t.buffer as GpuLikeBuffer).live.set(outs[i].data);
    });
  }
}

/**
 * A tensor as the reference kernels take it: the storage itself, except
 * bool, copied from u32 to the host's Uint8Array.
 */
function hostView(t: BackendTensor): CpuTensor {
  const storage = (t.buffer as GpuLikeBuffer).live;
  const data =
    t.dtype === 'bool' ? Uint8Array.from(storage) : (storage as TypedArray);
  return { data, shape: t.shape, dtype: t.dtype };
}
