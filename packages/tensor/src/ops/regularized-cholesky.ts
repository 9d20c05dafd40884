/**
 * regularizedCholesky(A, unit): a Cholesky factorization that never throws.
 * For each matrix b it factors A_b + unit_b·boosts[k]·I for k = 0, 1, ...
 * and keeps the first that succeeds; the second output, `level`, says
 * which k that was, or −1 when every try broke down (then L_b = I, so
 * whatever is solved with it stays finite). A NaN or Inf entry fails every
 * try of its own matrix, and only of its own.
 *
 * Why: an algorithm that factors a batch of nearly singular matrices (an
 * interior-point solver near its solution) must not stop, or retry the
 * whole batch, because one item's pivot went negative by round-off; on a
 * device a kernel cannot throw at all. Here each item retries alone, with
 * more regularization, and the result says per item what happened.
 *
 * Kernel: the WebAssembly `cholBatch` of the plain cholesky on the items
 * (each retry one `chol` on a fresh copy), or a plain JS left-looking
 * Cholesky in float64 where WebAssembly is missing.
 */
import { assertFloat, assertSameDType } from '../dtype.js';
import { ShapeError, ValueError } from '../errors.js';
import {
  defineOp,
  runAll,
  type CpuBatch,
  type CpuTensor,
  type KernelOp,
  type TensorMeta,
} from '../op.js';
import { broadcastNamed, fmtShape, sizeOf } from '../shape.js';
import { squareSize } from './cholesky.js';
import { batchMap } from './triangular-solve.js';
import {
  inChunks,
  wasmCostScale,
  wasmKernels,
  type WasmKernels,
} from '../wasm/runtime.js';

export interface RegularizedCholeskyAttrs {
  /**
   * Multiples of `unit` added to the diagonal, tried in order (e.g.
   * [0, 1, 1e3, 1e6]: first none).
   */
  readonly boosts: readonly number[];
}

type Data = Float64Array | Float32Array;

/**
 * Factor the lower triangle of the n×n matrix at `o` of `w` in place,
 * float64, without throwing. Returns −1, or the first pivot that is not in
 * (0, ∞) (NaN included).
 */
function factorInPlace(w: Float64Array, o: number, n: number): number {
  for (let j = 0; j < n; j++) {
    const rj = o + j * n;
    let d = w[rj + j];
    for (let k = 0; k < j; k++) d -= w[rj + k] * w[rj + k];
    if (!(d > 0 && d < Infinity)) return j;
    const ljj = Math.sqrt(d);
    w[rj + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = o + i * n;
      let s = w[ri + j];
      for (let k = 0; k < j; k++) s -= w[ri + k] * w[rj + k];
      w[ri + j] = s / ljj;
    }
  }
  return -1;
}

/** Where item t of the output reads A and unit (broadcast batch maps). */
interface Maps {
  readonly a: Int32Array;
  readonly u: Int32Array;
}

function mapsOf(a: TensorMeta, unit: TensorMeta, l: TensorMeta): Maps {
  const out = l.shape.slice(0, -2);
  return {
    a: batchMap(a.shape.slice(0, -2), out),
    u: batchMap(unit.shape.slice(0, -1), out),
  };
}

/**
 * Copy the lower triangle of A's item `ai` into `w` at `o` with `shift`
 * added to its diagonal; the strict upper triangle becomes 0.
 */
function load(
  src: ArrayLike<number>,
  ai: number,
  w: Float64Array,
  o: number,
  n: number,
  shift: number,
): void {
  const s0 = ai * n * n;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k <= i; k++) w[o + i * n + k] = src[s0 + i * n + k];
    for (let k = i + 1; k < n; k++) w[o + i * n + k] = 0;
    w[o + i * n + i] += shift;
  }
}

/** The identity in `w` at `o`: the factor of an item that broke down. */
function identity(w: Float64Array, o: number, n: number): void {
  w.fill(0, o, o + n * n);
  for (let i = 0; i < n; i++) w[o + i * n + i] = 1;
}

/**
 * One item in `w` at `o`: try each boost (the first, boosts[0], may be
 * given as already factored by `first`, a pivot index or −1); returns the
 * level. `factor` factors in place and returns −1 or the failing pivot.
 */
function retry(
  w: Float64Array,
  o: number,
  n: number,
  load1: (shift: number) => void,
  unit: number,
  boosts: readonly number[],
  first: number,
  factor: () => number,
): number {
  if (first < 0) return 0;
  for (let k = 1; k < boosts.length; k++) {
    load1(unit * boosts[k]);
    if (factor() < 0) return k;
  }
  identity(w, o, n);
  return -1;
}

