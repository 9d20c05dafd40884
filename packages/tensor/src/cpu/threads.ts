/// <reference types="node" />
/**
 * @optnet/tensor/threads (Node only): split the heavy batched CPU kernels
 * (cholesky, triangularSolve, batched matmul, addDiagonal) across worker
 * threads. A kernel with a `cpuBatch` is cut into contiguous ranges of
 * output batch items; this thread runs the first range and the workers the
 * others, all writing into SharedArrayBuffer-backed outputs in place. Batch
 * items are independent, so results are bit-identical with threads on or
 * off; only calls whose cost reaches MIN_PARALLEL_COST are split.
 *
 * The main entry stays browser-safe: nothing outside this file and
 * cpu-worker.ts imports node:*.
 *
 * The worker protocol (SharedTensor, CpuTask, the status codes, ...) is
 * exported for cpu-worker.ts only, and marked internal.
 *
 * @example
 * import { useCpuThreads } from '@optnet/tensor/threads';
 * await useCpuThreads(); // one per core; useCpuThreads(1) turns them off
 *
 * @module \@optnet/tensor/threads
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  MessageChannel,
  receiveMessageOnPort,
  Worker,
  workerData,
  type MessagePort,
} from 'node:worker_threads';
import { setCpuParallel, type CpuParallel } from './backend.js';
import { allocShared, releaseShared } from './pools.js';
import { cpuBatchOf } from './kernels.js';
import { isKnownFinite, markFinite } from './known-finite.js';
import { arrayView, type DType, type TypedArray } from '../dtype.js';
import {
  DTypeError,
  OptnetError,
  RuntimeError,
  ShapeError,
  ValueError,
  type ErrorCode,
} from '../errors.js';
import type { CpuTensor, KernelOp } from '../op.js';
import { primitives } from '../primitives.js';
import type { Shape } from '../shape.js';
import { usingWasmKernels, wasmFmaAllowed } from './wasm/runtime.js';

/**
 * Calls cheaper than this (in `cpuBatch.cost` units, ≈ flops) stay on one
 * thread: handing a range to a worker costs ~50-75 µs of messaging and
 * wake-up. Measured break-even on 2 cores: cholesky 16×40 (cost 340k) is
 * 1.25x faster split, 16×30 (144k) 0.85x; matvec [16,100,100] (320k) 1.0x,
 * [32,100,100] 1.35x.
 * @example
 * // cholesky of a batch of 64 50×50 matrices: cost 64·50³/3 ≈ 2.7M
 * 64 * 50 ** 3 / 3 >= MIN_PARALLEL_COST; // true: split when threads are on
 */
export const MIN_PARALLEL_COST = 300_000;

/**
 * Non-shared inputs up to this many elements are copied to shared memory;
 * larger ones keep the call on one thread.
 */
const COPY_MAX = 1 << 16;

/**
 * A CPU tensor as sent to a worker: its shared memory, not a copy.
 * @internal
 */
export interface SharedTensor {
  readonly buffer: SharedArrayBuffer;
  readonly byteOffset: number;
  readonly length: number;
  readonly dtype: DType;
  readonly shape: Shape;
  /**
   * Index of an earlier input with the very same data (matmul's aᵀa test
   * compares arrays).
   */
  readonly alias: number;
  /**
   * Known finite on the calling thread (see known-finite.ts); the worker marks
   * its view.
   */
  readonly finite: boolean;
}

/**
 * One range of one kernel call, as posted to a worker.
 * @internal
 */
export interface CpuTask {
  readonly op: string;
  readonly attrs: unknown;
  readonly start: number;
  readonly end: number;
  readonly inputs: readonly SharedTensor[];
  readonly outputs: readonly SharedTensor[];
  /**
   * Whether the main thread runs the WebAssembly kernels (the worker follows,
   * for the same bits).
   */
  readonly wasm: boolean;
  /**
   * The main thread's setWasmFma setting (the worker follows; its module
   * then fuses exactly where the main thread's does).
   */
  readonly fma: boolean;
}

/**
 * A thrown error as a worker reports it.
 * @internal
 */
export interface ErrorReport {
  readonly name: string;
  readonly code: string | undefined;
  readonly message: string;
}

/**
 * Worker status in the shared sync array: running, done, failed (error on the
 * port).
 * @internal
 */
export const RUNNING = 0;
/** @internal */
export const DONE = 1;
/** @internal */
export const FAILED = 2;

/**
 * The registry's kernels that can be split, by op name (workers look ops up
 * here).
 * @internal
 */
export function splittableKernels(): Map<string, KernelOp<unknown>> {
  const map = new Map<string, KernelOp<unknown>>();
  for (const p of Object.values(primitives) as { kind: string }[]) {
    const op = p as KernelOp<unknown>;
    if (op.kind === 'kernel' && cpuBatchOf(op) !== undefined)
      map.set(op.name, op);
  }
  return map;
}

/**
 * Typed-array views of the shared tensors (aliases give back the same array).
 * @internal
 */
