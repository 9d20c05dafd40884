/**
 * The WebAssembly SIMD kernels of the CPU backend: one module per thread,
 * assembled from the text in wat-*.ts on first use, and a scratch area in
 * its memory that a kernel call copies its items into, runs on, and copies
 * out of.
 *
 * Why: V8 runs our scalar JS loops at ~1-1.5 multiply-adds per ns; the
 * same loops in WebAssembly with f64x2 SIMD run 2.5-4x faster on the small
 * batched factorizations, solves and mat-vecs of the QP solver, and the
 * copies in and out (memcpy speed, ~50 µs per 2.5 MB) cost far less than
 * that gain. Results differ from the JS kernels' in the last bits (the
 * sums are split across two lanes), never more.
 *
 * Where WebAssembly SIMD is missing, or a module may not be compiled
 * synchronously (a browser's main thread allows only tiny modules; there
 * it is compiled in the background and used once ready), `wasmKernels()`
 * is null and every op runs its JS kernel. `setWasmKernels(false)` turns
 * them off on this thread (tests compare both).
 *
 * Where the engine takes relaxed SIMD (WebAssembly 3.0: Chrome 114+,
 * Node 21+, or Node 20 with --experimental-wasm-relaxed-simd) and the CPU
 * fuses its multiply-add (FMA), the float32 matmul's multiply-adds are
 * relaxed SIMD's `f32x4.relaxed_madd`: about 1.3x the plain kernel at
 * 256-1024 on these machines (with a 6-row tile, wat-sgemm.ts), and each
 * multiply-add rounded once instead of twice, so float32 results then
 * differ from the plain module's in the last bits (the same bits wherever
 * usingWasmFma() agrees). `setWasmFma(false)` keeps the plain module (the
 * same bits on every engine).
 */
import { showValue } from '../../closest.js';
import { ValueError } from '../../errors.js';
import { assemble, type WasmFunc } from './assemble.js';
import { choleskyWat } from './wat-cholesky.js';
import { dgemmWat } from './wat-dgemm.js';
import { commonWat } from './wat-common.js';
import { matmulWat } from './wat-matmul.js';
import { f32CompareWat } from './wat-f32-compare.js';
import { f32ConvWat } from './wat-f32-conv.js';
import { f32ElementwiseWat } from './wat-f32-elementwise.js';
import { f32ReduceWat } from './wat-f32-reduce.js';
import { sgemmWat } from './wat-sgemm.js';
import { triangularSolveWat } from './wat-triangular-solve.js';

/**
 * Bytes 0..RING_BASE are the status area: a failing kernel leaves a value at
 * address 0.
 */
const RING_BASE = 64;
/**
 * The rest of memory is a ring that calls allocate their scratch from. A
 * copied input, or a result, stays there as the array's mirror until the
 * ring comes round again, so the next kernel that reads the same array (a
 * Cholesky factor solved against four times an iteration, a constraint
 * matrix used every iteration) skips its copy.
 *
 * The ring starts at RING_MIN and doubles (forgetting every mirror) while
 * an allocation exceeds 1/RING_DIV of it, up to RING_SIZED_MAX: small
 * problems cycle through a few MB that stay in cache, large ones keep
 * their mirrors across solver iterations. Past that it doubles, up to
 * RING_MAX, when the mirrors it loses are the ones being used: see
 * RING_LATE_DIV.
 */
const RING_MIN = 4 << 20;
const RING_SIZED_MAX = 128 << 20;
const RING_MAX = 512 << 20;
/**
 * The ring is kept at least this many times the largest allocation (up to
 * RING_SIZED_MAX), so a solver iteration's constant matrices stay mirrored
 * for several iterations (at nz 50, 8 times let 29 of 150 mirrored reads
 * of a solve be copies again, 32 times 9; the solve got ~10% faster).
 */
const RING_DIV = 32;
/**
 * The ring also doubles (up to RING_MAX) when, within one lap, the arrays
 * copied in again because their mirror had just aged out (older than half
 * a ring, younger than a ring: a ring twice the size would have kept it)
 * add up to more than 1/RING_LATE_DIV of it. The QP solver at nz 100
 * (batch 128) holds five 10 MB matrices for the whole solve and takes
 * 10 MB of scratch an iteration: in a 128 MB ring they were copied in
 * again 27 times a solve (278 MB); in 512 MB, about once.
 */