/** Items [start, end) in plain JS (float64 work array per item). */
function runJs(
  a: CpuTensor,
  unit: CpuTensor,
  l: CpuTensor,
  level: CpuTensor,
  boosts: readonly number[],
  start: number,
  end: number,
): void {
  const n = l.shape[l.shape.length - 1];
  const nn = n * n;
  const maps = mapsOf(a, unit, l);
  const w = new Float64Array(nn);
  for (let t = start; t < end; t++) {
    const u = unit.data[maps.u[t]];
    const load1 = (shift: number) => load(a.data, maps.a[t], w, 0, n, shift);
    load1(u * boosts[0]);
    const first = factorInPlace(w, 0, n);
    const factor = () => factorInPlace(w, 0, n);
    level.data[t] = retry(w, 0, n, load1, u, boosts, first, factor);
    (l.data as Data).set(w, t * nn);
  }
}

/**
 * Items [start, end) in WebAssembly: a chunk is copied in and factored by
 * cholBatch; from an item that fails, that item is retried alone (each
 * try a fresh copy, `chol`, `zeroUpper`) and cholBatch goes on after it.
 * False when no scratch memory could be had (then the JS kernel runs).
 */
function runWasm(
  wk: WasmKernels,
  a: CpuTensor,
  unit: CpuTensor,
  l: CpuTensor,
  level: CpuTensor,
  boosts: readonly number[],
  start: number,
  end: number,
): boolean {
  const n = l.shape[l.shape.length - 1];
  const nn = n * n;
  const maps = mapsOf(a, unit, l);
  const L = l.data as Data;
  return inChunks(wk, nn * 8, start, end, (s, e, at) => {
    const mem = wk.f64();
    const base = at >> 3;
    for (let t = s; t < e; t++)
      load(
        a.data,
        maps.a[t],
        mem,
        base + (t - s) * nn,
        n,
        unit.data[maps.u[t]] * boosts[0],
      );
    let t = s;
    while (t < e) {
      const bad = wk.fn.cholBatch(at + (t - s) * nn * 8, n, e - t);
      const stop = bad < 0 ? e : t + bad;
      for (; t < stop; t++) level.data[t] = 0;
      if (bad < 0) break;
      const o = base + (t - s) * nn;
      const p = at + (t - s) * nn * 8;
      const u = unit.data[maps.u[t]];
      const load1 = (shift: number) =>
        load(a.data, maps.a[t], mem, o, n, shift);
      const factor = () => {
        const j = wk.fn.chol(p, n);
        if (j < 0) wk.fn.zeroUpper(p, n);
        return j;
      };
      level.data[t] = retry(mem, o, n, load1, u, boosts, 0, factor);
      t++;
    }
    L.set(mem.subarray(base, base + (e - s) * nn), s * nn);
    // A float64 factor made in one piece stays as its mirror, for solves.
    if (L instanceof Float64Array && (e - s) * nn === L.length)
      wk.remember(L, at);
  });
}

const batch: CpuBatch<RegularizedCholeskyAttrs> = {
  items: (_inputs, [l]) => sizeOf(l.shape.slice(0, -2)),
  cost: (_inputs, [l]) =>
    (wasmCostScale(false) *
      sizeOf(l.shape.slice(0, -2)) *
      l.shape[l.shape.length - 1] ** 3) /
    3,
  run: ([a, unit], [l, level], { boosts }, start, end) => {
    const wk = wasmKernels();
    if (wk !== null && runWasm(wk, a, unit, l, level, boosts, start, end))
      return;
    runJs(a, unit, l, level, boosts, start, end);
  },
};

function shape(
  [a, unit]: readonly TensorMeta[],
  { boosts }: RegularizedCholeskyAttrs,
): TensorMeta[] {
  assertFloat('regularizedCholesky', a.dtype, 'A');
  const dtype = assertSameDType(
    'regularizedCholesky',
    [a.dtype, unit.dtype],
    ['A', 'unit'],
  );
  const n = squareSize('regularizedCholesky', a.shape, 'A');
  if (unit.shape.length < 1 || unit.shape[unit.shape.length - 1] !== 1) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `regularizedCholesky: unit must be [..., 1], one per matrix of A; got A${fmtShape(a.shape)}, unit${fmtShape(unit.shape)}. ` +
        `Reduce it with max(-1, true).`,
    );
  }
  if (boosts.length === 0 || !boosts.every((b) => b >= 0 && b < Infinity)) {
    throw new ValueError(
      'BAD_ARGUMENT',
      `regularizedCholesky: boosts must be finite numbers ≥ 0, at least one; got [${boosts.join(', ')}]. ` +
        `Pass e.g. [0, 1, 1e3].`,
    );
  }
  const b = broadcastNamed(
    'regularizedCholesky',
    [a.shape.slice(0, -2), unit.shape.slice(0, -1)],
    ['A', 'unit'],
  );
  return [
    { shape: [...b, n, n], dtype },
    { shape: [...b, 1], dtype },
  ];
}

export const regularizedCholesky: KernelOp<RegularizedCholeskyAttrs> =
  defineOp<RegularizedCholeskyAttrs>({
    name: 'regularizedCholesky',
    shape,
    cpuBatch: batch,
    cpu: runAll(batch),
    // Every item is a factor or the identity; levels are small integers.
    finiteOutputs: true,
  });
