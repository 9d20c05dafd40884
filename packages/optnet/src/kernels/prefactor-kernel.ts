/**
 * The dual reduction's constant factors in one op (solver/kkt/dual-factor.ts
 * preFactorDual): W_G = L_Q⁻¹Gᵀ and K = W_GᵀW_G = G Q⁻¹ Gᵀ. As tensor ops
 * that is a transpose of G written out, a triangular solve with it (copied
 * into WebAssembly memory, W_G copied out) and a Gram product; here each
 * chunk of items has G transposed in WebAssembly memory, solved there in
 * place and K made from it, and only W_G and K leave (the bench's nz 50:
 * three 2.5 MB passes fewer). The same $trsBatch and $syrkBatch on the
 * same operands, so the bits of the tensor ops where those run them (a
 * batch of float64 items); elsewhere (float32, a shared 2-D result, no
 * WebAssembly, memory not to be had) the tensor ops' own CPU kernels run,
 * which is also the `decompose`.
 *
 * Neither input is checked finite (G is checked by qp's validation, L_Q
 * is a Cholesky factor). The op runs on one thread: where threads are on
 * and would split the solve, `dualPrefactor` runs the tensor ops instead.
 *
 * Glossary: n = nz, m = nIneq; L_Q [(nBatch,) n, n] lower, G
 * [(nBatch,) m, n]; W_G [(nBatch,) n, m], K [(nBatch,) m, m].
 */
import {
  allocArray,
  apply,
  cpuWouldSplit,
  defineOp,
  DTypeError,
  primitives,
  ShapeError,
  type CpuTensor,
  type KernelOp,
  type Tensor,
  type TensorMeta,
} from '@optnet/tensor';
import {
  batchMap,
  cpuKernelOf,
  i32,
  inChunks,
  operand,
  registerWasmKernels,
  wasmKernels,
  type WasmFunc,
  type WasmKernels,
} from '@optnet/tensor/wasm';
import { get, type Data } from './fused-common.js';

/**
 * qpTransposeBatch(src, sstride, dst, r, c, count): the [c, r] transposes
 * of `count` [r, c] matrices (item t at src + t·sstride), written one
 * after the other from dst. Exact: loads and stores only.
 */
const qpTransposeBatch: WasmFunc = {
  name: 'qpTransposeBatch',
  params: i32('$src', '$sstride', '$dst', '$r', '$c', '$count'),
  locals: i32('$t', '$i', '$j', '$rb', '$row', '$out'),
  body: `
  (local.set $rb (i32.shl ${get('$r')} (i32.const 3)))
  (block $done (loop $items
    (br_if $done (i32.ge_s ${get('$t')} ${get('$count')}))
    (local.set $i (i32.const 0))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_s ${get('$i')} ${get('$r')}))
      (local.set $row (i32.add ${get('$src')} (i32.shl (i32.mul ${get('$i')} ${get('$c')}) (i32.const 3))))
      (local.set $out (i32.add ${get('$dst')} (i32.shl ${get('$i')} (i32.const 3))))
      (local.set $j (i32.const 0))
      (block $cd (loop $cl
        (br_if $cd (i32.ge_s ${get('$j')} ${get('$c')}))
        (f64.store ${get('$out')} (f64.load ${get('$row')}))
        (local.set $row (i32.add ${get('$row')} (i32.const 8)))
        (local.set $out (i32.add ${get('$out')} ${get('$rb')}))
        (local.set $j (i32.add ${get('$j')} (i32.const 1)))
        (br $cl)))
      (local.set $i (i32.add ${get('$i')} (i32.const 1)))
      (br $rl)))
    (local.set $src (i32.add ${get('$src')} ${get('$sstride')}))
    (local.set $dst (i32.add ${get('$dst')} (i32.shl (i32.mul ${get('$r')} ${get('$c')}) (i32.const 3))))
    (local.set $t (i32.add ${get('$t')} (i32.const 1)))
    (br $items)))`,
};

export const prefactorWat: readonly WasmFunc[] = [qpTransposeBatch];

/** [batch shape, n, m] of (L_Q, G), checked. */
function dims(ins: readonly TensorMeta[]): [number[], number, number] {
  const [lq, g] = ins;
  const rl = lq.shape.length;
  const rg = g.shape.length;
  const n = lq.shape[rl - 1];
  const m = rg >= 2 ? g.shape[rg - 2] : -1;
  const lead = [lq.shape.slice(0, -2), g.shape.slice(0, -2)];
  const batch = lead[0].length >= lead[1].length ? lead[0] : lead[1];
  const ok =
    ins.length === 2 &&
    (rl === 2 || rl === 3) &&
    (rg === 2 || rg === 3) &&
    lq.shape[rl - 2] === n &&
    g.shape[rg - 1] === n &&
    lead.every((l) => l.length === 0 || l.join() === batch.join());
  if (!ok) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `qpDualPrefactor: L_Q must be [(nBatch,) n, n] and G [(nBatch,) m, n], with one nBatch; got L_Q[${lq.shape.join(', ')}], G[${g.shape.join(', ')}]. Pass Q's Cholesky factor and the inequality matrix.`,
    );
  }
  const dtype = lq.dtype;
  if (g.dtype !== dtype || (dtype !== 'float32' && dtype !== 'float64')) {
    throw new DTypeError(
      'DTYPE_MISMATCH',
      `qpDualPrefactor: L_Q and G must share a float dtype; got ${lq.dtype} and ${g.dtype}. Cast them to one of float32 or float64.`,
    );
  }
  return [batch, n, m];
}