export function viewTensors(ts: readonly SharedTensor[]): CpuTensor[] {
  const out: CpuTensor[] = [];
  for (const t of ts) {
    const data =
      t.alias >= 0
        ? out[t.alias].data
        : arrayView(t.dtype, t.buffer, t.byteOffset, t.length);
    if (t.finite) markFinite(data);
    out.push({ data, shape: t.shape, dtype: t.dtype });
  }
  return out;
}

/**
 * An error as plain data, to cross threads.
 * @internal
 */
export function reportOf(e: unknown): ErrorReport {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return {
      name: e.name,
      code: typeof code === 'string' ? code : undefined,
      message: e.message,
    };
  }
  return { name: 'Error', code: undefined, message: String(e) };
}

const ERROR_CLASSES: Record<
  string,
  new (code: ErrorCode, message: string) => Error
> = {
  OptnetError,
  ShapeError,
  DTypeError,
  ValueError,
  RuntimeError,
};

/**
 * The error a report describes, rebuilt as the same class with the same code
 * and message.
 */
function rebuild(r: ErrorReport | undefined): Error {
  if (r === undefined)
    return new Error('cpu worker: a kernel failed without reporting why.');
  const Cls = ERROR_CLASSES[r.name];
  if (Cls !== undefined && r.code !== undefined)
    return new Cls(r.code as ErrorCode, r.message);
  const e = new Error(r.message);
  e.name = r.name;
  return e;
}

interface PoolWorker {
  readonly worker: Worker;
  /** Where the worker posts its error reports (read synchronously). */
  readonly port: MessagePort;
}

let pool: PoolWorker[] = [];
/** sync[i]: status of worker i's current range (RUNNING/DONE/FAILED). */
let sync: Int32Array = new Int32Array(0);
let kernels: Map<string, KernelOp<unknown>> | null = null;
let starting: Promise<number> | null = null;
let splitCalls = 0;

/**
 * Where the worker script is: the built .js next to this file (dist/cpu/),
 * or under cpu/ when the bundler put this code in a chunk at dist/, else
 * (running from src) the .ts.
 */
function workerUrl(): URL {
  for (const path of ['./cpu-worker.js', './cpu/cpu-worker.js']) {
    const js = new URL(path, import.meta.url);
    if (js.protocol !== 'file:' || existsSync(fileURLToPath(js))) return js;
  }
  return new URL('./cpu-worker.ts', import.meta.url);
}

/** Whether this thread is one of our kernel workers. */
function isCpuWorker(): boolean {
  return (
    (workerData as { optnetCpuWorker?: boolean } | null)?.optnetCpuWorker ===
    true
  );
}

function startWorker(index: number, shared: Int32Array): Promise<PoolWorker> {
  const { port1, port2 } = new MessageChannel();
  const init = { optnetCpuWorker: true, index, sync: shared, port: port2 };
  const worker = new Worker(workerUrl(), {
    workerData: init,
    transferList: [port2],
  });
  return new Promise((resolve, reject) => {
    const fail = (e: unknown) =>
      reject(
        e instanceof Error ? e : new Error(`cpu worker exited (${String(e)}).`),
      );
    worker.once('message', () => {
      worker.off('exit', fail);
      worker.unref(); // an idle pool must not keep the process alive
      port1.unref();
      // A worker that dies between calls (terminated by someone else) turns
      // threads off rather than leave the next split waiting for it forever.
      worker.once('exit', () => {
        if (pool.some((p) => p.worker === worker)) stopCpuThreads();
      });
      resolve({ worker, port: port1 });
    });
    worker.on('error', fail);
    worker.once('exit', fail);
  });
}

/**
 * Shared copies of small non-shared inputs; null when a large one is not
 * shared.
 */
function shareInputs(inputs: readonly CpuTensor[]): CpuTensor[] | null {
  const out: CpuTensor[] = [];
  for (let i = 0; i < inputs.length; i++) {
    const t = inputs[i];
    const same = inputs.findIndex((u) => u.data === t.data); // keep aᵀa's operands one array
    if (t.data.buffer instanceof SharedArrayBuffer) out.push(t);
    else if (same < i) out.push({ ...t, data: out[same].data });
    else if (t.data.length > COPY_MAX) return null;
    else out.push({ ...t, data: copyShared(t.data, t.dtype) });
  }
  return out;
}

function copyShared(d: TypedArray, dtype: DType): TypedArray {
  const view = arrayView(
    dtype,
    new SharedArrayBuffer(d.length * d.BYTES_PER_ELEMENT),
    0,
    d.length,
  );
  view.set(d);
  return view;
}

function describe(ts: readonly CpuTensor[]): SharedTensor[] {
  return ts.map((t, i) => ({
    buffer: t.data.buffer as SharedArrayBuffer,
    byteOffset: t.data.byteOffset,
    length: t.data.length,
    dtype: t.dtype,
    shape: t.shape,
    alias: ts.findIndex((u, j) => j < i && u.data === t.data),
    finite: isKnownFinite(t.data),
  }));
}

/**
 * The error a one-thread run would throw: whole-input checks (NON_FINITE)
 * run before any item there, so they win; otherwise the lowest range's.
 */
