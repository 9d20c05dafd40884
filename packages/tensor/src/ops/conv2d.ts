/**
 * conv2d(x, w): 2-D cross-correlation, NCHW. x [N, C, H, W], w [O, C/groups,
 * kh, kw] → y [N, O, Ho, Wo], Ho = ⌊(H + 2·ph − dh·(kh−1) − 1)/sh⌋ + 1.
 * Computed per image and group as W_g·im2col(x) with the matmul kernel.
 * conv2dGradInput (col2im of W_gᵀ·g) and conv2dGradWeight (g·colsᵀ) are
 * its two VJPs, primitives of their own.
 */
import { assertFloat, assertSameDType } from '../dtype.js';
import { ShapeError } from '../errors.js';
import {
  defineOp,
  runAll,
  type CpuBatch,
  type KernelOp,
  type TensorMeta,
} from '../op.js';
import { fmtShape, sizeOf, type Shape } from '../shape.js';
import { asF64, gemmAcc } from './matmul.js';

/**
 * Attributes of the conv2d primitive (`conv2dAttrs` fills them from the
 * user's options).
 * @example
 * const attrs: Conv2dAttrs = conv2dAttrs({ padding: 1 });
 * apply1(primitives.conv2d, [ones([1, 1, 4, 4]), ones([2, 1, 3, 3])], attrs);
 * // [1, 2, 4, 4]
 */
export interface Conv2dAttrs {
  /** Step between kernel positions, [sh, sw]. */
  readonly stride: readonly [number, number];
  /** Zeros added on each side, [ph, pw]. */
  readonly padding: readonly [number, number];
  /** Spacing between kernel taps, [dh, dw]. */
  readonly dilation: readonly [number, number];
  /** Channel groups. */
  readonly groups: number;
}

/**
 * conv2dGradInput: also the spatial size [H, W] of x.
 * @example
 * const attrs: Conv2dGradInputAttrs = {
 *   ...conv2dAttrs({ padding: 1 }), inputSize: [4, 4],
 * };
 */
export interface Conv2dGradInputAttrs extends Conv2dAttrs {
  /** [H, W] of the convolution's input. */
  readonly inputSize: readonly [number, number];
}

/**
 * conv2dGradWeight: also the kernel size [kh, kw] of w.
 * @example
 * const attrs: Conv2dGradWeightAttrs = {
 *   ...conv2dAttrs({ padding: 1 }), kernelSize: [3, 3],
 * };
 */
export interface Conv2dGradWeightAttrs extends Conv2dAttrs {
  /** [kh, kw] of the convolution's weight. */
  readonly kernelSize: readonly [number, number];
}

function checkAttrs(op: string, a: Conv2dAttrs): void {
  const ok = (v: number, min: number): boolean =>
    Number.isInteger(v) && v >= min;
  const bad = (
    what: string,
    v: readonly number[] | number,
    rule: string,
  ): never => {
    throw new ShapeError(
      'BAD_ARGUMENT',
      `${op}: ${what} must be ${rule}; got ${Array.isArray(v) ? fmtShape(v as number[]) : String(v)}.`,
    );
  };
  if (!a.stride.every((v) => ok(v, 1)))
    bad('stride', a.stride, 'positive integers');
  if (!a.padding.every((v) => ok(v, 0)))
    bad('padding', a.padding, 'non-negative integers');
  if (!a.dilation.every((v) => ok(v, 1)))
    bad('dilation', a.dilation, 'positive integers');
  if (!ok(a.groups, 1)) bad('groups', a.groups, 'a positive integer');
}

/** Output spatial size; throws when the (dilated) kernel does not fit. */
function outSize(
  op: string,
  h: number,
  w: number,
  kh: number,
  kw: number,
  a: Conv2dAttrs,
): [number, number] {
  const ho =
    Math.floor(
      (h + 2 * a.padding[0] - a.dilation[0] * (kh - 1) - 1) / a.stride[0],
    ) + 1;
  const wo =
    Math.floor(
      (w + 2 * a.padding[1] - a.dilation[1] * (kw - 1) - 1) / a.stride[1],
    ) + 1;
  if (ho < 1 || wo < 1) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `${op}: the dilated kernel must fit in the padded input; got input [${h}, ${w}], kernel [${kh}, ${kw}], ` +
        `padding [${a.padding.join(', ')}], dilation [${a.dilation.join(', ')}]. Add padding or use a smaller kernel.`,
    );
  }
  return [ho, wo];
}