function prefactorShape(ins: readonly TensorMeta[]): TensorMeta[] {
  const [batch, n, m] = dims(ins);
  const dtype = ins[0].dtype;
  return [
    { shape: [...batch, n, m], dtype },
    { shape: [...batch, m, m], dtype },
  ];
}

/**
 * Every item in WebAssembly (see the file comment); false where memory
 * cannot be had (nothing final written).
 */
function prefactorWasm(
  wk: WasmKernels,
  lq: CpuTensor,
  g: CpuTensor,
  [w, k]: readonly CpuTensor[],
  nBatch: number,
  n: number,
  m: number,
): boolean {
  const nm = n * m;
  const mm = m * m;
  const lMap = batchMap(lq.shape.slice(0, -2), [nBatch]);
  const gMap = batchMap(g.shape.slice(0, -2), [nBatch]);
  const W = w.data as Float64Array;
  const K = k.data as Float64Array;
  let wAt = -1;
  let kAt = -1;
  const ok = inChunks(
    wk,
    (nm + mm) * 8,
    0,
    nBatch,
    (s, e, at) => {
      const c = e - s;
      const [lAt, lStride] = operand(wk, lq.data as Data, lMap, s, e, n * n);
      if (lAt < 0) return false;
      const [gAt, gStride] = operand(wk, g.data as Data, gMap, s, e, nm);
      if (gAt < 0) return false;
      const kChunk = at + c * nm * 8;
      const fn = wk.fn;
      fn.qpTransposeBatch(gAt, gStride, at, m, n, c);
      // forward (lower, not transposed), non-unit diagonal
      fn.trsBatch(lAt, lStride, at, n, m, c, 1, 0, 0);
      fn.syrkBatch(at, nm * 8, kChunk, m, n, c);
      const mem = wk.f64();
      W.set(mem.subarray(at >> 3, (at >> 3) + c * nm), s * nm);
      K.set(mem.subarray(kChunk >> 3, (kChunk >> 3) + c * mm), s * mm);
      if (s === 0 && e === nBatch) [wAt, kAt] = [at, kChunk];
    },
    Math.max(n * n, nm, mm) * 8,
  );
  // One chunk: both stay as mirrors (the iterations read them there).
  if (ok && wAt >= 0) {
    wk.remember(W, wAt);
    wk.remember(K, kAt);
  }
  return ok;
}

/**
 * The tensor ops' CPU kernels, one after the other (the file comment); a
 * shared G is broadcast over L_Q's batch by the solve, as the tensor ops
 * expand it.
 */
function prefactorJs(
  lq: CpuTensor,
  g: CpuTensor,
  [w, k]: readonly CpuTensor[],
): void {
  const dtype = g.dtype;
  const r = g.shape.length;
  const gt: CpuTensor = {
    data: allocArray(dtype, g.data.length),
    shape: [...g.shape.slice(0, -2), g.shape[r - 1], g.shape[r - 2]],
    dtype,
  };
  const perm = r === 3 ? [0, 2, 1] : [1, 0];
  // The op's outputs may be recycled memory (fillsOutputs), and the JS
  // matmul accumulates into its output: zeroed first, as apart.
  w.data.fill(0);
  k.data.fill(0);
  cpuKernelOf(primitives.permute)([g], [gt], { perm });
  cpuKernelOf(primitives.triangularSolve)([lq, gt], [w], {
    lower: true,
    transpose: false,
    unitDiagonal: false,
  });
  cpuKernelOf(primitives.matmul)([w, w], [k], { transA: true, transB: false });
}

export const prefactorOp: KernelOp<Record<string, never>> = defineOp<
  Record<string, never>
>({
  name: 'qpDualPrefactor',
  shape: prefactorShape,
  cpu: ([lq, g], outs) => {
    registerWasmKernels(prefactorWat);
    const [batch, n, m] = dims([lq, g]);
    const wk = wasmKernels();
    if (
      wk !== null &&
      batch.length === 1 &&
      lq.dtype === 'float64' &&
      prefactorWasm(wk, lq, g, outs, batch[0], n, m)
    )
      return;
    prefactorJs(lq, g, outs);
  },
  decompose: ([lq, g]) => {
    const [batch] = dims([lq, g]);
    const gb =
      batch.length === 1 && g.rank === 2
        ? g.unsqueeze(0).expand([batch[0], ...g.shape])
        : g;
    const w = lq.triangularSolve(gb.transpose(-2, -1));
    return [w, w.matmul(w, { transA: true })];
  },
  // The WebAssembly path copies out every item; the fallback zeroes its
  // outputs before the tensor ops' kernels (the JS matmul accumulates).
  fillsOutputs: true,
});

/**
 * W_G = L_Q⁻¹Gᵀ and K = W_GᵀW_G, as
 * `w = lq.triangularSolve(G.transpose(-2, -1)); w.matmul(w, { transA: true })`
 * (G expanded over L_Q's batch), in one op (the file comment).
 * @example const [wG, kgg] = dualPrefactor(lq, G);
 */
export function dualPrefactor(lq: Tensor, g: Tensor): [Tensor, Tensor] {
  // Where threads would split the solve (and the Gram product), the
  // tensor ops run: the op itself runs on one thread.
  const [batch, n, m] = dims([lq, g]);
  const w = { shape: [...batch, n, m], dtype: lq.dtype };
  const attrs = { lower: true, transpose: false, unitDiagonal: false };
  if (cpuWouldSplit(primitives.triangularSolve, [lq, w], [w], attrs)) {
    const [wG, k] = prefactorOp.decompose!([lq, g], {});
    return [wG, k];
  }
  const [wG, k] = apply(prefactorOp, [lq, g], {});
  return [wG, k];
}