const RING_LATE_DIV = 8;
/**
 * One allocation takes at most this much (the same on every thread, so
 * whether a call runs here or in JS depends on shapes only, and results
 * are bit-identical with threads on or off): bigger calls go in chunks of
 * batch items (inChunks, copyItems), and only a single item bigger than
 * this runs the JS kernel. Nothing a call holds is overwritten during the
 * call (see `begin`).
 * @example
 * const fits = (n: number): boolean => n * n * 8 <= MAX_ALLOC; // one n×n
 */
export const MAX_ALLOC: number = RING_SIZED_MAX / 8;

/**
 * A worker of useCpuThreads gets fresh views of its inputs every task, so
 * mirrors never hit there: it keeps none, and starts its scratch afresh
 * at every task (`resetWasmScratch`), so its memory stays the size of its
 * largest task instead of growing to the whole ring.
 */
let scratchOnly = false;

/** Make this thread scratch-only (cpu-worker.ts calls it at start). */
export function useWasmScratchOnly(): void {
  scratchOnly = true;
}

/** Start this thread's scratch over (scratch-only threads, between tasks). */
export function resetWasmScratch(): void {
  if (cached) cached.reset();
}
const PAGE = 65536;
/** Bytes kept addressable past the ring (vector loads past an array's end). */
const SLACK = 64;

/**
 * The CPU backend's WebAssembly module on this thread: its functions, its
 * memory and the scratch allocator kernels use (from wasmKernels()).
 * @example
 * const k: WasmKernels | null = wasmKernels();
 * if (k !== null) {
 *   k.begin();
 *   const at = k.alloc(16); // scratch for two float64s
 *   k.f64().set([1, 2], at >> 3);
 * }
 */
export interface WasmKernels {
  /** The module's exported functions, by name. */
  readonly fn: Readonly<Record<string, (...args: number[]) => number>>;
  /**
   * Float64 view of the whole memory (a new view after growth: take it after
   * any allocation).
   */
  f64(): Float64Array;
  /** Float32 view of the whole memory (as f64(): take it after allocating). */
  f32(): Float32Array;
  /**
   * Whether this thread keeps mirrors (false in the workers of useCpuThreads).
   */
  readonly mirrors: boolean;
  /**
   * Byte address of `bytes` bytes of scratch (16-aligned), valid until
   * more than half the ring has been allocated after it; -1 if bytes >
   * MAX_ALLOC or memory cannot grow.
   */
  alloc(bytes: number): number;
  /**
   * Byte address of a float64 copy of all of `a` (f32 widened): its mirror
   * if it has one that is young enough, else a fresh copy that becomes its
   * mirror; -1 as for alloc.
   */
  resident(a: Float64Array | Float32Array): number;
  /**
   * Record the `a.length` float64s at byte address `at` as the mirror of `a`
   * (its contents equal them).
   */
  remember(a: Float64Array | Float32Array, at: number): void;
  /**
   * Byte address of a float32 copy of all of `a` (no widening): its f32
   * mirror if young enough, else a fresh copy that becomes it; -1 as for
   * alloc. The float32 kernels read their operands through this.
   */
  resident32(a: Float32Array | Int32Array): number;
  /** Record the `a.length` float32s at byte address `at` as a's f32 mirror. */
  remember32(a: Float32Array | Int32Array, at: number): void;
  /**
   * Start a call: what is allocated or handed out from here on is kept
   * from being overwritten (alloc says −1 instead) until the next begin.
   * inChunks begins every chunk.
   */
  begin(): void;
  /** Forget every allocation (scratch-only threads, between tasks). */
  reset(): void;
  /**
   * Whether the module was assembled with relaxed SIMD's fused
   * multiply-add (see the file comment).
   */
  readonly fma: boolean;
}

interface Mirror {
  /**
   * Ring position of its start (bytes allocated before it, all laps counted).
   */
  readonly pos: number;
  readonly at: number;
  /**
   * The memory it is in: another instance's mirror (a module loaded beside
   * this thread's, as tests do) is no mirror here.
   */
  readonly mem: object;
}

let mirrors = new WeakMap<object, Mirror>();
/** Float32 copies of Float32Arrays, for the float32 kernels. */
let mirrors32 = new WeakMap<object, Mirror>();

