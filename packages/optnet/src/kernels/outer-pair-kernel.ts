/**
 * k·(x1 ⊗ y1 + x2 ⊗ y2) per batch item, in one pass over the
 * [nBatch, r, c] result: the QP layer's matrix gradients
 * (∂Q = −½(a zᵀ + z aᵀ), ∂G = −(lam aᵀ + c zᵀ)). As a product with inner
 * size 2 it took two stacks, a scale and a matmul whose packing is built
 * for deep products (3.5 against 2.5 ms at [128, 100, 100], 1.05 against
 * 0.63 at [128, 50, 50]); the result, written once, is the cost, and
 * the loop makes four rows from each pair of y loads (0.76 → 0.37 ms a
 * call at [128, 50, 50], recycled output memory). The
 * decomposition is that product, for backends without this kernel: the
 * same float64 bits, but for the sign of a zero (−0 here where a product
 * of zeros gives +0 there).
 *
 * Glossary: x1, x2 [nBatch, r]; y1, y2 [nBatch, c].
 */
import {
  apply1,
  defineOp,
  DTypeError,
  matmul,
  ShapeError,
  stack,
  type CpuTensor,
  type KernelOp,
  type Tensor,
  type TensorMeta,
} from '@optnet/tensor';
import {
  f64,
  i32,
  registerWasmKernels,
  v128,
  wasmKernels,
  type WasmFunc,
} from '@optnet/tensor/wasm';
import { runFused } from './fused-common.js';

export interface OuterPairAttrs {
  readonly k: number;
}

function outerPairShape(ins: readonly TensorMeta[]): TensorMeta[] {
  const [x1, y1, x2, y2] = ins;
  const ok =
    ins.length === 4 &&
    ins.every((t) => t.shape.length === 2 && t.shape[0] === x1.shape[0]) &&
    x2.shape[1] === x1.shape[1] &&
    y2.shape[1] === y1.shape[1];
  if (!ok) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `qpOuterPair: x1, x2 must be [nBatch, r] and y1, y2 [nBatch, c]; got ${ins.map((t) => `[${t.shape.join(', ')}]`).join(', ')}. Pass one row per batch item, the two x of one length and the two y of another.`,
    );
  }
  const dtype = x1.dtype;
  if (
    ins.some((t) => t.dtype !== dtype) ||
    (dtype !== 'float32' && dtype !== 'float64')
  ) {
    throw new DTypeError(
      'DTYPE_MISMATCH',
      `qpOuterPair: inputs must share a float dtype; got ${ins.map((t) => t.dtype).join(', ')}. Cast them to one of float32 or float64.`,
    );
  }
  return [{ shape: [x1.shape[0], x1.shape[1], y1.shape[1]], dtype }];
}

/**
 * qpOuterPair(x1, y1, x2, y2, out, work, r, c, k, count): per item, row i
 * of out = k·x1[i]·y1 + k·x2[i]·y2, two columns a lane (the JS loop's
 * arithmetic: (k·x1[i])·u + (k·x2[i])·v per element), an odd last column
 * alone; work is unused.
 */
const qpOuterPair: WasmFunc = {
  name: 'qpOuterPair',
  params: [
    ...i32('$x1', '$y1', '$x2', '$y2', '$out', '$work', '$r', '$c'),
    ...f64('$k'),
    ...i32('$count'),
  ],
  locals: [
    ...i32('$t', '$i', '$j', '$cb', '$rb', '$jend', '$o'),
    ...f64('$a1', '$a2'),
    ...v128('$w1', '$w2'),
  ],
  body: `
  (local.set $cb (i32.shl (local.get $c) (i32.const 3)))
  (local.set $rb (i32.shl (local.get $r) (i32.const 3)))
  (local.set $jend (i32.shl (i32.and (local.get $c) (i32.const -2)) (i32.const 3)))
  (block $done (loop $items
    (br_if $done (i32.ge_s (local.get $t) (local.get $count)))
    (local.set $i (i32.const 0))
    (block $rd (loop $rows
      (br_if $rd (i32.ge_s (local.get $i) (local.get $rb)))
      (local.set $a1 (f64.mul (f64.load (i32.add (local.get $x1) (local.get $i))) (local.get $k)))
      (local.set $a2 (f64.mul (f64.load (i32.add (local.get $x2) (local.get $i))) (local.get $k)))
      (local.set $w1 (f64x2.splat (local.get $a1)))
      (local.set $w2 (f64x2.splat (local.get $a2)))
      (local.set $j (i32.const 0))
      (block $cd (loop $cols
        (br_if $cd (i32.ge_s (local.get $j) (local.get $jend)))
        (v128.store (i32.add (local.get $out) (local.get $j))
          (f64x2.add
            (f64x2.mul (local.get $w1) (v128.load (i32.add (local.get $y1) (local.get $j))))
            (f64x2.mul (local.get $w2) (v128.load (i32.add (local.get $y2) (local.get $j))))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $cols)))
      (if (i32.and (local.get $c) (i32.const 1)) (then
        (f64.store (i32.add (local.get $out) (local.get $jend))
          (f64.add
            (f64.mul (local.get $a1) (f64.load (i32.add (local.get $y1) (local.get $jend))))
            (f64.mul (local.get $a2) (f64.load (i32.add (local.get $y2) (local.get $jend))))))))
      (local.set $out (i32.add (local.get $out) (local.get $cb)))
      (local.set $i (i32.add (local.get $i) (i32.const 8)))
      (br $rows)))
    (local.set $x1 (i32.add (local.get $x1) (local.get $rb)))
    (local.set $x2 (i32.add (local.get $x2) (local.get $rb)))
    (local.set $y1 (i32.add (local.get $y1) (local.get $cb)))
    (local.set $y2 (i32.add (local.get $y2) (local.get $cb)))
    (local.set $t (i32.add (local.get $t) (i32.const 1)))
    (br $items)))`,
};

