/**
 * matmul: op(a)·op(b) over the last two axes, batch dims broadcasting.
 *
 * Register-tiled (a naive tiled kernel is slower than plain JS on
 * llvmpipe): a workgroup of 16×16 invocations computes a 64×64 block of
 * the output, each invocation a 4×4 block in four vec4 accumulators.
 * 1. Load a 64×16 block of op(a) and a 16×64 block of op(b) into
 *    workgroup memory (8 KiB), four elements per invocation, zeros past
 *    the edges; each block read along its contiguous axis.
 * 2. Barrier; 16 steps of 4 + 4 loads and 16 multiply-adds each.
 * 3. Barrier; next 16 of k; finally store the 4×4 block (inside the edges).
 * Small products (an edge under 32, e.g. the solver's matrix-vector
 * products) run one invocation per output element instead.
 */
import type { PrimitiveAttrs } from '@optnet/tensor';
import type { GpuKernel, GpuTensor, KernelContext } from '../types.js';
import { MAIN_1D, grid1d, longLoop, type Param } from '../wgsl.js';
import { batchLayout, type BatchLayout } from './batch.js';

type Attrs = PrimitiveAttrs<'matmul'>;

/** Sizes of op(a) [m, k] · op(b) [k, n]. */
function sizes(a: GpuTensor, b: GpuTensor, { transA, transB }: Attrs) {
  const ra = a.shape.length;
  const rb = b.shape.length;
  return {
    m: transA ? a.shape[ra - 1] : a.shape[ra - 2],
    k: transA ? a.shape[ra - 2] : a.shape[ra - 1],
    n: transB ? b.shape[rb - 2] : b.shape[rb - 1],
  };
}

/** WGSL index of op(a)[r, c] and op(b)[r, c] within an item. */
const idxA = (t: boolean, r: string, c: string): string =>
  t ? `(${c}) * P.m + (${r})` : `(${r}) * P.k + (${c})`;
const idxB = (t: boolean, r: string, c: string): string =>
  t ? `(${c}) * P.k + (${r})` : `(${r}) * P.n + (${c})`;

function bindings(a: GpuTensor, b: GpuTensor, y: GpuTensor) {
  return [
    { name: 'A', type: 'f32' as const, buffer: a.buffer },
    { name: 'B', type: 'f32' as const, buffer: b.buffer },
    { name: 'Y', type: 'f32' as const, write: true, buffer: y.buffer },
  ];
}

/** One invocation per output element: a dot product over k. */
function simple(
  ctx: KernelContext,
  [a, b, y]: GpuTensor[],
  attrs: Attrs,
  L: BatchLayout,
  base: Param[],
): void {
  ctx.dispatch({
    label: 'matmul',
    params: [['size', 'u32', y.size], ...base, ...L.params],
    bindings: bindings(a, b, y),
    body: `${MAIN_1D}
  if (i >= P.size) { return; }
  let c = i % P.n;
  let r = (i / P.n) % P.m;
  let t = i / (P.n * P.m);
  ${L.code('t')}
  var acc = 0.0;
  ${longLoop(
    'p',
    '0u',
    'P.k',
    '1u',
    `acc += A[o_a + i32(${idxA(attrs.transA, 'r', 'p')})] *
      B[o_b + i32(${idxB(attrs.transB, 'p', 'c')})];`,
  )}
  Y[i] = acc;
}`,
    groups: grid1d(y.size),
  });
}