/**
 * Drop `a`'s mirrors: its memory is about to be reused or rewritten
 * (CpuBackend.free/write).
 */
export function forgetMirror(a: object): void {
  mirrors.delete(a);
  mirrors32.delete(a);
}

function forgetAllMirrors(): void {
  mirrors = new WeakMap();
  mirrors32 = new WeakMap();
}

/**
 * The parts of the WebAssembly JS API used here (the package's lib has neither
 * DOM nor Node types).
 */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
export interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (
    module: object,
    imports: object,
  ) => { readonly exports: Record<string, unknown> };
  compile(bytes: Uint8Array): Promise<object>;
}
const api: WasmApi | undefined = (globalThis as { WebAssembly?: WasmApi })
  .WebAssembly;

let enabled = true;
/** Whether the module may use relaxed SIMD's fused multiply-add. */
let fmaAllowed = true;
let cached: WasmKernels | null | undefined;

/** Functions other packages added (registerWasmKernels). */
const extra: WasmFunc[] = [];
/**
 * The names of every function in the module's set (built on first
 * registration).
 */
let names: Set<string> | undefined;
/**
 * Bumped when the function set changes, so a background compile of an older set
 * is dropped.
 */
let generation = 0;

/** Every function of every kernel file, in one module. */
function allFuncs(): WasmFunc[] {
  return [
    ...commonWat,
    ...choleskyWat,
    ...triangularSolveWat,
    ...matmulWat,
    ...dgemmWat,
    ...sgemmWat,
    ...f32ElementwiseWat,
    ...f32ReduceWat,
    ...f32CompareWat,
    ...f32ConvWat,
    ...extra,
  ];
}

/**
 * Add WebAssembly functions (text format, see WasmFunc) to the CPU
 * backend's kernel module, so a package's own kernels can run in the same
 * memory, reuse the mirrors of its inputs and call the built-in functions
 * (`$dot`, `$trsvDot`, `$trsvAxpy`, `$gemvN`, ...). Call it lazily, from
 * the kernel that needs them: idempotent by name (a name already present
 * is kept); a new name rebuilds the module on this thread at the next
 * wasmKernels() call (mirrors start over).
 * @example
 * registerWasmKernels([{
 *   name: 'myHalf', params: [['$x', 'f64']], result: 'f64',
 *   body: '(f64.mul (local.get $x) (f64.const 0.5))',
 * }]);
 * wasmKernels()?.fn.myHalf(3); // 1.5 (null: no SIMD here)
 */
export function registerWasmKernels(funcs: readonly WasmFunc[]): void {
  // Kernels call this on every call: the usual answer (all present) is a few
  // lookups.
  names ??= new Set(allFuncs().map((f) => f.name));
  const have = names;
  const fresh: WasmFunc[] = [];
  for (const f of funcs) {
    if (have.has(f.name)) continue;
    have.add(f.name);
    fresh.push(f);
  }
  if (fresh.length === 0) return;
  extra.push(...fresh);
  generation++;
  cached = undefined;
  forgetAllMirrors();
}

