/**
 * The CPU backend's float32 elementwise ops, reductions and softmax rows
 * through the WebAssembly SIMD kernels (cpu/wasm/wat-f32-*.ts): inputs are
 * read from their f32 mirrors (copied when they have none), the output is
 * computed in scratch, copied out, and kept as its mirror, so a chain of
 * ops copies each array in once. Shapes the kernels do not cover (general
 * broadcasts, other axes), small arrays and other dtypes run the op's JS
 * kernel, which stays the reference.
 */
import type { CpuTensor, KernelOp } from '../../op.js';
import type { CastAttrs } from '../../ops/cast.js';
import type { ReduceAttrs } from '../../ops/reduce.js';
import type { SoftmaxAttrs } from '../../ops/softmax.js';
import { sizeOf } from '../../shape.js';
import { wasmKernels, type WasmKernels } from '../wasm/runtime.js';

/** Below this many elements the JS loop is cheaper than a kernel call. */
let MIN_SIZE = 256;

/**
 * Sets the size from which the float32 kernels run (tests set 1 so that
 * the op suite's small cases run them too); returns the previous one.
 * @example
 * const was = setF32KernelMinSize(1);
 * // ... every float32 elementwise op runs its WebAssembly kernel
 * setF32KernelMinSize(was);
 */
export function setF32KernelMinSize(n: number): number {
  const was = MIN_SIZE;
  MIN_SIZE = n;
  return was;
}

type Kernel<A> = KernelOp<A>['cpu'];

/**
 * Float32 data of at least MIN_SIZE elements, and the kernels on.
 * @example const wk = kernelsFor(x, x.data.length); // null: run op.cpu
 */
export function kernelsFor(x: CpuTensor, n: number): WasmKernels | null {
  if (!(x.data instanceof Float32Array) || n < MIN_SIZE) return null;
  return wasmKernels();
}

/** As kernelsFor, for float32 or int32 data (comparisons). */
function kernels32(x: CpuTensor, n: number): WasmKernels | null {
  const ok = x.data instanceof Float32Array || x.data instanceof Int32Array;
  return ok && n >= MIN_SIZE ? wasmKernels() : null;
}

/**
 * Output scratch with room for the kernels' last-vector spill.
 * @example const yAt = outAlloc(wk, n); // -1: no memory
 */
export function outAlloc(wk: WasmKernels, n: number): number {
  return wk.alloc(n * 4 + 16);
}

/**
 * y ← the n floats at `at`, which become y's mirror.
 * @example return finish(wk, outputs[0], yAt, n);
 */
export function finish(
  wk: WasmKernels,
  y: CpuTensor,
  at: number,
  n: number,
): void {
  const Y = y.data as Float32Array;
  Y.set(wk.f32().subarray(at >> 2, (at >> 2) + n));
  wk.remember32(Y, at);
}

/**
 * The float32 kernel of a unary op (f32u_<name>), else `op.cpu`.
 * @example const run = unaryF32('exp', primitives.exp);
 */
export function unaryF32<A>(name: string, op: KernelOp<A>): Kernel<A> {
  const fn = `f32u_${name}`;
  return (inputs, outputs, attrs) => {
    const [x] = inputs;
    const n = x.data.length;
    const wk = kernelsFor(x, n);
    if (wk !== null) {
      wk.begin();
      const xAt = wk.resident32(x.data as Float32Array);
      const yAt = outAlloc(wk, n);
      if (xAt >= 0 && yAt >= 0) {
        wk.fn[fn](xAt, yAt, n);
        return finish(wk, outputs[0], yAt, n);
      }
    }
    op.cpu(inputs, outputs, attrs);
  };
}

/**
 * How one operand of a binary op is read: [row stride bytes, vector?],
 * for the broadcast patterns the kernel covers; null otherwise.
 */
type Read = [stride: number, vector: 0 | 1];

