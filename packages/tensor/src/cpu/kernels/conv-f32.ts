/**
 * The CPU backend's float32 conv2d and its two gradients through
 * WebAssembly: each image's group is unfolded (im2colF32) or folded back
 * (col2imF32, cpu/wasm/wat-f32-conv.ts) in scratch, and multiplied with
 * the packed float32 matmul (sgemmOf, cpu/wasm/wat-sgemm.ts), image by
 * image so scratch stays one image's size. Other dtypes, calls whose
 * scratch does not fit and `setWasmKernels(false)` run the reference
 * kernels of ops/conv2d.ts (float64 sums: results differ in float32's last
 * bits).
 */
import type { CpuBatch, CpuTensor, KernelOp } from '../../op.js';
import {
  conv2d,
  conv2dGradInput,
  conv2dGradWeight,
  geometry,
  type Conv2dAttrs,
  type Conv2dGradInputAttrs,
  type Conv2dGradWeightAttrs,
  type Geometry,
} from '../../ops/conv2d.js';
import { wasmKernels, type WasmKernels } from '../wasm/runtime.js';
import { packScratch, sgemmOf } from './sgemm.js';

/** Byte address of a float offset from `at`. */
const f = (at: number, floats: number): number => at + floats * 4;

/**
 * Begins a call: the geometry block (Cg H W kh kw Ho Wo sh sw ph pw dh dw,
 * see wat-f32-conv.ts) and allocations of `sizes` floats (+4 for vector
 * spills); null if the kernels are off or memory cannot be had.
 */
function setup(
  G: Geometry,
  a: Conv2dAttrs,
  sizes: readonly number[],
  n: number,
): { wk: WasmKernels; gp: number; at: number[]; scratch: number[] } | null {
  const wk = wasmKernels();
  if (wk === null || G.l === 0 || G.kk === 0) return null;
  wk.begin();
  const gp = wk.alloc(64);
  const at = sizes.map((s) => wk.alloc((s + 4) * 4));
  const scratch = packScratch(wk, n);
  if (gp < 0 || at.includes(-1) || scratch.includes(-1)) return null;
  const geo = [G.cg, G.h, G.w, G.kh, G.kw, G.ho, G.wo];
  const ints = [...geo, ...a.stride, ...a.padding, ...a.dilation];
  new Int32Array(wk.f32().buffer, gp, ints.length).set(ints);
  return { wk, gp, at, scratch };
}

/** Whether every tensor holds float32. */
const allF32 = (...ts: CpuTensor[]): boolean =>
  ts.every((t) => t.data instanceof Float32Array);

/** y[img] = Σ_g W_g·im2col(x[img, g]) for images [start, end). */
function forwardRange(
  [x, w]: readonly CpuTensor[],
  [y]: readonly CpuTensor[],
  attrs: Conv2dAttrs,
  start: number,
  end: number,
): boolean {
  const G = geometry(x.shape, w.shape, y.shape, attrs.groups);
  const xi = G.c * G.h * G.w;
  const yi = G.o * G.l;
  const s = setup(G, attrs, [xi, G.kk * G.l, yi], G.l);
  const wAt = s === null ? -1 : s.wk.resident32(w.data as Float32Array);
  if (s === null || wAt < 0) return false;
  const { wk, gp, scratch } = s;
  const [xAt, cols, yAt] = s.at;
  for (let img = start; img < end; img++) {
    wk.f32().set(
      (x.data as Float32Array).subarray(img * xi, (img + 1) * xi),
      xAt >> 2,
    );
    for (let gi = 0; gi < attrs.groups; gi++) {
      wk.fn.im2colF32(f(xAt, gi * G.cg * G.h * G.w), cols, gp);
      // y[img, g] [Og, L] = W_g [Og, K] · cols [K, L]
      sgemmOf(wk, G.og)(
        f(wAt, gi * G.og * G.kk),
        G.kk,
        0,
        cols,
        G.l,
        0,
        f(yAt, gi * G.og * G.l),
        G.l,
        G.og,
        G.kk,
        G.l,
        ...scratch,
      );
    }
    (y.data as Float32Array).set(
      wk.f32().subarray(yAt >> 2, (yAt >> 2) + yi),
      img * yi,
    );
  }
  return true;
}