function instantiate(wasm: WasmApi, module: object, fma: boolean): WasmKernels {
  const inst = new wasm.Instance(module, {});
  const mem = inst.exports.mem as WasmMemory;
  let view = new Float64Array(mem.buffer);
  let view32 = new Float32Array(mem.buffer);
  /** Ring position: total bytes handed out, all laps counted. */
  let head = 0;
  let ring = RING_MIN;
  /**
   * Smallest ring position handed out (allocated or a mirror) since `begin`:
   * never overwritten before the next begin.
   */
  let pinned = Infinity;
  /** Ring position where the current lap's count of late copies began. */
  let lapStart = 0;
  /** Bytes copied in again this lap that a ring twice the size had kept. */
  let late = 0;
  /** Whether memory could not grow to a doubled ring: stop asking. */
  let capped = false;
  const f64 = (): Float64Array =>
    view.buffer === mem.buffer ? view : (view = new Float64Array(mem.buffer));
  const f32 = (): Float32Array =>
    view32.buffer === mem.buffer
      ? view32
      : (view32 = new Float32Array(mem.buffer));
  const alloc = (bytes: number): number => {
    const size = (bytes + 15) & ~15;
    if (size > MAX_ALLOC) return -1;
    if (head - lapStart > ring) {
      lapStart = head;
      late = 0;
    }
    let target = ring;
    while (size > target / RING_DIV && target < RING_SIZED_MAX) target *= 2;
    if (target === ring && late > ring / RING_LATE_DIV && ring < RING_MAX)
      target = ring * 2;
    // Only a ring that memory can hold whole: else a smaller one, or this
    // one stays and serves the allocation (a smaller ring only keeps
    // mirrors shorter). A scratch-only worker grows as its head comes (its
    // memory stays the size of its largest task; reset() starts it over).
    if (target > ring && !scratchOnly) target = reserve(target);
    if (target > ring) {
      // A bigger ring: positions start over past the old ring's end, so
      // what this call already holds (all below it) is not overwritten
      // before the head comes round; the old mirrors are forgotten.
      const old = ring;
      ring = target;
      if (pinned !== Infinity) {
        // The same memory in the new ring's positions; where what this
        // call holds ran past the old ring's end it holds [0, head % old)
        // too, and the new lap must not reach offset 0 either.
        const from = pinned % old;
        pinned = from + (head - pinned) > old ? 0 : from;
      }
      head = old;
      lapStart = head;
      late = 0;
      forgetAllMirrors();
    }
    if (size > ring) return -1; // a ring memory could not grow to
    let off = head % ring;
    let start = head;
    if (off + size > ring) {
      start += ring - off; // start the next lap
      off = 0;
    }
    // Refuse (the op then runs its JS kernel) rather than overwrite what
    // this call holds; with allocations of at most an eighth of the ring
    // and mirrors at most half a ring old, it takes 4+ allocations a call.
    if (start + size > pinned + ring) return -1;
    // SLACK past the end: the float32 kernels read whole vectors.
    const end = RING_BASE + off + size + SLACK;
    const have = mem.buffer.byteLength;
    if (end > have) {
      // Grow by at least an eighth (and 1 MiB): each growth replaces the
      // buffer.
      const want = Math.min(
        RING_BASE + ring + SLACK,
        Math.max(end, have + (have >> 3), have + (1 << 20)),
      );
      try {
        mem.grow(Math.ceil((want - have) / PAGE));
      } catch {
        return -1;
      }
    }
    head = start + size;
    pinned = Math.min(pinned, start);
    return RING_BASE + off;
  };
  /**
   * The largest of `bigger`, bigger / 2, ... above the ring that memory can
   * grow to hold whole now; the ring as it is when none can (and then no
   * more asking). (Growing the ring first and the memory later, as the
   * head came to it, left a head past the end of memory where growth then
   * failed: every later allocation was refused.)
   */
  const reserve = (bigger: number): number => {
    if (capped) return ring;
    for (let t = bigger; t > ring; t /= 2) {
      const want = RING_BASE + t + SLACK;
      const have = mem.buffer.byteLength;
      try {
        if (want > have) mem.grow(Math.ceil((want - have) / PAGE));
        return t;
      } catch {
        // try half
      }
    }
    capped = true;
    return ring;
  };
  const young = (m: Mirror): boolean => head - m.pos <= ring / 2;
  /** m if it is in this instance's memory. */
  const own = (m: Mirror | undefined): Mirror | undefined =>
    m?.mem === mem ? m : undefined;
  /** Count a copy that a mirror made within the last lap would have saved. */
  const recopied = (m: Mirror | undefined, bytes: number): void => {
    if (m !== undefined && head - m.pos <= ring) late += bytes;
  };
  /**
   * Ring position of the allocation at byte address `at` (made at most a lap
   * ago).
   */
  const posOf = (at: number): number => {
    const off = at - RING_BASE;
    const cur = head % ring;
    return head - (cur >= off ? cur - off : cur + ring - off);
  };
  return {
    fn: inst.exports as unknown as Record<
      string,
      (...args: number[]) => number
    >,
    f64,
    f32,
    get mirrors(): boolean {
      return !scratchOnly;
    },
    alloc,
    resident(a: Float64Array | Float32Array): number {
      const m = scratchOnly ? undefined : own(mirrors.get(a));
      if (m !== undefined && young(m)) {
        pinned = Math.min(pinned, m.pos);
        return m.at;
      }
      recopied(m, a.length * 8);
      const at = alloc(a.length * 8);
      if (at < 0) return -1;
      f64().set(a, at >> 3);
      if (!scratchOnly) mirrors.set(a, { pos: posOf(at), at, mem });
      return at;
    },
    remember(a: Float64Array | Float32Array, at: number): void {
      if (!scratchOnly) mirrors.set(a, { pos: posOf(at), at, mem });
    },
    resident32(a: Float32Array | Int32Array): number {
      const m = scratchOnly ? undefined : own(mirrors32.get(a));
      if (m !== undefined && young(m)) {
        pinned = Math.min(pinned, m.pos);
        return m.at;
      }
      recopied(m, a.length * 4);
      const at = alloc(a.length * 4);
      if (at < 0) return -1;
      // int32 data (comparisons) is copied as its bits
      if (a instanceof Float32Array) f32().set(a, at >> 2);
      else new Int32Array(mem.buffer, at, a.length).set(a);
      if (!scratchOnly) mirrors32.set(a, { pos: posOf(at), at, mem });
      return at;
    },
    remember32(a: Float32Array | Int32Array, at: number): void {
      if (!scratchOnly) mirrors32.set(a, { pos: posOf(at), at, mem });
    },
    begin(): void {
      pinned = Infinity;
    },
    reset(): void {
      head = 0;
      pinned = Infinity;
      lapStart = 0;
      late = 0;
    },
    fma,
  };
}