/** Validate x [N,C,H,W] and w [O,C/g,kh,kw]; return y's shape. */
function convShape(op: string, x: Shape, w: Shape, a: Conv2dAttrs): number[] {
  checkAttrs(op, a);
  if (x.length !== 4 || w.length !== 4) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `${op}: x and w must be 4-D (NCHW, [O, C/groups, kh, kw]); got x${fmtShape(x)} and w${fmtShape(w)}.`,
    );
  }
  const g = a.groups;
  if (x[1] % g !== 0 || w[0] % g !== 0 || w[1] * g !== x[1]) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `${op}: channels must agree: x.shape[1] = w.shape[1]·groups, both C and O divisible by groups; ` +
        `got x${fmtShape(x)}, w${fmtShape(w)}, groups ${g}.`,
    );
  }
  const [ho, wo] = outSize(op, x[2], x[3], w[2], w[3], a);
  return [x[0], w[0], ho, wo];
}

/**
 * A conv call's sizes: batch n, channels c, input h × w, output channels o,
 * kernel kh × kw, output ho × wo, per group cg in and og out channels,
 * kk = cg·kh·kw rows of cols and l = ho·wo columns.
 * @example const { kk, l } = geometry(x.shape, w.shape, y.shape, 1);
 */
export interface Geometry {
  n: number;
  c: number;
  h: number;
  w: number;
  o: number;
  kh: number;
  kw: number;
  ho: number;
  wo: number;
  cg: number;
  og: number;
  kk: number;
  l: number;
}

/**
 * The Geometry of a conv with input x, weight w and output y shapes.
 * @example geometry([1, 1, 4, 4], [2, 1, 3, 3], [1, 2, 2, 2], 1).kk; // 9
 */
export function geometry(
  x: Shape,
  w: Shape,
  y: Shape,
  groups: number,
): Geometry {
  const cg = x[1] / groups;
  const og = w[0] / groups;
  return {
    n: x[0],
    c: x[1],
    h: x[2],
    w: x[3],
    o: w[0],
    kh: w[2],
    kw: w[3],
    ho: y[2],
    wo: y[3],
    cg,
    og,
    kk: cg * w[2] * w[3],
    l: y[2] * y[3],
  };
}

/** cols [Cg·kh·kw, Ho·Wo] of image `img`, group `gi` (zero padding). */
function im2col(
  X: Float64Array,
  G: Geometry,
  a: Conv2dAttrs,
  img: number,
  gi: number,
  cols: Float64Array,
): void {
  const [sh, sw] = a.stride;
  const [ph, pw] = a.padding;
  const [dh, dw] = a.dilation;
  let row = 0;
  for (let c = 0; c < G.cg; c++) {
    const xo = (img * G.c + gi * G.cg + c) * G.h * G.w;
    for (let i = 0; i < G.kh; i++) {
      for (let j = 0; j < G.kw; j++, row++) {
        const ro = row * G.l;
        for (let oh = 0; oh < G.ho; oh++) {
          const ih = oh * sh - ph + i * dh;
          const base = ro + oh * G.wo;
          if (ih < 0 || ih >= G.h) {
            for (let ow = 0; ow < G.wo; ow++) cols[base + ow] = 0;
            continue;
          }
          const xr = xo + ih * G.w;
          for (let ow = 0; ow < G.wo; ow++) {
            const iw = ow * sw - pw + j * dw;
            cols[base + ow] = iw >= 0 && iw < G.w ? X[xr + iw] : 0;
          }
        }
      }
    }
  }
}

