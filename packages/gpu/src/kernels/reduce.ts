/**
 * Reductions. sum, prod, max and min over any set of axes: the kept dims
 * and the reduced dims are each collapsed, and each output folds its
 * elements; with few outputs and long folds, a workgroup folds one output
 * (256 partial folds, then a tree in workgroup memory), else an invocation
 * folds one output alone. max/min propagate NaN, as the reference does.
 * argmax/argmin: the first extreme along one axis, the first NaN winning.
 */
import type { PrimitiveAttrs } from '@optnet/tensor';
import { collapse, contiguous, sizeOfShape } from '../layout.js';
import type { GpuKernel, GpuTensor, KernelContext } from '../types.js';
import {
  MAIN_1D,
  WG,
  arrayParams,
  grid1d,
  longLoop,
  offsets,
  storageOf,
  type Param,
} from '../wgsl.js';

type ReduceName = 'sum' | 'prod' | 'max' | 'min';

interface ReduceRow {
  readonly init: { f32: string; i32: string };
  readonly f32: string;
  readonly i32: string;
}

const rows: Record<ReduceName, ReduceRow> = {
  sum: { init: { f32: '0.0', i32: '0' }, f32: 'a + b', i32: 'a + b' },
  prod: { init: { f32: '1.0', i32: '1' }, f32: 'a * b', i32: 'a * b' },
  max: {
    init: { f32: '-inf_f32()', i32: '(-2147483647 - 1)' },
    f32: 'select(a, b, b > a || is_nan(b))',
    i32: 'max(a, b)',
  },
  min: {
    init: { f32: 'inf_f32()', i32: '2147483647' },
    f32: 'select(a, b, b < a || is_nan(b))',
    i32: 'min(a, b)',
  },
};

/** The kept and reduced dims of x, each collapsed, with x's strides. */
function split(x: GpuTensor, axes: readonly number[]) {
  const st = contiguous(x.shape);
  const keep = x.shape.map((_, d) => d).filter((d) => !axes.includes(d));
  const kept = collapse(
    keep.map((d) => x.shape[d]),
    [keep.map((d) => st[d])],
  );
  const red = collapse(
    axes.map((d) => x.shape[d]),
    [axes.map((d) => st[d])],
  );
  return { kept, red, m: sizeOfShape(axes.map((d) => x.shape[d])) };
}

function reduceKernel(name: ReduceName): GpuKernel<PrimitiveAttrs<'sum'>> {
  const row = rows[name];
  return (ctx, [x], [y], { axes }) => {
    if (y.size === 0) return;
    const T = storageOf(x.dtype) as 'f32' | 'i32';
    const { kept, red, m } = split(x, axes);
    const params: Param[] = [
      ['n', 'u32', y.size],
      ['m', 'u32', m],
      ...arrayParams('kd', 'u32', kept.shape),
      ...arrayParams('k', 'i32', kept.strides[0]),
      ...arrayParams('rd', 'u32', red.shape),
      ...arrayParams('r', 'i32', red.strides[0]),
    ];
    const fold = `fn combine(a: ${T}, b: ${T}) -> ${T} { return ${row[T]}; }`;
    const base = offsets('o', 'kd', kept.shape.length, ['k']);
    const at = offsets('j', 'rd', red.shape.length, ['r']);
    const wide = y.size < 1024 && m >= WG;
    ctx.dispatch({
      label: name,
      params,
      bindings: [
        { name: 'X', type: T, buffer: x.buffer },
        { name: 'Y', type: T, write: true, buffer: y.buffer },
      ],
      body: wide
        ? workgroupBody(T, fold, row.init[T], base, at)
        : threadBody(T, fold, row.init[T], base, at),
      groups: wide ? grid1d(y.size * WG) : grid1d(y.size),
    });
  };
}

/** One invocation folds output `i`. */
function threadBody(
  T: string,
  fold: string,
  init: string,
  base: string,
  at: string,
): string {
  return `${fold}
${MAIN_1D}
  if (i >= P.n) { return; }
  let o = i;
  var o_k: i32 = 0;
  ${base}
  var acc: ${T} = ${init};
  ${longLoop(
    'j',
    '0u',
    'P.m',
    '1u',
    `var o_r: i32 = 0;
${at}
acc = combine(acc, X[o_k + o_r]);`,
  )}
  Y[i] = acc;
}`;
}

/** A workgroup folds output `o`: strided partial folds, then a tree. */
function workgroupBody(
  T: string,
  fold: string,
  init: string,
  base: string,
  at: string,
): string {
  return `${fold}
var<workgroup> part: array<${T}, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u,
        @builtin(local_invocation_id) lid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let o = wid.y * nwg.x + wid.x;
  var acc: ${T} = ${init};
  if (o < P.n) {
    var o_k: i32 = 0;
    ${base}
    ${longLoop(
      'j',
      'lid.x',
      'P.m',
      `${WG}u`,
      `var o_r: i32 = 0;
${at}
acc = combine(acc, X[o_k + o_r]);`,
    )}
  }
  part[lid.x] = acc;
  workgroupBarrier();
  for (var s: u32 = ${WG / 2}u; s > 0u; s = s >> 1u) {
    if (lid.x < s) { part[lid.x] = combine(part[lid.x], part[lid.x + s]); }
    workgroupBarrier();
  }
  if (lid.x == 0u && o < P.n) { Y[o] = part[0]; }
}`;
}

function argKernel(
  name: 'argmax' | 'argmin',
): GpuKernel<PrimitiveAttrs<'argmax'>> {
  const better = name === 'argmax' ? 'v > best' : 'v < best';
  return (ctx: KernelContext, [x], [y], { axis }) => {
    if (y.size === 0) return;
    const T = storageOf(x.dtype);
    const ax = axis < 0 ? axis + x.shape.length : axis;
    const inner = sizeOfShape(x.shape.slice(ax + 1));
    const isF = T === 'f32';
    ctx.dispatch({
      label: name,
      params: [
        ['n', 'u32', y.size],
        ['len', 'u32', x.shape[ax]],
        ['inner', 'u32', inner],
      ],
      bindings: [
        { name: 'X', type: T, buffer: x.buffer },
        { name: 'Y', type: 'i32', write: true, buffer: y.buffer },
      ],
      body: `${MAIN_1D}
  if (i >= P.n) { return; }
  let base = (i / P.inner) * P.len * P.inner + i % P.inner;
  var best = X[base];
  var bi: i32 = 0;
  ${longLoop(
    'j',
    '1u',
    'P.len',
    '1u',
    `let v = X[base + j * P.inner];
    if (${better}${isF ? ' || (is_nan(v) && !is_nan(best))' : ''}) { best = v; bi = i32(j); }`,
  )}
  Y[i] = bi;
}`,
      groups: grid1d(y.size),
    });
  };
}

/** The reduction kernels. */
export const reduceKernels: {
  readonly sum: GpuKernel<PrimitiveAttrs<'sum'>>;
  readonly prod: GpuKernel<PrimitiveAttrs<'prod'>>;
  readonly max: GpuKernel<PrimitiveAttrs<'max'>>;
  readonly min: GpuKernel<PrimitiveAttrs<'min'>>;
  readonly argmax: GpuKernel<PrimitiveAttrs<'argmax'>>;
  readonly argmin: GpuKernel<PrimitiveAttrs<'argmin'>>;
} = {
  sum: reduceKernel('sum'),
  prod: reduceKernel('prod'),
  max: reduceKernel('max'),
  min: reduceKernel('min'),
  argmax: argKernel('argmax'),
  argmin: argKernel('argmin'),
};