/** Step 1's loads of one invocation (see the file comment). */
function tileLoads({ transA, transB }: Attrs): string {
  // Along a's contiguous axis: k when not transposed, m when transposed.
  const aPos = transA
    ? 'let rr = e % 64u; let kk = e / 64u;'
    : 'let kk = e % 16u; let rr = e / 16u;';
  const bPos = transB
    ? 'let kk = e % 16u; let cc = e / 16u;'
    : 'let cc = e % 64u; let kk = e / 64u;';
  return `for (var q: u32 = 0u; q < 4u; q++) {
      let e = t + q * 256u;
      { ${aPos}
        let gr = row0 + rr; let gk = k0 + kk;
        var v = 0.0;
        if (gr < P.m && gk < P.k) { v = A[o_a + i32(${idxA(transA, 'gr', 'gk')})]; }
        As[kk * 64u + rr] = v; }
      { ${bPos}
        let gc = col0 + cc; let gk = k0 + kk;
        var v = 0.0;
        if (gc < P.n && gk < P.k) { v = B[o_b + i32(${idxB(transB, 'gk', 'gc')})]; }
        Bs[kk * 64u + cc] = v; }
    }`;
}

const TILE_STORE = `let r0 = row0 + lid.y * 4u;
  let c0 = col0 + lid.x * 4u;
  let yb = t0 * P.m * P.n;
  var accs = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);
  for (var ii: u32 = 0u; ii < 4u; ii++) {
    for (var jj: u32 = 0u; jj < 4u; jj++) {
      if (r0 + ii < P.m && c0 + jj < P.n) {
        Y[yb + (r0 + ii) * P.n + c0 + jj] = accs[ii][jj];
      }
    }
  }`;

/** The register-tiled kernel (see the file comment). */
function tiled(
  ctx: KernelContext,
  [a, b, y]: GpuTensor[],
  attrs: Attrs,
  L: BatchLayout,
  base: Param[],
  m: number,
  n: number,
): void {
  const body = `var<workgroup> As: array<f32, 1024>;
var<workgroup> Bs: array<f32, 1024>;
@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3u,
        @builtin(local_invocation_id) lid: vec3u) {
  let t0 = wid.z + P.z0;
  ${L.code('t0')}
  let row0 = wid.y * 64u;
  let col0 = wid.x * 64u;
  let t = lid.y * 16u + lid.x;
  var acc0 = vec4<f32>(0.0); var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0); var acc3 = vec4<f32>(0.0);
  for (var k0: u32 = 0u; k0 < P.k; k0 += 16u) {
    ${tileLoads(attrs)}
    workgroupBarrier();
    for (var kk: u32 = 0u; kk < 16u; kk++) {
      let ar = kk * 64u + lid.y * 4u;
      let bc = kk * 64u + lid.x * 4u;
      let av = vec4<f32>(As[ar], As[ar + 1u], As[ar + 2u], As[ar + 3u]);
      let bv = vec4<f32>(Bs[bc], Bs[bc + 1u], Bs[bc + 2u], Bs[bc + 3u]);
      acc0 += av.x * bv; acc1 += av.y * bv;
      acc2 += av.z * bv; acc3 += av.w * bv;
    }
    workgroupBarrier();
  }
  ${TILE_STORE}
}`;
  for (let z0 = 0; z0 < L.items; z0 += 65535) {
    ctx.dispatch({
      label: 'matmul',
      params: [['z0', 'u32', z0], ...base, ...L.params],
      bindings: bindings(a, b, y),
      body,
      groups: [
        Math.ceil(n / 64),
        Math.ceil(m / 64),
        Math.min(65535, L.items - z0),
      ],
    });
  }
}

export const matmul: GpuKernel<Attrs> = (ctx, [a, b], [y], attrs) => {
  if (y.size === 0) return;
  const { m, k, n } = sizes(a, b, attrs);
  const L = batchLayout(y.shape.slice(0, -2), [
    { name: 'a', batch: a.shape.slice(0, -2), itemSize: m * k },
    { name: 'b', batch: b.shape.slice(0, -2), itemSize: k * n },
  ]);
  const base: Param[] = [
    ['m', 'u32', m],
    ['k', 'u32', k],
    ['n', 'u32', n],
  ];
  if (m >= 32 && n >= 32) tiled(ctx, [a, b, y], attrs, L, base, m, n);
  else simple(ctx, [a, b, y], attrs, L, base);
};