/** dx[img] = Σ_g col2im(W_gᵀ·g[img, g]) for images [start, end). */
function gradInputRange(
  [g, w]: readonly CpuTensor[],
  [dx]: readonly CpuTensor[],
  attrs: Conv2dGradInputAttrs,
  start: number,
  end: number,
): boolean {
  const G = geometry(dx.shape, w.shape, g.shape, attrs.groups);
  const xi = G.c * G.h * G.w;
  const gi1 = G.o * G.l;
  const s = setup(G, attrs, [gi1, G.kk * G.l, xi], G.l);
  const wAt = s === null ? -1 : s.wk.resident32(w.data as Float32Array);
  if (s === null || wAt < 0) return false;
  const { wk, gp, scratch } = s;
  const [gAt, cols, xAt] = s.at;
  for (let img = start; img < end; img++) {
    const mem = wk.f32();
    mem.set(
      (g.data as Float32Array).subarray(img * gi1, (img + 1) * gi1),
      gAt >> 2,
    );
    mem.fill(0, xAt >> 2, (xAt >> 2) + xi);
    for (let gi = 0; gi < attrs.groups; gi++) {
      // cols [K, L] = W_gᵀ [K, Og] · g[img, g] [Og, L]
      sgemmOf(wk, G.kk)(
        f(wAt, gi * G.og * G.kk),
        G.kk,
        1,
        f(gAt, gi * G.og * G.l),
        G.l,
        0,
        cols,
        G.l,
        G.kk,
        G.og,
        G.l,
        ...scratch,
      );
      wk.fn.col2imF32(cols, f(xAt, gi * G.cg * G.h * G.w), gp);
    }
    (dx.data as Float32Array).set(
      wk.f32().subarray(xAt >> 2, (xAt >> 2) + xi),
      img * xi,
    );
  }
  return true;
}

/**
 * dW_g += g[img, g]·im2col(x[img, g])ᵀ over every image: each image's
 * product into `tmp`, added to the float32 sums (f32b_add) once per image.
 */
function gradWeightAll(
  [x, g]: readonly CpuTensor[],
  [dw]: readonly CpuTensor[],
  attrs: Conv2dGradWeightAttrs,
): boolean {
  const G = geometry(x.shape, dw.shape, g.shape, attrs.groups);
  const xi = G.c * G.h * G.w;
  const gi1 = G.o * G.l;
  const wn = G.o * G.kk;
  const s = setup(G, attrs, [xi, gi1, G.kk * G.l, wn, wn], G.kk);
  if (s === null) return false;
  const { wk, gp, scratch } = s;
  const [xAt, gAt, cols, tmp, acc] = s.at;
  wk.f32().fill(0, acc >> 2, (acc >> 2) + wn);
  for (let img = 0; img < G.n; img++) {
    const mem = wk.f32();
    mem.set(
      (x.data as Float32Array).subarray(img * xi, (img + 1) * xi),
      xAt >> 2,
    );
    mem.set(
      (g.data as Float32Array).subarray(img * gi1, (img + 1) * gi1),
      gAt >> 2,
    );
    for (let gi = 0; gi < attrs.groups; gi++) {
      wk.fn.im2colF32(f(xAt, gi * G.cg * G.h * G.w), cols, gp);
      // tmp_g [Og, K] = g[img, g] [Og, L] · colsᵀ [L, K]
      sgemmOf(wk, G.og)(
        f(gAt, gi * G.og * G.l),
        G.l,
        0,
        cols,
        G.l,
        1,
        f(tmp, gi * G.og * G.kk),
        G.kk,
        G.og,
        G.l,
        G.kk,
        ...scratch,
      );
    }
    wk.fn.f32b_add(acc, 0, 1, tmp, 0, 1, acc, 1, wn);
  }
  (dw.data as Float32Array).set(wk.f32().subarray(acc >> 2, (acc >> 2) + wn));
  return true;
}

/** A reference batch kernel with a float32 WebAssembly range in front. */
function fastBatch<A>(
  reference: CpuBatch<A>,
  range: (
    inputs: readonly CpuTensor[],
    outputs: readonly CpuTensor[],
    attrs: A,
    start: number,
    end: number,
  ) => boolean,
): CpuBatch<A> {
  return {
    items: reference.items,
    cost: reference.cost,
    run: (inputs, outputs, attrs, start, end) => {
      const ok =
        allF32(...inputs, ...outputs) &&
        range(inputs, outputs, attrs, start, end);
      if (!ok) reference.run(inputs, outputs, attrs, start, end);
    },
  };
}

/**
 * conv2d's batch kernel on this backend (images split over threads).
 * @example cpuBatchOf(conv2d) === conv2dFast; // on the CPU backend
 */
export const conv2dFast: CpuBatch<Conv2dAttrs> = fastBatch(
  conv2d.cpuBatch!,
  forwardRange,
);

/**
 * conv2dGradInput's batch kernel on this backend.
 * @example cpuBatchOf(conv2dGradInput) === conv2dGradInputFast;
 */
export const conv2dGradInputFast: CpuBatch<Conv2dGradInputAttrs> = fastBatch(
  conv2dGradInput.cpuBatch!,
  gradInputRange,
);

/**
 * conv2dGradWeight's whole-call kernel on this backend.
 * @example cpuKernelOf(conv2dGradWeight) === conv2dGradWeightF32;
 */
export const conv2dGradWeightF32: KernelOp<Conv2dGradWeightAttrs>['cpu'] = (
  inputs,
  outputs,
  attrs,
) => {
  const ok =
    allF32(...inputs, ...outputs) && gradWeightAll(inputs, outputs, attrs);
  if (!ok) conv2dGradWeight.cpu(inputs, outputs, attrs);
};
