/**
 * conv2d (NCHW cross-correlation, groups, stride, padding, dilation) and
 * its two gradients, written directly:
 * - conv2d: one invocation per output element sums its window over the
 *   group's input channels.
 * - conv2dGradInput: one invocation per input element sums, over the
 *   group's output channels and the kernel taps, the g elements whose
 *   window reads it (oh·sh = h + ph − ki·dh must divide evenly).
 * - conv2dGradWeight: one workgroup of 64 per weight element sums g·x
 *   over the batch and the output positions, then a tree in workgroup
 *   memory (the sum is long, the weight small).
 */
import type { PrimitiveAttrs } from '@optnet/tensor';
import type { GpuKernel, GpuTensor } from '../types.js';
import { MAIN_1D, grid1d, longLoop, type Param } from '../wgsl.js';

type ConvAttrs = PrimitiveAttrs<'conv2d'>;

/** The geometry as parameters: x [N,C,H,W], w [O,C/g,kh,kw], y [N,O,Ho,Wo]. */
function geometry(
  x: readonly number[],
  w: readonly number[],
  y: readonly number[],
  a: ConvAttrs,
): Param[] {
  const vals: [string, number][] = [
    ['N', x[0]],
    ['C', x[1]],
    ['H', x[2]],
    ['W', x[3]],
    ['O', w[0]],
    ['kh', w[2]],
    ['kw', w[3]],
    ['Ho', y[2]],
    ['Wo', y[3]],
    ['cg', x[1] / a.groups],
    ['og', w[0] / a.groups],
    ['sh', a.stride[0]],
    ['sw', a.stride[1]],
    ['ph', a.padding[0]],
    ['pw', a.padding[1]],
    ['dh', a.dilation[0]],
    ['dw', a.dilation[1]],
  ];
  return vals.map(([n, v]) => [n, 'i32', v] as const);
}

function binds(
  p: GpuTensor,
  q: GpuTensor,
  out: GpuTensor,
  names: [string, string],
) {
  return [
    { name: names[0], type: 'f32' as const, buffer: p.buffer },
    { name: names[1], type: 'f32' as const, buffer: q.buffer },
    { name: 'Y', type: 'f32' as const, write: true, buffer: out.buffer },
  ];
}

export const conv2d: GpuKernel<ConvAttrs> = (ctx, [x, w], [y], attrs) => {
  if (y.size === 0) return;
  ctx.dispatch({
    label: 'conv2d',
    params: [
      ['n', 'u32', y.size],
      ...geometry(x.shape, w.shape, y.shape, attrs),
    ],
    bindings: binds(x, w, y, ['X', 'K']),
    body: `${MAIN_1D}
  if (i >= P.n) { return; }
  let e = i32(i);
  let ow = e % P.Wo;
  let oh = (e / P.Wo) % P.Ho;
  let o = (e / (P.Wo * P.Ho)) % P.O;
  let img = e / (P.Wo * P.Ho * P.O);
  let g = o / P.og;
  var acc = 0.0;
  for (var c = 0; c < P.cg; c++) {
    let xc = ((img * P.C + g * P.cg + c) * P.H) * P.W;
    let kc = (o * P.cg + c) * P.kh;
    for (var ki = 0; ki < P.kh; ki++) {
      let ih = oh * P.sh - P.ph + ki * P.dh;
      if (ih < 0 || ih >= P.H) { continue; }
      for (var kj = 0; kj < P.kw; kj++) {
        let iw = ow * P.sw - P.pw + kj * P.dw;
        if (iw < 0 || iw >= P.W) { continue; }
        acc += X[xc + ih * P.W + iw] * K[(kc + ki) * P.kw + kj];
      }
    }
  }
  Y[i] = acc;
}`,
    groups: grid1d(y.size),
  });
};

