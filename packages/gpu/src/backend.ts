/**
 * The WebGPU backend: tensors in GPU storage buffers, every primitive a
 * WGSL kernel (kernels/), reads asynchronous. Work is recorded, not run:
 * an op records dispatches into the open encoder and returns; a read
 * submits them, copies the buffer (and the failure slots of the ops since
 * the last read, see failures.ts) to a staging buffer, and maps it, the
 * only host sync there is. Buffers are pooled (pool.ts); `free` returns
 * one at once, since the queue runs in order and a later command can only
 * see the buffer after every earlier one is done with it.
 */
import {
  assertHolds,
  primitives,
  type Backend,
  type BackendTensor,
  type DType,
  type KernelOp,
  type OptnetError,
  type TypedArray,
} from '@optnet/tensor';
import { GpuError } from './errors.js';
import type { OpenedDevice } from './device.js';
import { FailureLog, firstFailure, type FailureBatch } from './failures.js';
import { kernels } from './kernels/index.js';
import { BufferPool, roundBytes } from './pool.js';
import { Recorder } from './recorder.js';
import type { GpuKernel, GpuTensor, KernelContext } from './types.js';

const MAP_READ = 0x1;
const COPY_SRC = 0x4;
const COPY_DST = 0x8;
const STORAGE = 0x80;

/** A tensor's storage on the GPU (opaque to callers). */
export class GpuBuffer {
  /** Holders (a reshape shares the buffer); pooled again at 0. */
  refs = 1;
  constructor(
    readonly gpu: GPUBuffer,
    /** The buffer's size in bytes (a pool size class). */
    readonly bytes: number,
    /** Reused from the pool: zero it before anything reads it. */
    public dirty: boolean,
  ) {}
}

/**
 * What the backend has done and holds, for tests and benchmarks.
 * @example
 * const { liveBuffers, dispatches } = backend.stats();
 */
export interface WebGpuStats {
  /** Tensors' buffers allocated and not yet freed. */
  readonly liveBuffers: number;
  /** Their bytes. */
  readonly liveBytes: number;
  /** Freed buffers kept for reuse. */
  readonly pooledBuffers: number;
  /** Their bytes. */
  readonly pooledBytes: number;
  /** Storage buffers created so far (pool misses). */
  readonly created: number;
  /** Compute dispatches recorded so far. */
  readonly dispatches: number;
  /** Command buffers submitted so far. */
  readonly submits: number;
  /** Readbacks so far (each a host sync). */
  readonly readbacks: number;
  /** Host-to-device writes so far. */
  readonly uploads: number;
  /** Compute pipelines compiled so far (one per distinct WGSL text). */
  readonly pipelines: number;
}

/** Options of the backend itself. */
export interface BackendOptions {
  /** Bytes of freed buffers kept for reuse (default 256 MiB). */
  readonly poolBytes?: number;
}

export class WebGpuBackendImpl implements Backend {
  readonly name: string = 'webgpu';
  readonly dtypes: readonly DType[] = ['float32', 'int32', 'bool'];
  readonly canReadSync: boolean = false;
  readonly adapterInfo: string;
  readonly features: readonly string[];
  readonly device: GPUDevice;
  readonly #recorder: Recorder;
  readonly #storage: BufferPool;
  readonly #staging: BufferPool;
  readonly #failures: FailureLog;
  readonly #maxBinding: number;
  readonly #readers = new Set<(e: Error) => void>();
  #live = 0;
  #liveBytes = 0;
  #reads = 0;
  #writes = 0;
  #lost: GpuError | null = null;
  #gpuError: GpuError | null = null;