/** rows × m and both operands' reads, or null (a general broadcast). */
function binaryPlan(
  a: CpuTensor,
  b: CpuTensor,
  y: CpuTensor,
): [rows: number, m: number, ra: Read, rb: Read] | null {
  const n = y.data.length;
  const la = a.data.length;
  const lb = b.data.length;
  if (la === n && lb === n) return [1, n, [0, 1], [0, 1]];
  if (la === n && lb === 1) return [1, n, [0, 1], [0, 0]];
  if (lb === n && la === 1) return [1, n, [0, 0], [0, 1]];
  const m = y.shape[y.shape.length - 1];
  if (m === undefined || m === 0) return null;
  const rows = n / m;
  const last = (t: CpuTensor) => t.shape[t.shape.length - 1];
  const row = (t: CpuTensor): boolean => t.data.length === m && last(t) === m;
  const col = (t: CpuTensor): boolean =>
    t.data.length * m === n && last(t) === 1;
  const full: Read = [m * 4, 1];
  if (la === n && row(b)) return [rows, m, full, [0, 1]];
  if (lb === n && row(a)) return [rows, m, [0, 1], full];
  if (la === n && col(b)) return [rows, m, full, [4, 0]];
  if (lb === n && col(a)) return [rows, m, [4, 0], full];
  // an outer pattern: a column against a row (a one-hot mask)
  if (col(a) && row(b)) return [rows, m, [4, 0], [0, 1]];
  return null;
}

/**
 * The float32 kernel of a binary op (f32b_<name>) for the broadcasts it
 * covers, else `op.cpu`.
 * @example const run = binaryF32('add', primitives.add);
 */
export function binaryF32<A>(name: string, op: KernelOp<A>): Kernel<A> {
  const fn = `f32b_${name}`;
  return (inputs, outputs, attrs) => {
    const [a, b] = inputs;
    const [y] = outputs;
    const n = y.data.length;
    const plan = binaryPlan(a, b, y);
    const wk = plan === null ? null : kernelsFor(a, n);
    if (wk !== null && plan !== null) {
      const [rows, m, [sa, va], [sb, vb]] = plan;
      wk.begin();
      const aAt = wk.resident32(a.data as Float32Array);
      const bAt = wk.resident32(b.data as Float32Array);
      const yAt = outAlloc(wk, n);
      if (aAt >= 0 && bAt >= 0 && yAt >= 0) {
        wk.fn[fn](aAt, sa, va, bAt, sb, vb, yAt, rows, m);
        return finish(wk, y, yAt, n);
      }
    }
    op.cpu(inputs, outputs, attrs);
  };
}

/**
 * [rows, m, lastAxis] when `axes` reduce x's last axis (lastAxis true) or
 * its leading axes (false), viewing x as rows × m; null otherwise.
 */
function reducePlan(
  x: CpuTensor,
  axes: readonly number[],
): [rows: number, m: number, lastAxis: boolean] | null {
  const r = x.shape.length;
  const n = x.data.length;
  if (r === 0 || axes.length === 0) return null;
  if (axes.length === r) return [1, n, true];
  if (axes.length === 1 && axes[0] === r - 1)
    return [n / x.shape[r - 1], x.shape[r - 1], true];
  if (axes.every((ax, i) => ax === i)) {
    const rows = sizeOf(x.shape.slice(0, axes.length));
    return [rows, n / rows, false];
  }
  return null;
}

/**
 * The float32 kernel of sum or max (rows or leading axes; max over the
 * last axis only), else `op.cpu`.
 * @example const run = reduceF32('sum', primitives.sum);
 */
export function reduceF32(
  name: 'sum' | 'max',
  op: KernelOp<ReduceAttrs>,
): Kernel<ReduceAttrs> {
  return (inputs, outputs, attrs) => {
    const [x] = inputs;
    const [y] = outputs;
    const plan = reducePlan(x, attrs.axes);
    const ok = plan !== null && plan[1] > 0 && (name === 'sum' || plan[2]);
    const wk = ok ? kernelsFor(x, x.data.length) : null;
    if (wk !== null && plan !== null) {
      const [rows, m, lastAxis] = plan;
      const out = lastAxis ? rows : m;
      wk.begin();
      const xAt = wk.resident32(x.data as Float32Array);
      const yAt = outAlloc(wk, out);
      const acc = lastAxis ? 0 : wk.alloc((m + 2) * 8);
      if (xAt >= 0 && yAt >= 0 && acc >= 0) {
        if (!lastAxis) wk.fn.f32SumCols(xAt, yAt, rows, m, acc);
        else if (name === 'sum') wk.fn.f32SumRows(xAt, yAt, rows, m);
        else wk.fn.f32MaxRows(xAt, yAt, rows, m);
        return finish(wk, y, yAt, out);
      }
    }
    op.cpu(inputs, outputs, attrs);
  };
}

