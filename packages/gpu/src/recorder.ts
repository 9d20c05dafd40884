/**
 * Records work into one command encoder and submits it in batches: at a
 * read, before a write from the host (queue.writeBuffer runs ahead of
 * unsubmitted commands), when the parameter arena fills, and at the end of
 * the current task (a microtask), so the device starts while JS goes on.
 * Pipelines are cached by WGSL text and labelled with the op. Every
 * dispatch's parameters go to one uniform arena, and small uploads from
 * the host to an upload arena copied in order with the commands, each
 * arena written once per submit (a write straight to the queue would run
 * ahead of the recorded commands, so it would have to submit them first).
 * Bind groups are cached by their buffers (the parameters' offset in the
 * arena is a dynamic offset): a training step allocates from the pool in
 * the same order every step, so its bind groups repeat.
 */
import { programText, type Binding } from './wgsl.js';
import type { Dispatch } from './types.js';

const UNIFORM = 0x40;
const COMPUTE = 0x4; // GPUShaderStage.COMPUTE
const COPY_SRC = 0x4;
const COPY_DST = 0x8;
const ARENA_BYTES = 1 << 16;
/** Cached bind groups kept before the cache starts over. */
const MAX_GROUPS = 4096;

/** Counters of what was recorded, for tests and benchmarks. */
export interface RecorderCounts {
  dispatches: number;
  submits: number;
  pipelines: number;
}

export class Recorder {
  readonly counts: RecorderCounts = { dispatches: 0, submits: 0, pipelines: 0 };
  readonly #device: GPUDevice;
  readonly #pipelines = new Map<string, GPUComputePipeline>();
  readonly #layouts = new Map<
    string,
    [GPUBindGroupLayout, GPUPipelineLayout]
  >();
  readonly #groups = new Map<string, GPUBindGroup>();
  readonly #bufferIds = new WeakMap<GPUBuffer, number>();
  #nextId = 0;
  readonly #arena: ArrayBuffer = new ArrayBuffer(ARENA_BYTES);
  readonly #view: DataView = new DataView(this.#arena);
  readonly #arenaBuffer: GPUBuffer;
  readonly #align: number;
  readonly #uploads: Uint8Array = new Uint8Array(ARENA_BYTES);
  readonly #uploadBuffer: GPUBuffer;
  #used = 0;
  #uploaded = 0;
  #encoder: GPUCommandEncoder | null = null;
  #pass: GPUComputePassEncoder | null = null;
  #scheduled = false;
  /** Called after each submit (the backend recycles what waited for it). */
  afterSubmit: () => void = () => {};

