/**
 * Buffer pools. A freed storage buffer goes back to a free list by size
 * and is handed to the next allocation of that size (a training step
 * allocates the same sizes every step, so after the first step nothing
 * new is created); past `maxBytes` of free buffers, freed ones are
 * destroyed instead, after the commands that may use them are submitted.
 * Staging buffers (for reads) are pooled the same way.
 */

/** Bytes of a buffer for `bytes` bytes of data: 256-byte steps, never 0. */
export function roundBytes(bytes: number): number {
  return Math.max(256, Math.ceil(bytes / 256) * 256);
}

export class BufferPool {
  readonly #device: GPUDevice;
  readonly #usage: number;
  readonly #label: string;
  readonly #free = new Map<number, GPUBuffer[]>();
  /** Destroyed at the next submit: a recorded command may still use them. */
  #doomed: GPUBuffer[] = [];
  maxBytes: number;
  pooledBytes = 0;
  pooledBuffers = 0;
  created = 0;

  constructor(
    device: GPUDevice,
    usage: number,
    label: string,
    maxBytes: number,
  ) {
    this.#device = device;
    this.#usage = usage;
    this.#label = label;
    this.maxBytes = maxBytes;
  }

  /** A buffer of `size` bytes (a multiple of 256); `reused` when from the pool. */
  acquire(size: number): { buffer: GPUBuffer; reused: boolean } {
    const list = this.#free.get(size);
    const buffer = list?.pop();
    if (buffer !== undefined) {
      this.pooledBytes -= size;
      this.pooledBuffers--;
      return { buffer, reused: true };
    }
    this.created++;
    return {
      buffer: this.#device.createBuffer({
        label: this.#label,
        size,
        usage: this.#usage,
      }),
      reused: false,
    };
  }

  /** Take a buffer back (or destroy it, past maxBytes). */
  release(buffer: GPUBuffer, size: number): void {
    if (this.pooledBytes + size > this.maxBytes) {
      this.#doomed.push(buffer);
      return;
    }
    let list = this.#free.get(size);
    if (list === undefined) this.#free.set(size, (list = []));
    list.push(buffer);
    this.pooledBytes += size;
    this.pooledBuffers++;
  }

  /** After a submit: destroy what waited for it. */
  afterSubmit(): void {
    for (const b of this.#doomed) b.destroy();
    this.#doomed = [];
  }

  /** Destroy every pooled buffer (the memory goes back to the device). */
  drain(): void {
    for (const list of this.#free.values()) for (const b of list) b.destroy();
    this.#free.clear();
    this.pooledBytes = 0;
    this.pooledBuffers = 0;
  }
}
