/**
 * slice(x, specs): NumPy basic slicing, one {start, stop, step} per leading
 * axis (missing axes are taken whole; negative indices and steps allowed).
 * sliceScatter(g, {shape, specs}): the transpose, g written into zeros of
 * `shape` at the sliced positions (the VJP of slice).
 */
import { ShapeError } from '../errors.js';
import { defineOp, type KernelOp } from '../op.js';
import { fmtShape, stridesOf, type Shape } from '../shape.js';
import { copyStrided } from './permute.js';

/**
 * One axis of a slice, as NumPy's `start:stop:step` (negative indices
 * count from the end; null or missing takes the default).
 * @example
 * const everyOther: SliceSpec = { step: 2 };
 * slice(tensor([0, 1, 2, 3, 4]), [everyOther]); // [0, 2, 4]
 */
export interface SliceSpec {
  /** First index (default 0, or the end for a negative step). */
  readonly start?: number | null;
  /** Stop before this index (default: past the end). */
  readonly stop?: number | null;
  /** Step (default 1; negative walks backwards; never 0). */
  readonly step?: number | null;
}

/**
 * Attributes of the slice primitive.
 * @example
 * const attrs: SliceAttrs = { specs: [{ start: 1 }] };
 * apply1(primitives.slice, [tensor([1, 2, 3])], attrs); // [2, 3]
 */
export interface SliceAttrs {
  /** One spec per leading axis; the others are taken whole. */
  readonly specs: readonly SliceSpec[];
}

/**
 * Attributes of the sliceScatter primitive (slice's transpose).
 * @example
 * const attrs: SliceScatterAttrs = { shape: [3], specs: [{ start: 1 }] };
 * apply1(primitives.sliceScatter, [ones([2])], attrs); // [0, 1, 1]
 */
export interface SliceScatterAttrs {
  /** Shape of the tensor that was sliced (the output shape). */
  readonly shape: readonly number[];
  /** The specs of the slice whose positions are written. */
  readonly specs: readonly SliceSpec[];
}

/** Resolved slice of one axis: first index, step and element count. */
export interface ResolvedSlice {
  readonly start: number;
  readonly step: number;
  readonly len: number;
}

function isIndex(v: number | null | undefined): boolean {
  return v === undefined || v === null || Number.isInteger(v);
}

/**
 * Resolve specs against `shape` with NumPy semantics (clamping out-of-range
 * bounds).
 */
export function resolveSlices(
  op: string,
  shape: Shape,
  specs: readonly SliceSpec[],
): ResolvedSlice[] {
  if (specs.length > shape.length) {
    throw new ShapeError(
      'BAD_ARGUMENT',
      `${op}: at most one spec per axis; got ${specs.length} specs for shape ${fmtShape(shape)}.`,
    );
  }
  return shape.map((n, a) => {
    const s = specs[a] ?? {};
    const step = s.step ?? 1;
    if (
      !isIndex(s.start) ||
      !isIndex(s.stop) ||
      !Number.isInteger(step) ||
      step === 0
    ) {
      throw new ShapeError(
        'BAD_ARGUMENT',
        `${op}: start/stop/step must be integers and step non-zero; got {start: ${s.start}, stop: ${s.stop}, step: ${s.step}} on axis ${a}.`,
      );
    }
    const norm = (v: number): number => (v < 0 ? v + n : v);
    if (step > 0) {
      const start = Math.min(
        Math.max(s.start == null ? 0 : norm(s.start), 0),
        n,
      );
      const stop = Math.min(Math.max(s.stop == null ? n : norm(s.stop), 0), n);
      return {
        start,
        step,
        len: Math.max(0, Math.ceil((stop - start) / step)),
      };
    }
    const start = Math.min(
      Math.max(s.start == null ? n - 1 : norm(s.start), -1),
      n - 1,
    );
    const stop = Math.min(
      Math.max(s.stop == null ? -1 : norm(s.stop), -1),
      n - 1,
    );
    return { start, step, len: Math.max(0, Math.ceil((start - stop) / -step)) };
  });
}

/** Strides and base offset of the sliced view into a contiguous `shape`. */
export function sliceView(
  shape: Shape,
  rs: readonly ResolvedSlice[],
): { strides: number[]; base: number } {
  const st = stridesOf(shape);
  let base = 0;
  const strides = rs.map((r, a) => {
    if (r.len > 0) base += r.start * st[a];
    return st[a] * r.step;
  });
  return { strides, base };
}

/** out[base + Σ idx·strides] = src[i] for every row-major index of srcShape. */
export function scatterStrided(
  out: { [i: number]: number },
  src: { [i: number]: number; length: number },
  srcShape: Shape,
  strides: readonly number[],
  base: number,
): void {
  const r = srcShape.length;
  const size = src.length;
  if (size === 0) return;
  const idx = new Array<number>(r).fill(0);
  let off = base;
  for (let i = 0; i < size; i++) {
    out[off] = src[i];
    for (let a = r - 1; a >= 0; a--) {
      idx[a]++;
      off += strides[a];
      if (idx[a] < srcShape[a]) break;
      off -= strides[a] * idx[a];
      idx[a] = 0;
    }
  }
}

export const slice: KernelOp<SliceAttrs> = defineOp<SliceAttrs>({
  name: 'slice',
  shape: ([x], { specs }) => [
    {
      shape: resolveSlices('slice', x.shape, specs).map((r) => r.len),
      dtype: x.dtype,
    },
  ],
  cpu: ([x], [y], { specs }) => {
    if (y.data.length === 0) return;
    const { strides, base } = sliceView(
      x.shape,
      resolveSlices('slice', x.shape, specs),
    );
    copyStrided(y.data, y.shape, x.data, strides, base);
  },
});

export const sliceScatter: KernelOp<SliceScatterAttrs> =
  defineOp<SliceScatterAttrs>({
    name: 'sliceScatter',
    shape: ([g], { shape, specs }) => {
      const want = resolveSlices('sliceScatter', shape, specs).map(
        (r) => r.len,
      );
      if (
        want.length !== g.shape.length ||
        want.some((n, i) => n !== g.shape[i])
      ) {
        throw new ShapeError(
          'SHAPE_MISMATCH',
          `sliceScatter: g must have the slice's shape ${fmtShape(want)}; got ${fmtShape(g.shape)}.`,
        );
      }
      return [{ shape: [...shape], dtype: g.dtype }];
    },
    cpu: ([g], [y], { shape, specs }) => {
      const { strides, base } = sliceView(
        shape,
        resolveSlices('sliceScatter', shape, specs),
      );
      scatterStrided(y.data, g.data, g.shape, strides, base);
    },
  });