/** This file's WebAssembly function (fused-kernels.ts registers it too). */
export const outerPairWat: readonly WasmFunc[] = [qpOuterPair];

/**
 * Outputs up to this many bytes a call are made in WebAssembly and copied
 * out (at nz 10, [128, 10, 10]: 27 → ~9 µs a call); bigger ones in the JS
 * loop, which writes the result once where WebAssembly would write it
 * twice (memory-bound from nz 50).
 */
const WASM_MAX_BYTES = 1 << 19;

/** In WebAssembly (runFused); false where it does not run. */
function runWasm(
  ins: readonly CpuTensor[],
  out: CpuTensor,
  k: number,
): boolean {
  if (out.dtype !== 'float64' || out.data.length * 8 > WASM_MAX_BYTES)
    return false;
  registerWasmKernels(outerPairWat);
  const wk = wasmKernels();
  if (wk === null) return false;
  const [x1, y1, x2, y2] = ins;
  const [nBatch, r] = x1.shape;
  const c = y1.shape[1];
  return runFused(
    wk,
    'qpOuterPair',
    nBatch,
    [],
    [
      [x1, r],
      [y1, c],
      [x2, r],
      [y2, c],
    ],
    [[out, r * c]],
    0,
    [r, c, k],
  );
}

export const outerPairOp: KernelOp<OuterPairAttrs> = defineOp<OuterPairAttrs>({
  name: 'qpOuterPair',
  shape: outerPairShape,
  cpu: (ins, [out], { k }) => {
    if (runWasm(ins, out, k)) return;
    const [x1, y1, x2, y2] = ins;
    const [nBatch, r] = x1.shape;
    const c = y1.shape[1];
    const [X1, Y1, X2, Y2, O] = [x1, y1, x2, y2, out].map((t) => t.data);
    for (let b = 0; b < nBatch; b++) {
      const yo = b * c;
      let i = 0;
      // Four rows at a time, each pair of y loads serving all four (same
      // bits as one row at a time).
      for (; i + 3 < r; i += 4) {
        const x = b * r + i;
        const [a1, a2] = [X1[x] * k, X2[x] * k];
        const [b1, b2] = [X1[x + 1] * k, X2[x + 1] * k];
        const [c1, c2] = [X1[x + 2] * k, X2[x + 2] * k];
        const [d1, d2] = [X1[x + 3] * k, X2[x + 3] * k];
        const o = x * c;
        for (let j = 0; j < c; j++) {
          const u = Y1[yo + j];
          const v = Y2[yo + j];
          O[o + j] = a1 * u + a2 * v;
          O[o + c + j] = b1 * u + b2 * v;
          O[o + 2 * c + j] = c1 * u + c2 * v;
          O[o + 3 * c + j] = d1 * u + d2 * v;
        }
      }
      for (; i < r; i++) {
        const a1 = X1[b * r + i] * k;
        const a2 = X2[b * r + i] * k;
        const o = (b * r + i) * c;
        for (let j = 0; j < c; j++)
          O[o + j] = a1 * Y1[yo + j] + a2 * Y2[yo + j];
      }
    }
  },
  decompose: ([x1, y1, x2, y2], { k }) => [
    matmul(stack([x1, x2], -1).mul(k), stack([y1, y2], -2)),
  ],
  // Every element is written.
  fillsOutputs: true,
});

/**
 * k·(x1 ⊗ y1 + x2 ⊗ y2) per item: [nBatch, r, c].
 * @example const dQ = outerPair(a, z, z, a, -0.5);
 */
export function outerPair(
  x1: Tensor,
  y1: Tensor,
  x2: Tensor,
  y2: Tensor,
  k: number,
): Tensor {
  return apply1(outerPairOp, [x1, y1, x2, y2], { k });
}