  constructor(device: GPUDevice) {
    this.#device = device;
    this.#align = Math.max(16, device.limits.minUniformBufferOffsetAlignment);
    this.#arenaBuffer = device.createBuffer({
      label: 'params arena',
      size: ARENA_BYTES,
      usage: UNIFORM | COPY_DST,
    });
    this.#uploadBuffer = device.createBuffer({
      label: 'upload arena',
      size: ARENA_BYTES,
      usage: COPY_SRC | COPY_DST,
    });
  }

  /**
   * Record a copy of `data` (whole 4-byte words) into `dst` at offset 0,
   * ordered with the commands recorded before and after; false when it
   * does not fit the upload arena (write it to the queue after a flush).
   */
  upload(dst: GPUBuffer, data: Uint8Array): boolean {
    const bytes = data.byteLength;
    if (bytes > ARENA_BYTES / 4) return false;
    if (this.#uploaded + bytes > ARENA_BYTES) this.flush();
    const at = this.#uploaded;
    this.#uploads.set(data, at);
    this.#uploaded = Math.ceil((at + bytes) / 16) * 16;
    this.plainEncoder().copyBufferToBuffer(
      this.#uploadBuffer,
      at,
      dst,
      0,
      bytes,
    );
    return true;
  }

  /** The open encoder (created on first use, submitted at the next flush). */
  encoder(): GPUCommandEncoder {
    if (this.#encoder === null) {
      this.#encoder = this.#device.createCommandEncoder();
      if (!this.#scheduled) {
        this.#scheduled = true;
        void Promise.resolve().then(() => {
          this.#scheduled = false;
          this.flush();
        });
      }
    }
    return this.#encoder;
  }

  /** The encoder with no compute pass open (for copies and clears). */
  plainEncoder(): GPUCommandEncoder {
    this.#endPass();
    return this.encoder();
  }

  dispatch(d: Dispatch): void {
    const [x, y, z] = d.groups;
    if (x === 0 || y === 0 || z === 0) return;
    const text = programText(d.params, d.bindings, d.body);
    const pipeline = this.#pipeline(text, d.label, d.bindings);
    const bytes = Math.max(16, Math.ceil((d.params.length * 4) / 16) * 16);
    if (this.#used + bytes > ARENA_BYTES) this.flush();
    const offset = this.#used;
    this.#writeParams(offset, d);
    this.#used = Math.ceil((offset + bytes) / this.#align) * this.#align;
    const group = this.#bindGroup(d, bytes);
    this.#pass ??= this.encoder().beginComputePass({ label: d.label });
    this.#pass.setPipeline(pipeline);
    this.#pass.setBindGroup(0, group, [offset]);
    this.#pass.dispatchWorkgroups(x, y, z);
    this.counts.dispatches++;
  }

  /** The bind group of `d`'s buffers (cached), the arena at offset 0. */
  #bindGroup(d: Dispatch, bytes: number): GPUBindGroup {
    const ids = d.bindings.map((b) => this.#idOf(b.buffer));
    const rw = d.bindings.map((b) => (b.write ? 'w' : 'r')).join('');
    const key = `${rw} ${bytes} ${ids.join(' ')}`;
    let group = this.#groups.get(key);
    if (group === undefined) {
      if (this.#groups.size >= MAX_GROUPS) this.#groups.clear();
      group = this.#device.createBindGroup({
        label: d.label,
        layout: this.#layout(d.bindings)[0],
        entries: [
          {
            binding: 0,
            resource: { buffer: this.#arenaBuffer, offset: 0, size: bytes },
          },
          ...d.bindings.map((b, i) => ({
            binding: i + 1,
            resource: { buffer: b.buffer },
          })),
        ],
      });
      this.#groups.set(key, group);
    }
    return group;
  }

  /** A number naming `buffer` for as long as it lives. */
  #idOf(buffer: GPUBuffer): number {
    let id = this.#bufferIds.get(buffer);
    if (id === undefined) this.#bufferIds.set(buffer, (id = this.#nextId++));
    return id;
  }

  /** Submit what was recorded (nothing to do when nothing was). */
  flush(): void {
    if (this.#encoder === null) return;
    this.#endPass();
    const queue = this.#device.queue;
    if (this.#used > 0)
      queue.writeBuffer(this.#arenaBuffer, 0, this.#arena, 0, this.#used);
    if (this.#uploaded > 0)
      queue.writeBuffer(
        this.#uploadBuffer,
        0,
        this.#uploads,
        0,
        this.#uploaded,
      );
    queue.submit([this.#encoder.finish()]);
    this.#encoder = null;
    this.#used = 0;
    this.#uploaded = 0;
    this.counts.submits++;
    this.afterSubmit();
  }

  #endPass(): void {
    if (this.#pass === null) return;
    this.#pass.end();
    this.#pass = null;
  }

  /**
   * The bind group and pipeline layouts of a binding list, explicit (an
   * 'auto' layout drops the bindings a program does not use, and then a
   * bind group that names them is invalid), cached by signature.
   */
  #layout(
    bindings: readonly Binding[],
  ): [GPUBindGroupLayout, GPUPipelineLayout] {
    const key = bindings.map((b) => (b.write ? 'w' : 'r')).join('');
    let l = this.#layouts.get(key);
    if (l === undefined) {
      const group = this.#device.createBindGroupLayout({
        entries: [
          {
            binding: 0,
            visibility: COMPUTE,
            buffer: { type: 'uniform', hasDynamicOffset: true },
          },
          ...bindings.map((b, i) => ({
            binding: i + 1,
            visibility: COMPUTE,
            buffer: {
              type: b.write
                ? ('storage' as const)
                : ('read-only-storage' as const),
            },
          })),
        ],
      });
      l = [
        group,
        this.#device.createPipelineLayout({ bindGroupLayouts: [group] }),
      ];
      this.#layouts.set(key, l);
    }
    return l;
  }

  #pipeline(
    text: string,
    label: string,
    bindings: readonly Binding[],
  ): GPUComputePipeline {
    let p = this.#pipelines.get(text);
    if (p === undefined) {
      const module = this.#device.createShaderModule({ label, code: text });
      p = this.#device.createComputePipeline({
        label,
        layout: this.#layout(bindings)[1],
        compute: { module, entryPoint: 'main' },
      });
      this.#pipelines.set(text, p);
      this.counts.pipelines++;
    }
    return p;
  }

  #writeParams(offset: number, d: Dispatch): void {
    const v = this.#view;
    d.params.forEach(([, type, value], k) => {
      const at = offset + 4 * k;
      if (type === 'f32') v.setFloat32(at, value, true);
      else if (type === 'i32') v.setInt32(at, value, true);
      else v.setUint32(at, value, true);
    });
  }
}
