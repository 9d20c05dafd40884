/**
 * regularizedCholesky(A, unit): a Cholesky factorization that never throws.
 * For each matrix b it factors A_b + unit_b·boosts[k]·I for k = 0, 1, ...
 * and keeps the first that succeeds; the second output, `level`, says
 * which k that was, or −1 when every try broke down (then L_b = I, so
 * whatever is solved with it stays finite). A NaN or Inf in the lower
 * triangle (the part it reads) fails every try of its own matrix, and only
 * of its own.
 *
 * Why: an algorithm that factors a batch of nearly singular matrices (an
 * interior-point solver near its solution) must not stop, or retry the
 * whole batch, because one item's pivot went negative by round-off; on a
 * device a kernel cannot throw at all. Here each item retries alone, with
 * more regularization, and the result says per item what happened.
 *
 * Reference kernel: a plain JS left-looking Cholesky in float64 per item
 * (the CPU backend runs cpu/kernels/regularized-cholesky.ts instead, with
 * WebAssembly where it can).
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

/**
 * The attributes of `regularizedCholesky`.
 * @example
 * const attrs: RegularizedCholeskyAttrs = { boosts: [0, 1, 1e3] };
 */
export interface RegularizedCholeskyAttrs {
  /**
   * Multiples of `unit` added to the diagonal, tried in order, for
   * example 0, 1, 1e3, 1e6 (the first try adds nothing).
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

/**
 * Where item t of the output reads A and unit (broadcast batch maps).
 * @example const { a, u } = mapsOf(A, unit, L);
 */
export interface Maps {
  readonly a: Int32Array;
  readonly u: Int32Array;
}

export function mapsOf(a: TensorMeta, unit: TensorMeta, l: TensorMeta): Maps {
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
export function load(
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
export function retry(
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

const batch: CpuBatch<RegularizedCholeskyAttrs> = {
  items: (_inputs, [l]) => sizeOf(l.shape.slice(0, -2)),
  cost: (_inputs, [l]) =>
    (sizeOf(l.shape.slice(0, -2)) * l.shape[l.shape.length - 1] ** 3) / 3,
  run: ([a, unit], [l, level], { boosts }, start, end) =>
    runJs(a, unit, l, level, boosts, start, end),
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