/**
 * Whether relaxed SIMD's multiply-add is fused here: the engine validates
 * it and, run on (1 + 2⁻¹²)·(1 + 2⁻¹²) − (1 + 2⁻¹¹), it gives the exact
 * 2⁻²⁴ (a multiply rounded first gives 0: the square's last bit is a tie).
 * False where the engine lacks relaxed SIMD or the CPU has no FMA (there
 * `relaxed_madd` is a multiply and an add, and the plain module is as
 * good). A module of one small function, compiled synchronously (a
 * browser's main thread allows that under 4 KB). Exported for tests.
 */
export function fusesMultiplyAdd(wasm: WasmApi): boolean {
  const probe: WasmFunc = {
    name: 'probe',
    params: [
      ['$x', 'f32'],
      ['$c', 'f32'],
    ],
    result: 'f32',
    body: `(f32x4.extract_lane 0 (f32x4.madd (f32x4.splat (local.get $x))
      (f32x4.splat (local.get $x)) (f32x4.splat (local.get $c))))`,
  };
  const bytes = assemble([probe], 1, { fma: true });
  if (!wasm.validate(bytes)) return false;
  try {
    const run = new wasm.Instance(new wasm.Module(bytes), {}).exports.probe as (
      x: number,
      c: number,
    ) => number;
    return run(1 + 2 ** -12, -(1 + 2 ** -11)) === 2 ** -24;
  } catch {
    return false;
  }
}

/**
 * The kernels from `wasm`, or null: without SIMD, or when synchronous
 * compilation is refused (a browser's main thread allows it only for
 * modules under 4 KB; ours is ~6 KB). Then the module is compiled in the
 * background and `onReady` receives the kernels (or null on failure), so
 * ops run their JS kernels until it is done. Exported for tests.
 */
export function loadKernels(
  wasm: WasmApi | undefined,
  onReady: (k: WasmKernels | null) => void,
): WasmKernels | null {
  if (wasm === undefined) return null;
  let fma = fmaAllowed && fusesMultiplyAdd(wasm);
  let bytes = assemble(allFuncs(), 16, { fma });
  if (!wasm.validate(bytes)) {
    // a fused module the engine refuses: the plain one, if that validates
    if (!fma) return null;
    fma = false;
    bytes = assemble(allFuncs(), 16);
    if (!wasm.validate(bytes)) return null;
  }
  try {
    return instantiate(wasm, new wasm.Module(bytes), fma);
  } catch {
    wasm.compile(bytes).then(
      (m) => onReady(instantiate(wasm, m, fma)),
      () => onReady(null),
    );
    return null;
  }
}

/**
 * The kernels, or null (unsupported, not ready yet, or turned off): then
 * run the JS kernel.
 * @example
 * function sumJsOrWasm(x: Float64Array): number {
 *   const k = wasmKernels();
 *   if (k === null) return x.reduce((s, v) => s + v, 0); // the JS kernel
 *   k.begin();
 *   const at = k.alloc(x.length * 8);
 *   k.f64().set(x, at >> 3);
 *   const ones = k.alloc(x.length * 8);
 *   k.f64().fill(1, ones >> 3, (ones >> 3) + x.length);
 *   return k.fn.dot(at, ones, x.length);
 * }
 */
