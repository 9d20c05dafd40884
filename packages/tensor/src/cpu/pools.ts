/**
 * Memory of the CPU backend: recycled plain arrays, recycled
 * SharedArrayBuffers (while threads are on), and the count of tensors
 * sharing one array (reshapes), so the last holder's free recycles it.
 */
import {
  allocArray,
  arrayView,
  bytesPerElement,
  dtypeOfArray,
  type DType,
  type TypedArray,
} from '../dtype.js';

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
 * Whether `data` lives on a SharedArrayBuffer. A browser page without
 * cross-origin isolation has no SharedArrayBuffer at all (no threads
 * there), so the name is checked before it is used.
 * @example
 * isShared(new Float64Array(4)); // false
 */
export function isShared(data: TypedArray): boolean {
  return (
    typeof SharedArrayBuffer !== 'undefined' &&
    data.buffer instanceof SharedArrayBuffer
  );
}

/**
 * `dispose` of a whole shared array: its memory goes to the pool (the
 * tensor no longer uses it). Also used by the thread runner for its
 * temporary outputs.
 */
export function releaseShared(data: TypedArray): void {
  if (!isShared(data)) return;
  const sab = data.buffer as SharedArrayBuffer;
  const bytes = sab.byteLength;
  if (bytes < POOL_MIN_BYTES || pooledBytes + bytes > POOL_MAX_BYTES) return;
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
 * Only disposed arrays come here, so reuse cannot alias live data (reads
 * copy; `data({ copy: false })` hands out a tensor's own storage only for
 * as long as the tensor lives, which its contract says).
 */
const plainPool = new Map<string, TypedArray[]>();
/** What is in plainPool, so a second free of one array cannot pool it twice. */
const inPlainPool = new WeakSet<TypedArray>();
const PLAIN_MIN_SIZE = 64;
/** A solver step disposes a few hundred [nBatch, n] arrays at once. */
const PLAIN_MAX_PER_KEY = 256;
const PLAIN_MAX_BYTES = 1 << 26;
let plainBytes = 0;

/**
 * A zero-filled array: a recycled one of this dtype and size, or new. With
 * `zero` false a recycled one keeps its old contents (for a kernel that
 * overwrites them all).
 */
export function takePlain(
  dtype: DType,
  size: number,
  zero: boolean = true,
): TypedArray {
  if (size < PLAIN_MIN_SIZE) return allocArray(dtype, size);
  const a = plainPool.get(`${dtype}${size}`)?.pop();
  if (a === undefined) return allocArray(dtype, size);
  inPlainPool.delete(a);
  plainBytes -= a.byteLength;
  return zero ? a.fill(0) : a;
}

/** A freed plain array goes to the pool (within its limits). */
export function releasePlain(data: TypedArray): void {
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

/**
 * A zero-filled array of `size` elements for `dtype` on a SharedArrayBuffer.
 */
export function allocShared(dtype: DType, size: number): TypedArray {
  return arrayView(dtype, takeShared(size * bytesPerElement(dtype)), 0, size);
}

/**
 * Empty the shared pool (threads turned off: plain arrays serve again).
 */
export function clearSharedPool(): void {
  sharedPool.clear();
  pooledBytes = 0;
}

/** One more tensor holds `data` (a reshape shares it). */
export function addHolder(data: TypedArray): void {
  extraHolders.set(data, (extraHolders.get(data) ?? 0) + 1);
}

/**
 * A holder frees `data`: true when it was the last one (the array may be
 * recycled), false when another tensor still holds it.
 */
export function dropHolder(data: TypedArray): boolean {
  const extra = extraHolders.get(data);
  if (extra === undefined) return true;
  if (extra > 1) extraHolders.set(data, extra - 1);
  else extraHolders.delete(data);
  return false;
}