  constructor(opened: OpenedDevice, options: BackendOptions = {}) {
    this.device = opened.device;
    this.adapterInfo = opened.adapterInfo;
    this.features = opened.features;
    const d = this.device;
    this.#maxBinding = d.limits.maxStorageBufferBindingSize;
    const poolBytes = options.poolBytes ?? 256 << 20;
    this.#storage = new BufferPool(
      d,
      STORAGE | COPY_SRC | COPY_DST,
      'tensor',
      poolBytes,
    );
    this.#staging = new BufferPool(
      d,
      MAP_READ | COPY_DST,
      'readback',
      64 << 20,
    );
    this.#failures = new FailureLog(d);
    this.#recorder = new Recorder(d);
    this.#recorder.afterSubmit = () => {
      this.#storage.afterSubmit();
      this.#staging.afterSubmit();
    };
    d.addEventListener('uncapturederror', (e) => {
      const msg = (e as GPUUncapturedErrorEvent).error.message;
      this.#gpuError ??= new GpuError(
        'GPU_ERROR',
        `webgpu: the device reported an error; got "${msg}". This is a bug ` +
          `in a kernel of @optnet/gpu (or the device ran out of memory).`,
      );
    });
    void d.lost.then((info) => this.#onLost(info));
  }

  #onLost(info: GPUDeviceLostInfo): void {
    this.#lost = new GpuError(
      'DEVICE_LOST',
      `webgpu: the device was lost (${info.reason}: ${info.message}); got ` +
        `an operation after the loss. Tensors on it are gone: create a new ` +
        `backend with createWebGpuBackend() and recompute, or use the CPU.`,
    );
    for (const reject of this.#readers) reject(this.#lost);
    this.#readers.clear();
  }

  #assertAlive(): void {
    if (this.#lost !== null) throw this.#lost;
  }

  allocate(dtype: DType, size: number): GpuBuffer {
    assertHolds('allocate', this, dtype);
    this.#assertAlive();
    const bytes = roundBytes(size * 4);
    if (size * 4 > this.#maxBinding) {
      throw new GpuError(
        'TOO_LARGE',
        `allocate: a tensor on the webgpu backend holds at most ` +
          `${this.#maxBinding / 4} elements (maxStorageBufferBindingSize ` +
          `${this.#maxBinding} bytes); got ${size}. Split the work in batches.`,
      );
    }
    const { buffer, reused } = this.#storage.acquire(bytes);
    this.#live++;
    this.#liveBytes += bytes;
    return new GpuBuffer(buffer, bytes, reused);
  }

  free(buffer: unknown): void {
    const b = buffer as GpuBuffer;
    if (b.refs <= 0) return;
    if (--b.refs > 0) return;
    this.#live--;
    this.#liveBytes -= b.bytes;
    if (this.#lost === null) this.#storage.release(b.gpu, b.bytes);
  }

  share(buffer: unknown): unknown {
    (buffer as GpuBuffer).refs++;
    return buffer;
  }

  write(buffer: unknown, data: TypedArray): void {
    this.#assertAlive();
    const b = buffer as GpuBuffer;
    const words = data instanceof Uint8Array ? Uint32Array.from(data) : data;
    const bytes = words.byteLength;
    const view = new Uint8Array(words.buffer, words.byteOffset, bytes);
    if (bytes > 0 && !this.#recorder.upload(b.gpu, view)) {
      // writeBuffer runs ahead of unsubmitted commands: submit them first.
      this.#recorder.flush();
      this.device.queue.writeBuffer(
        b.gpu,
        0,
        words.buffer,
        words.byteOffset,
        bytes,
      );
    }
    if (b.dirty && bytes < b.bytes) this.#clear(b, bytes);
    b.dirty = false;
    this.#writes++;
  }

  async read(buffer: unknown, dtype: DType, size: number): Promise<TypedArray> {
    this.#assertAlive();
    const b = buffer as GpuBuffer;
    this.#clean(b);
    this.#reads++;
    const dataBytes = Math.ceil((size * 4) / 16) * 16;
    const batch = this.#failures.take();
    const total = roundBytes(dataBytes + batch.bytes);
    const { buffer: staging } = this.#staging.acquire(total);
    const enc = this.#recorder.plainEncoder();
    if (size > 0) enc.copyBufferToBuffer(b.gpu, 0, staging, 0, size * 4);
    batch.chunks.forEach((c, k) => {
      enc.copyBufferToBuffer(c, 0, staging, dataBytes + k * c.size, c.size);
      enc.clearBuffer(c);
    });
    this.#recorder.flush();
    const bytes = await this.#map(staging, total);
    this.#staging.release(staging, total);
    this.#raise(batch, bytes, dataBytes);
    return hostArray(dtype, bytes, size);
  }

  /** Map `staging`, copy its bytes out, unmap; rejects if the device is lost. */
  async #map(staging: GPUBuffer, total: number): Promise<ArrayBuffer> {
    let reject: (e: Error) => void = () => {};
    const lost = new Promise<never>((_, r) => (reject = r));
    this.#readers.add(reject);
    try {
      await Promise.race([staging.mapAsync(1 /* READ */, 0, total), lost]);
      const bytes = staging.getMappedRange(0, total).slice(0);
      staging.unmap();
      return bytes;
    } catch (e) {
      throw this.#lost ?? e;
    } finally {
      this.#readers.delete(reject);
    }
  }

  /** Throw a device error, then the first kernel failure of `batch`. */
  #raise(batch: FailureBatch, bytes: ArrayBuffer, at: number): void {
    const gpuError = this.#gpuError;
    this.#gpuError = null;
    if (gpuError !== null) throw gpuError;
    if (batch.pending.length === 0) return;
    const words = new Uint32Array(bytes, at, batch.bytes / 4);
    const failure: OptnetError | null = firstFailure(batch, words);
    if (failure !== null) throw failure;
  }

  hasKernel(op: KernelOp<unknown>): boolean {
    const p = primitives as unknown as Record<string, KernelOp<unknown>>;
    return p[op.name] === op;
  }

  run<A>(
    op: KernelOp<A>,
    inputs: readonly BackendTensor[],
    outputs: readonly BackendTensor[],
    attrs: A,
  ): void {
    this.#assertAlive();
    const kernel = (kernels as unknown as Record<string, GpuKernel<A>>)[
      op.name
    ];
    const ins = inputs.map((t) => this.#tensor(t));
    // Every kernel writes all of each output: no need to zero them.
    for (const t of outputs) (t.buffer as GpuBuffer).dirty = false;
    const outs = outputs.map((t) => this.#tensor(t));
    const scratch: GpuBuffer[] = [];
    const ctx: KernelContext = {
      dispatch: (d) => this.#recorder.dispatch(d),
      copy: (src, dst, bytes) => {
        if (bytes > 0)
          this.#recorder
            .plainEncoder()
            .copyBufferToBuffer(src, 0, dst, 0, bytes);
      },
      scratch: (bytes) => {
        const s = this.allocate('int32', Math.ceil(bytes / 4));
        this.#clean(s);
        scratch.push(s);
        return s.gpu;
      },
      failureSlot: () =>
        this.#failures.claim(op as KernelOp<unknown>, inputs, attrs),
    };
    kernel(ctx, ins, outs, attrs);
    for (const s of scratch) this.free(s);
  }

  #tensor(t: BackendTensor): GpuTensor {
    const b = t.buffer as GpuBuffer;
    this.#clean(b);
    const size = t.shape.reduce((a, d) => a * d, 1);
    return { buffer: b.gpu, shape: t.shape, dtype: t.dtype, size };
  }

  /** Zero a reused buffer before it is read. */
  #clean(b: GpuBuffer): void {
    if (!b.dirty) return;
    this.#clear(b, 0);
    b.dirty = false;
  }

  #clear(b: GpuBuffer, from: number): void {
    this.#recorder.plainEncoder().clearBuffer(b.gpu, from, b.bytes - from);
  }

  stats(): WebGpuStats {
    const c = this.#recorder.counts;
    return {
      liveBuffers: this.#live,
      liveBytes: this.#liveBytes,
      pooledBuffers: this.#storage.pooledBuffers,
      pooledBytes: this.#storage.pooledBytes,
      created: this.#storage.created,
      dispatches: c.dispatches,
      submits: c.submits,
      readbacks: this.#reads,
      uploads: this.#writes,
      pipelines: c.pipelines,
    };
  }

  /** Destroy the pooled buffers: their memory goes back to the device. */
  releasePool(): void {
    this.#recorder.flush();
    this.#storage.drain();
    this.#staging.drain();
  }

  /** Destroy the device; pending reads reject with DEVICE_LOST. */
  destroy(): void {
    this.#recorder.flush();
    this.#storage.drain();
    this.#staging.drain();
    this.#failures.destroy();
    this.device.destroy();
  }
}

/** The host array of `dtype` from the copied bytes (bool from u32 words). */
function hostArray(dtype: DType, bytes: ArrayBuffer, size: number): TypedArray {
  if (dtype === 'float32') return new Float32Array(bytes, 0, size).slice();
  if (dtype === 'int32') return new Int32Array(bytes, 0, size).slice();
  return Uint8Array.from(new Uint32Array(bytes, 0, size));
}