export function wasmKernels(): WasmKernels | null {
  if (!enabled) return null;
  // null until a background compilation (see load) replaces it.
  if (cached === undefined) {
    const gen = generation;
    cached = loadKernels(api, (k) => {
      if (gen === generation) cached = k;
    });
  }
  return cached;
}

/**
 * Turn the WebAssembly kernels on or off for this thread (on by default
 * where supported). Off, every op runs its plain JS kernel; results then
 * differ in the last bits. Returns the previous setting.
 * @example
 * const was = setWasmKernels(false);
 * try {
 *   cholesky(eye(3)); // the plain JS kernel
 * } finally {
 *   setWasmKernels(was);
 * }
 */
export function setWasmKernels(on: boolean): boolean {
  checkSwitch('setWasmKernels', on);
  const was = enabled;
  enabled = on;
  return was;
}

/** A switch's argument must be a boolean (a string such as 'no' is truthy). */
function checkSwitch(op: string, on: unknown): void {
  if (typeof on !== 'boolean')
    throw new ValueError(
      'BAD_ARGUMENT',
      `${op}: on must be true or false; got ${showValue(on)}. Pass a boolean, e.g. ${op}(false).`,
    );
}

/**
 * Let the float32 WebAssembly kernels use relaxed SIMD's fused
 * multiply-add where the engine and CPU have it (true, the default), or
 * keep them to a separate multiply and add (false: the same bits on every
 * engine, as before relaxed SIMD). A setting for the program, made once at
 * its start: a change rebuilds this thread's module at its next use (~10
 * ms) and drops the copies of arrays it kept there; split ops tell their
 * workers. Returns the previous setting.
 * @example
 * setWasmFma(false); // at startup: float32 results with the same bits everywhere
 */
export function setWasmFma(on: boolean): boolean {
  checkSwitch('setWasmFma', on);
  const was = fmaAllowed;
  if (on !== was) {
    fmaAllowed = on;
    generation++;
    cached = undefined;
    forgetAllMirrors();
  }
  return was;
}

/**
 * The `setWasmFma` setting (not whether the module fuses): what split ops
 * tell their workers, so that turning the WebAssembly kernels off and on
 * around a call does not make each worker rebuild its module.
 */
export function wasmFmaAllowed(): boolean {
  return fmaAllowed;
}

/**
 * Whether the float32 WebAssembly kernels on this thread use relaxed
 * SIMD's fused multiply-add right now (false without relaxed SIMD or on a
 * CPU without FMA, with the WebAssembly kernels off, or after
 * `setWasmFma(false)`).
 * @example
 * console.log(`float32 matmul: ${usingWasmFma() ? 'fused' : 'plain'} multiply-add`);
 */
export function usingWasmFma(): boolean {
  return wasmKernels()?.fma ?? false;
}

/**
 * Whether ops on this thread use the WebAssembly kernels right now (false
 * where WebAssembly SIMD is missing, or after `setWasmKernels(false)`).
 * @example
 * if (!usingWasmKernels()) console.warn('plain JS kernels: slower solves');
 */
export function usingWasmKernels(): boolean {
  return wasmKernels() !== null;
}

/**
 * Runs `body(s, e, at)` over [start, end) in chunks of items whose
 * scratch (`itemBytes` each, at byte address `at`) fits MAX_ALLOC.
 * Returns false if an item alone does not fit, memory cannot grow, or the
 * body returns false (out of memory itself): then the caller runs its JS
 * kernel on the whole range, overwriting whatever was written.
 * `perItemMax` (≥ itemBytes) bounds the chunk for the body's own
 * allocations (copyItems) too.
 * @example
 * // items of n float64s, copied to scratch chunk by chunk
 * function copyIn(k: WasmKernels, x: Float64Array, n: number): boolean {
 *   return inChunks(k, n * 8, 0, x.length / n, (s, e, at) => {
 *     k.f64().set(x.subarray(s * n, e * n), at >> 3);
 *   });
 * }
 */