export const conv2dGradInput: GpuKernel<PrimitiveAttrs<'conv2dGradInput'>> = (
  ctx,
  [g, w],
  [dx],
  attrs,
) => {
  if (dx.size === 0) return;
  ctx.dispatch({
    label: 'conv2dGradInput',
    params: [
      ['n', 'u32', dx.size],
      ...geometry(dx.shape, w.shape, g.shape, attrs),
    ],
    bindings: binds(g, w, dx, ['G', 'K']),
    body: `${MAIN_1D}
  if (i >= P.n) { return; }
  let e = i32(i);
  let iw = e % P.W;
  let ih = (e / P.W) % P.H;
  let ch = (e / (P.W * P.H)) % P.C;
  let img = e / (P.W * P.H * P.C);
  let grp = ch / P.cg;
  let c = ch % P.cg;
  var acc = 0.0;
  for (var oo = 0; oo < P.og; oo++) {
    let o = grp * P.og + oo;
    let gc = (img * P.O + o) * P.Ho;
    let kc = (o * P.cg + c) * P.kh;
    for (var ki = 0; ki < P.kh; ki++) {
      let th = ih + P.ph - ki * P.dh;
      if (th < 0 || th % P.sh != 0 || th / P.sh >= P.Ho) { continue; }
      let oh = th / P.sh;
      for (var kj = 0; kj < P.kw; kj++) {
        let tw = iw + P.pw - kj * P.dw;
        if (tw < 0 || tw % P.sw != 0 || tw / P.sw >= P.Wo) { continue; }
        acc += G[(gc + oh) * P.Wo + tw / P.sw] * K[(kc + ki) * P.kw + kj];
      }
    }
  }
  Y[i] = acc;
}`,
    groups: grid1d(dx.size),
  });
};

/** One term g·x of a weight gradient, at output position p = pu. */
const WEIGHT_TERM = `let p = i32(pu);
      let ow = p % P.Wo;
      let oh = (p / P.Wo) % P.Ho;
      let img = p / (P.Wo * P.Ho);
      let ih = oh * P.sh - P.ph + ki * P.dh;
      let iw = ow * P.sw - P.pw + kj * P.dw;
      if (ih >= 0 && ih < P.H && iw >= 0 && iw < P.W) {
        acc += G[((img * P.O + o) * P.Ho + oh) * P.Wo + ow] *
          X[((img * P.C + ch) * P.H + ih) * P.W + iw];
      }`;

export const conv2dGradWeight: GpuKernel<PrimitiveAttrs<'conv2dGradWeight'>> = (
  ctx,
  [x, g],
  [dw],
  attrs,
) => {
  if (dw.size === 0) return;
  ctx.dispatch({
    label: 'conv2dGradWeight',
    params: [
      ['n', 'u32', dw.size],
      ...geometry(x.shape, dw.shape, g.shape, attrs),
    ],
    bindings: binds(x, g, dw, ['X', 'G']),
    body: `var<workgroup> part: array<f32, 64>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u,
        @builtin(local_invocation_id) lid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let u = wid.y * nwg.x + wid.x;
  let e = i32(u);
  let kj = e % P.kw;
  let ki = (e / P.kw) % P.kh;
  let c = (e / (P.kw * P.kh)) % P.cg;
  let o = e / (P.kw * P.kh * P.cg);
  let ch = (o / P.og) * P.cg + c;
  var acc = 0.0;
  if (u < P.n) {
    let count = u32(P.N * P.Ho * P.Wo);
    ${longLoop('pu', 'lid.x', 'count', '64u', WEIGHT_TERM)}
  }
  part[lid.x] = acc;
  workgroupBarrier();
  for (var s: u32 = 32u; s > 0u; s = s >> 1u) {
    if (lid.x < s) { part[lid.x] += part[lid.x + s]; }
    workgroupBarrier();
  }
  if (lid.x == 0u && u < P.n) { Y[u] = part[0]; }
}`,
    groups: grid1d(dw.size * 256),
  });
};