/**
 * The float32 kernel of softmax or logSoftmax along the last axis (the
 * row statistics in WebAssembly, the log of each row's sum in float64 here),
 * else `op.cpu`.
 * @example const run = softmaxF32(true, primitives.logSoftmax);
 */
export function softmaxF32(
  log: boolean,
  op: KernelOp<SoftmaxAttrs>,
): Kernel<SoftmaxAttrs> {
  return (inputs, outputs, attrs) => {
    const [x] = inputs;
    const n = x.data.length;
    const m = x.shape[x.shape.length - 1];
    const last = attrs.axis === x.shape.length - 1 && m > 0;
    const wk = last ? kernelsFor(x, n) : null;
    if (wk !== null) {
      const rows = n / m;
      wk.begin();
      const xAt = wk.resident32(x.data as Float32Array);
      const st = wk.alloc(rows * 24);
      const yAt = outAlloc(wk, n);
      if (xAt >= 0 && st >= 0 && yAt >= 0) {
        wk.fn.f32SoftmaxStats(xAt, st, rows, m);
        if (log) {
          const s = wk.f64();
          for (let r = 0, q = st >> 3; r < rows; r++, q += 3)
            s[q + 2] = Math.log(s[q + 1]);
        }
        wk.fn.f32SoftmaxApply(xAt, yAt, st, rows, m, log ? 1 : 0);
        return finish(wk, outputs[0], yAt, n);
      }
    }
    op.cpu(inputs, outputs, attrs);
  };
}

/**
 * The kernel of a comparison (cmp_<name>_f32 or _i32, bool bytes out) for
 * the broadcasts it covers, else `op.cpu`.
 * @example const run = compareF32('greater', primitives.greater);
 */
export function compareF32<A>(name: string, op: KernelOp<A>): Kernel<A> {
  return (inputs, outputs, attrs) => {
    const [a, b] = inputs;
    const [y] = outputs;
    const n = y.data.length;
    const plan = binaryPlan(a, b, y);
    const wk = plan === null ? null : kernels32(a, n);
    if (wk !== null && plan !== null) {
      const [rows, m, [sa, va], [sb, vb]] = plan;
      const t = a.data instanceof Float32Array ? 'f32' : 'i32';
      wk.begin();
      const aAt = wk.resident32(a.data as Float32Array | Int32Array);
      const bAt = wk.resident32(b.data as Float32Array | Int32Array);
      const yAt = wk.alloc(n + 16);
      if (aAt >= 0 && bAt >= 0 && yAt >= 0) {
        wk.fn[`cmp_${name}_${t}`](aAt, sa, va, bAt, sb, vb, yAt, rows, m);
        const mem = new Uint8Array(wk.f32().buffer, yAt, n);
        return (y.data as Uint8Array).set(mem);
      }
    }
    op.cpu(inputs, outputs, attrs);
  };
}

/**
 * The kernel of cast from bool to float32 (boolToF32), else `op.cpu`.
 * @example const run = castF32(primitives.cast);
 */
export function castF32(op: KernelOp<CastAttrs>): Kernel<CastAttrs> {
  return (inputs, outputs, attrs) => {
    const [x] = inputs;
    const n = x.data.length;
    const wk =
      x.dtype === 'bool' && attrs.dtype === 'float32' && n >= MIN_SIZE
        ? wasmKernels()
        : null;
    if (wk !== null) {
      wk.begin();
      const xAt = wk.alloc(n + 16);
      const yAt = outAlloc(wk, n);
      if (xAt >= 0 && yAt >= 0) {
        new Uint8Array(wk.f32().buffer, xAt, n).set(x.data as Uint8Array);
        wk.fn.boolToF32(xAt, yAt, n);
        return finish(wk, outputs[0], yAt, n);
      }
    }
    op.cpu(inputs, outputs, attrs);
  };
}