function pickError(errors: readonly Error[]): Error {
  return (
    errors.find((e) => (e as { code?: unknown }).code === 'NON_FINITE') ??
    errors[0]
  );
}

function runSplit<A>(
  op: KernelOp<A>,
  inputs: readonly CpuTensor[],
  outputs: readonly CpuTensor[],
  attrs: A,
): boolean {
  const batch = cpuBatchOf(op);
  if (
    batch === undefined ||
    kernels?.get(op.name) !== (op as KernelOp<unknown>)
  )
    return false;
  const items = batch.items(inputs, outputs, attrs);
  const parts = Math.min(pool.length + 1, items);
  if (parts < 2) return false;
  const ins = shareInputs(inputs);
  if (ins === null) return false;
  // Plain outputs (small ones) are written through shared temporaries.
  const outs = outputs.map((t) =>
    t.data.buffer instanceof SharedArrayBuffer
      ? t
      : { ...t, data: allocShared(t.dtype, t.data.length) },
  );
  const cut = (p: number) => Math.floor((items * p) / parts);
  const base = {
    op: op.name,
    attrs,
    inputs: describe(ins),
    outputs: describe(outs),
    wasm: usingWasmKernels(),
    fma: wasmFmaAllowed(),
  };
  for (let w = 1; w < parts; w++) {
    Atomics.store(sync, w - 1, RUNNING);
    pool[w - 1].worker.postMessage({
      ...base,
      start: cut(w),
      end: cut(w + 1),
    } satisfies CpuTask);
  }
  const errors: Error[] = [];
  try {
    batch.run(ins, outs, attrs, 0, cut(1));
  } catch (e) {
    errors.push(e as Error);
  }
  for (let w = 1; w < parts; w++) {
    Atomics.wait(sync, w - 1, RUNNING);
    if (Atomics.load(sync, w - 1) === FAILED)
      errors.push(rebuild(receiveMessageOnPort(pool[w - 1].port)?.message));
  }
  splitCalls++;
  outs.forEach((t, i) => {
    if (t === outputs[i]) return;
    if (errors.length === 0) outputs[i].data.set(t.data);
    releaseShared(t.data);
  });
  if (errors.length > 0) throw pickError(errors);
  return true;
}

const runner: CpuParallel = { minCost: MIN_PARALLEL_COST, run: runSplit };

/**
 * Run big batched CPU kernels on `n` threads (this one plus n − 1 workers;
 * default: one per core). `n = 1` turns threads off. Idempotent; resolves
 * to the number of threads in use. Results are bit-identical either way.
 * @example
 * const n = await useCpuThreads(); // e.g. 8
 * const a = addDiagonal(zeros([128, 100, 100]), ones([100]));
 * cholesky(a); // split over the n threads
 */
export async function useCpuThreads(
  n: number = availableParallelism(),
): Promise<number> {
  if (!Number.isInteger(n) || n < 1) {
    throw new ValueError(
      'BAD_ARGUMENT',
      `useCpuThreads: n must be a positive integer; got ${n}. Pass e.g. 2, or 1 for off.`,
    );
  }
  // Workers inherit execArgv, so a preload that turns threads on runs in
  // them too: they must not start pools of their own (threads all the way
  // down).
  if (isCpuWorker()) return 1;
  while (starting !== null) await starting.catch(() => undefined);
  if (n === pool.length + 1) return n;
  stopCpuThreads();
  if (n === 1) return 1;
  starting = startPool(n - 1);
  try {
    return await starting;
  } finally {
    starting = null;
  }
}

async function startPool(count: number): Promise<number> {
  const shared = new Int32Array(new SharedArrayBuffer(4 * count));
  const started = Array.from({ length: count }, (_, i) =>
    startWorker(i, shared),
  );
  const results = await Promise.allSettled(started);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed !== undefined) {
    for (const r of results)
      if (r.status === 'fulfilled') void r.value.worker.terminate();
    throw failed.reason;
  }
  pool = results.map((r) => (r as PromiseFulfilledResult<PoolWorker>).value);
  sync = shared;
  kernels ??= splittableKernels();
  setCpuParallel(runner);
  return count + 1;
}

/**
 * Back to one thread: uninstall the runner and end the workers. Tensors
 * made while threads were on stay valid.
 * @example
 * await useCpuThreads(2);
 * stopCpuThreads(); // cpuThreadStats().threads === 1
 */
export function stopCpuThreads(): void {
  setCpuParallel(null);
  for (const p of pool) {
    void p.worker.terminate();
    p.port.close();
  }
  pool = [];
  sync = new Int32Array(0);
}

/**
 * Threads in use (1 when off), and how many kernel calls have been split
 * over them since the process started (to check what ran where).
 * @example
 * cpuThreadStats(); // { threads: 2, splitCalls: 14 }
 */
export function cpuThreadStats(): {
  /** Threads in use, this one included (1: off). */
  threads: number;
  /** Kernel calls split over threads since the process started. */
  splitCalls: number;
} {
  return { threads: pool.length + 1, splitCalls };
}