/** dx[img, group gi] += col2im(cols). */
function col2im(
  cols: Float64Array,
  G: Geometry,
  a: Conv2dAttrs,
  img: number,
  gi: number,
  DX: Float64Array,
): void {
  const [sh, sw] = a.stride;
  const [ph, pw] = a.padding;
  const [dh, dw] = a.dilation;
  let row = 0;
  for (let c = 0; c < G.cg; c++) {
    const xo = (img * G.c + gi * G.cg + c) * G.h * G.w;
    for (let i = 0; i < G.kh; i++) {
      for (let j = 0; j < G.kw; j++, row++) {
        const ro = row * G.l;
        for (let oh = 0; oh < G.ho; oh++) {
          const ih = oh * sh - ph + i * dh;
          if (ih < 0 || ih >= G.h) continue;
          const base = ro + oh * G.wo;
          const xr = xo + ih * G.w;
          for (let ow = 0; ow < G.wo; ow++) {
            const iw = ow * sw - pw + j * dw;
            if (iw >= 0 && iw < G.w) DX[xr + iw] += cols[base + ow];
          }
        }
      }
    }
  }
}

function f64Out(d: {
  data: Float32Array | Float64Array | Int32Array | Uint8Array;
}): Float64Array {
  return d.data instanceof Float64Array
    ? d.data
    : new Float64Array(d.data.length);
}

/**
 * Images [start, end) of a batched output: writes straight into a float64
 * output, else through float64 scratch for those images only (`base` is the
 * scratch's first image), narrowed into their part of the output by `done`.
 */
function imageRange(
  out: { data: Float32Array | Float64Array | Int32Array | Uint8Array },
  per: number,
  start: number,
  end: number,
) {
  const direct = out.data instanceof Float64Array;
  const buf = direct
    ? (out.data as Float64Array)
    : new Float64Array((end - start) * per);
  const base = direct ? 0 : start;
  return {
    buf,
    base,
    done: () => (direct ? undefined : out.data.set(buf, start * per)),
  };
}

/**
 * The forward by image: each image's output is W_g·im2col(x[img]), independent
 * of the others.
 */
const conv2dBatch: CpuBatch<Conv2dAttrs> = {
  items: ([x]) => x.shape[0],
  cost: ([, w], [y]) =>
    2 * sizeOf(y.shape) * w.shape[1] * w.shape[2] * w.shape[3],
  run: ([x, w], [y], attrs, start, end) => {
    const G = geometry(x.shape, w.shape, y.shape, attrs.groups);
    const X = asF64(x.data);
    const W = asF64(w.data);
    const per = G.o * G.l;
    const { buf: Y, base, done } = imageRange(y, per, start, end);
    const cols = new Float64Array(G.kk * G.l);
    for (let img = start; img < end; img++) {
      for (let gi = 0; gi < attrs.groups; gi++) {
        im2col(X, G, attrs, img, gi, cols);
        // y[img, gi·Og : (gi+1)·Og] += W_g [Og, K] · cols [K, L]
        gemmAcc(
          W,
          gi * G.og * G.kk,
          false,
          cols,
          0,
          Y,
          (img - base) * per + gi * G.og * G.l,
          G.og,
          G.kk,
          G.l,
        );
      }
    }
    done();
  },
};

export const conv2d: KernelOp<Conv2dAttrs> = defineOp<Conv2dAttrs>({
  name: 'conv2d',
  shape: ([x, w]: readonly TensorMeta[], attrs) => {
    const shape = convShape('conv2d', x.shape, w.shape, attrs);
    assertFloat('conv2d', x.dtype, 'x');
    const dtype = assertSameDType('conv2d', [x.dtype, w.dtype], ['x', 'w']);
    return [{ shape, dtype }];
  },
  cpuBatch: conv2dBatch,
  cpu: runAll(conv2dBatch),
});

/**
 * The input gradient by image: dx[img] is col2im(W_gᵀ·g[img]), independent of
 * the others.
 */
function conv2dGradInputBatch(): CpuBatch<Conv2dGradInputAttrs> {
  return {
    items: ([g]) => g.shape[0],
    cost: ([g, w]) =>
      2 * sizeOf(g.shape) * w.shape[1] * w.shape[2] * w.shape[3],
    run: ([g, w], [dx], attrs, start, end) => {
      const G = geometry(dx.shape, w.shape, g.shape, attrs.groups);
      const Gd = asF64(g.data);
      const W = asF64(w.data);
      const per = G.c * G.h * G.w;
      const { buf: DX, base, done } = imageRange(dx, per, start, end);
      const cols = new Float64Array(G.kk * G.l);
      for (let img = start; img < end; img++) {
        for (let gi = 0; gi < attrs.groups; gi++) {
          cols.fill(0);
          // cols [K, L] = W_gᵀ [K, Og] · g [Og, L]
          gemmAcc(
            W,
            gi * G.og * G.kk,
            true,
            Gd,
            (img * G.o + gi * G.og) * G.l,
            cols,
            0,
            G.kk,
            G.og,
            G.l,
          );
          col2im(cols, G, attrs, img - base, gi, DX);
        }
      }
      done();
    },
  };
}