export function inChunks(
  k: WasmKernels,
  itemBytes: number,
  start: number,
  end: number,
  body: (s: number, e: number, at: number) => boolean | void,
  perItemMax: number = itemBytes,
): boolean {
  const per = Math.floor(MAX_ALLOC / Math.max(16, itemBytes, perItemMax));
  if (per < 1) return false;
  for (let s = start; s < end; s += per) {
    const e = Math.min(end, s + per);
    k.begin();
    const at = k.alloc((e - s) * itemBytes);
    if (at < 0 || body(s, e, at) === false) return false;
  }
  return true;
}

/**
 * Copies the items map[s..e) of `data` (`itemElems` each, f32 widened)
 * into fresh scratch. Returns the byte address of output item s's operand
 * and the byte stride to the next item's: one copy and stride 0 when all
 * are the same item, else item t's copy in slot t − s. −1 if no memory.
 * @example
 * function itemsOf(k: WasmKernels, x: CpuTensor, out: CpuTensor): number {
 *   const map = batchMap(x.shape.slice(0, -2), out.shape.slice(0, -2));
 *   const n = x.shape[x.shape.length - 1];
 *   const [at] = copyItems(k, x.data as Float64Array, map, 0, 1, n * n);
 *   return at; // item 0's copy, or -1
 * }
 */
export function copyItems(
  k: WasmKernels,
  data: Float64Array | Float32Array,
  map: Int32Array,
  s: number,
  e: number,
  itemElems: number,
): [at: number, stride: number] {
  const step = mapStride(map, s, e, 1);
  const at = k.alloc((step === 0 ? 1 : e - s) * itemElems * 8);
  if (at < 0) return [-1, 0];
  const mem = k.f64();
  const base = at >> 3;
  if (step === 0) {
    mem.set(data.subarray(map[s] * itemElems, (map[s] + 1) * itemElems), base);
    return [at, 0];
  }
  if (step === 1)
    mem.set(
      data.subarray(map[s] * itemElems, (map[s] + e - s) * itemElems),
      base,
    );
  else
    for (let t = s; t < e; t++)
      mem.set(
        data.subarray(map[t] * itemElems, (map[t] + 1) * itemElems),
        base + (t - s) * itemElems,
      );
  return [at, itemElems * 8];
}

/**
 * An operand of a batched kernel for output items [s, e): its mirror (the
 * whole array, kept for the next call) where this thread keeps mirrors
 * and the array fits one allocation, else a copy of just those items.
 * Returns [byte address of item s's operand, byte stride], or −1.
 * @example
 * function operandOf(k: WasmKernels, l: CpuTensor, out: CpuTensor): number {
 *   const map = batchMap(l.shape.slice(0, -2), out.shape.slice(0, -2));
 *   const n = l.shape[l.shape.length - 1];
 *   const [lAt] = operand(k, l.data as Float64Array, map, 0, 1, n * n);
 *   return lAt;
 * }
 */
export function operand(
  k: WasmKernels,
  data: Float64Array | Float32Array,
  map: Int32Array,
  s: number,
  e: number,
  itemElems: number,
): [at: number, stride: number] {
  if (k.mirrors && data.length * 8 <= MAX_ALLOC) {
    const at = k.resident(data);
    const stride = mapStride(map, s, e, itemElems * 8);
    if (at >= 0 && stride >= 0) return [at + map[s] * itemElems * 8, stride];
  }
  return copyItems(k, data, map, s, e, itemElems);
}

/**
 * The byte stride between the batch items map[s..e) select, when it is
 * one: `itemBytes` if they are consecutive, 0 if all the same item; −1
 * otherwise (the caller loops over items itself).
 */
export function mapStride(
  map: Int32Array,
  s: number,
  e: number,
  itemBytes: number,
): number {
  if (e - s <= 1) return 0;
  const step = map[s + 1] - map[s];
  if (step !== 0 && step !== 1) return -1;
  for (let t = s + 2; t < e; t++) if (map[t] - map[t - 1] !== step) return -1;
  return step * itemBytes;
}

/**
 * Scales a kernel's thread-split cost while the WebAssembly kernels are
 * on: they do the same flops 3-5x faster, so a split pays off only for
 * calls that much bigger; a mat-vec or one-column solve (memory-bound,
 * its matrix usually a mirror here but copied by a worker) almost never.
 */
export function wasmCostScale(matVec: boolean): number {
  return wasmKernels() === null ? 1 : matVec ? 0.05 : 0.25;
}
