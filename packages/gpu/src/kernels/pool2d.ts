/**
 * 2-d pooling (NCHW, PyTorch's window geometry) and its gradients.
 * Forward: one invocation per output window. Gradients: one invocation
 * per input element sums over the windows that contain it (no atomics):
 * average pooling adds g/(kh·kw); max pooling finds each window's first
 * largest element again (NaN winning, the reference's scan order) and
 * adds g where that is this element.
 */
import type { PrimitiveAttrs } from '@optnet/tensor';
import type { GpuKernel, GpuTensor, KernelContext } from '../types.js';
import { MAIN_1D, grid1d, type Param } from '../wgsl.js';

type Attrs = PrimitiveAttrs<'maxPool2d'>;

function params(
  n: number,
  x: readonly number[],
  y: readonly number[],
  a: Attrs,
): Param[] {
  const v: [string, number][] = [
    ['H', x[2]],
    ['W', x[3]],
    ['Ho', y[2]],
    ['Wo', y[3]],
    ['kh', a.kernel[0]],
    ['kw', a.kernel[1]],
    ['sh', a.stride[0]],
    ['sw', a.stride[1]],
    ['ph', a.padding[0]],
    ['pw', a.padding[1]],
  ];
  return [['n', 'u32', n], ...v.map(([k, x]) => [k, 'i32', x] as const)];
}

/** The first largest element of window (plane base, oh, ow): its index, value. */
const ARGMAX = `
struct Best { idx: i32, v: f32 }
fn window_max(base: i32, oh: i32, ow: i32) -> Best {
  let h0 = oh * P.sh - P.ph;
  let w0 = ow * P.sw - P.pw;
  var b = Best(-1, -inf_f32());
  for (var di = max(0, -h0); di < P.kh && h0 + di < P.H; di++) {
    for (var dj = max(0, -w0); dj < P.kw && w0 + dj < P.W; dj++) {
      let idx = base + (h0 + di) * P.W + w0 + dj;
      let v = X[idx];
      if (v > b.v || b.idx < 0 || is_nan(v)) {
        b = Best(idx, v);
        if (is_nan(v)) { return b; }
      }
    }
  }
  return b;
}`;

function forward(kind: 'max' | 'avg'): GpuKernel<Attrs> {
  const label = kind === 'max' ? 'maxPool2d' : 'avgPool2d';
  const value =
    kind === 'max'
      ? 'window_max(base, oh, ow).v'
      : 'window_sum(base, oh, ow) / f32(P.kh * P.kw)';
  return (ctx, [x], [y], attrs) => {
    if (y.size === 0) return;
    ctx.dispatch({
      label,
      params: params(y.size, x.shape, y.shape, attrs),
      bindings: [
        { name: 'X', type: 'f32', buffer: x.buffer },
        { name: 'Y', type: 'f32', write: true, buffer: y.buffer },
      ],
      body: `${kind === 'max' ? ARGMAX : SUM}
${MAIN_1D}
  if (i >= P.n) { return; }
  let e = i32(i);
  let ow = e % P.Wo;
  let oh = (e / P.Wo) % P.Ho;
  let base = (e / (P.Wo * P.Ho)) * P.H * P.W;
  Y[i] = ${value};
}`,
      groups: grid1d(y.size),
    });
  };
}

const SUM = `
fn window_sum(base: i32, oh: i32, ow: i32) -> f32 {
  let h0 = oh * P.sh - P.ph;
  let w0 = ow * P.sw - P.pw;
  var s = 0.0;
  for (var di = max(0, -h0); di < P.kh && h0 + di < P.H; di++) {
    for (var dj = max(0, -w0); dj < P.kw && w0 + dj < P.W; dj++) {
      s += X[base + (h0 + di) * P.W + w0 + dj];
    }
  }
  return s;
}`;

/** The first and last output index along one axis whose window holds h. */
const RANGE = `
fn first_window(h: i32, p: i32, k: i32, s: i32) -> i32 {
  let t = h + p - k + 1;
  return select(0, (t + s - 1) / s, t > 0);
}`;

function backward(kind: 'max' | 'avg'): GpuKernel<Attrs> {
  const label = kind === 'max' ? 'maxPool2dGrad' : 'avgPool2dGrad';
  const term =
    kind === 'max'
      ? 'if (window_max(base, oh, ow).idx == e) { acc += G[gb + oh * P.Wo + ow]; }'
      : 'acc += G[gb + oh * P.Wo + ow] / f32(P.kh * P.kw);';
  return (ctx: KernelContext, [x, g], [dx], attrs) => {
    if (dx.size === 0) return;
    ctx.dispatch({
      label,
      params: params(dx.size, x.shape, g.shape, attrs),
      bindings: [
        { name: 'X', type: 'f32', buffer: (x as GpuTensor).buffer },
        { name: 'G', type: 'f32', buffer: g.buffer },
        { name: 'Y', type: 'f32', write: true, buffer: dx.buffer },
      ],
      body: `${ARGMAX}
${RANGE}
${MAIN_1D}
  if (i >= P.n) { return; }
  let e = i32(i);
  let w = e % P.W;
  let h = (e / P.W) % P.H;
  let plane = e / (P.W * P.H);
  let base = plane * P.H * P.W;
  let gb = plane * P.Ho * P.Wo;
  var acc = 0.0;
  let oh1 = min(P.Ho - 1, (h + P.ph) / P.sh);
  let ow1 = min(P.Wo - 1, (w + P.pw) / P.sw);
  for (var oh = first_window(h, P.ph, P.kh, P.sh); oh <= oh1; oh++) {
    for (var ow = first_window(w, P.pw, P.kw, P.sw); ow <= ow1; ow++) {
      ${term}
    }
  }
  Y[i] = acc;
}`,
      groups: grid1d(dx.size),
    });
  };
}

/** The pooling kernels. */
export const pool2dKernels: {
  readonly maxPool2d: GpuKernel<Attrs>;
  readonly avgPool2d: GpuKernel<Attrs>;
  readonly maxPool2dGrad: GpuKernel<Attrs>;
  readonly avgPool2dGrad: GpuKernel<Attrs>;
} = {
  maxPool2d: forward('max'),
  avgPool2d: forward('avg'),
  maxPool2dGrad: backward('max'),
  avgPool2dGrad: backward('avg'),
};