/** dx = conv2dGradInput(g, w): inputs g [N,O,Ho,Wo], w [O,C/g,kh,kw]. */
export const conv2dGradInput: KernelOp<Conv2dGradInputAttrs> =
  defineOp<Conv2dGradInputAttrs>({
    name: 'conv2dGradInput',
    shape: ([g, w]: readonly TensorMeta[], attrs) => {
      const [h, wd] = attrs.inputSize;
      const x = [g.shape[0], w.shape[1] * attrs.groups, h, wd];
      const y = convShape('conv2dGradInput', x, w.shape, attrs);
      if (g.shape.length !== 4 || y.some((d, i) => d !== g.shape[i])) {
        throw new ShapeError(
          'SHAPE_MISMATCH',
          `conv2dGradInput: g must have conv2d's output shape; got g${fmtShape(g.shape)}, expected ${fmtShape(y)}.`,
        );
      }
      const dtype = assertSameDType(
        'conv2dGradInput',
        [g.dtype, w.dtype],
        ['g', 'w'],
      );
      assertFloat('conv2dGradInput', dtype, 'g');
      return [{ shape: x, dtype }];
    },
    cpuBatch: conv2dGradInputBatch(),
    cpu: runAll(conv2dGradInputBatch()),
  });

/** dw = conv2dGradWeight(x, g): inputs x [N,C,H,W], g [N,O,Ho,Wo]. */
export const conv2dGradWeight: KernelOp<Conv2dGradWeightAttrs> =
  defineOp<Conv2dGradWeightAttrs>({
    name: 'conv2dGradWeight',
    shape: ([x, g]: readonly TensorMeta[], attrs) => {
      const [kh, kw] = attrs.kernelSize;
      if (x.shape.length !== 4 || g.shape.length !== 4) {
        throw new ShapeError(
          'SHAPE_MISMATCH',
          `conv2dGradWeight: x and g must be 4-D; got x${fmtShape(x.shape)} and g${fmtShape(g.shape)}.`,
        );
      }
      const w = [g.shape[1], x.shape[1] / attrs.groups, kh, kw];
      const y = convShape('conv2dGradWeight', x.shape, w, attrs);
      if (y.some((d, i) => d !== g.shape[i])) {
        throw new ShapeError(
          'SHAPE_MISMATCH',
          `conv2dGradWeight: g must have conv2d's output shape; got g${fmtShape(g.shape)}, expected ${fmtShape(y)}.`,
        );
      }
      const dtype = assertSameDType(
        'conv2dGradWeight',
        [x.dtype, g.dtype],
        ['x', 'g'],
      );
      assertFloat('conv2dGradWeight', dtype, 'x');
      return [{ shape: w, dtype }];
    },
    cpu: ([x, g], [dw], attrs) => {
      const G = geometry(x.shape, dw.shape, g.shape, attrs.groups);
      const X = asF64(x.data);
      const Gd = asF64(g.data);
      const DW = f64Out(dw);
      const cols = new Float64Array(G.kk * G.l);
      const colsT = new Float64Array(G.l * G.kk);
      for (let img = 0; img < G.n; img++) {
        for (let gi = 0; gi < attrs.groups; gi++) {
          im2col(X, G, attrs, img, gi, cols);
          for (let r = 0; r < G.kk; r++)
            for (let q = 0; q < G.l; q++)
              colsT[q * G.kk + r] = cols[r * G.l + q];
          // dW_g [Og, K] += g [Og, L] · colsᵀ [L, K]
          gemmAcc(
            Gd,
            (img * G.o + gi * G.og) * G.l,
            false,
            colsT,
            0,
            DW,
            gi * G.og * G.kk,
            G.og,
            G.l,
            G.kk,
          );
        }
      }
      if (DW !== dw.data) dw.data.set(DW);
    },
  });
