/**
 * The CPU backend's float32 matmul through the packed WebAssembly kernel
 * (cpu/wasm/wat-sgemm.ts): float32 operands are read from their f32
 * mirrors (copied only when they have none), C is computed in scratch and
 * copied out, and becomes the output's mirror when the call made all of
 * it. Row blocks (one big product split over threads) and batch items
 * both run it; any split gives the same bits (see wat-sgemm.ts).
 */
import type { CpuTensor } from '../../op.js';
import {
  isGram,
  rowBlockRows,
  rowBlocked,
  type MatmulLayout,
} from '../../ops/matmul.js';
import {
  SGEMM_KC,
  SGEMM_MR_FMA,
  SGEMM_MR_PLAIN,
  SGEMM_NR,
  sgemmMc,
} from '../wasm/wat-sgemm.js';
import { MAX_ALLOC, type WasmKernels } from '../wasm/runtime.js';

/**
 * Whether a call takes the float32 kernel: float32 data, more than one
 * column (mat-vecs and Gram matrices keep the float64 kernels' shapes).
 * @example if (sgemmApplies(a, b, y, tA, tB)) sgemmRange(...);
 */
export function sgemmApplies(
  a: CpuTensor,
  b: CpuTensor,
  y: CpuTensor,
  transA: boolean,
  transB: boolean,
): boolean {
  return (
    a.data instanceof Float32Array &&
    b.data instanceof Float32Array &&
    y.shape[y.shape.length - 1] > 1 &&
    !isGram(a, b, transA, transB)
  );
}

/** One product of `rows` rows: operand, output and scratch addresses. */
type SgemmCall = (
  aAt: number,
  bAt: number,
  cAt: number,
  rows: number,
  scratch: readonly number[],
) => void;

/**
 * The micro-tile rows for a product of m rows (wat-sgemm.ts): 4 in a
 * module without fused multiply-add; with it 6, unless padding m to whole
 * 6-row panels costs more than the 6-row tile saves. The tile measured
 * ~1.2x the 4-row one a row (wat-sgemm.ts); the rule counts only 10%, a
 * margin that keeps the conv layers' m = 8 and 16 output channels on
 * 4-row panels (6-row ones everywhere made a Fashion-MNIST conv epoch 2%
 * slower). Either tile gives the same bits.
 */
function tileRows(wk: WasmKernels, m: number): number {
  if (!wk.fma) return SGEMM_MR_PLAIN;
  const padded = (mr: number) => Math.ceil(m / mr) * mr;
  return 0.9 * padded(SGEMM_MR_FMA) < padded(SGEMM_MR_PLAIN)
    ? SGEMM_MR_FMA
    : SGEMM_MR_PLAIN;
}

/**
 * `wk`'s packed float32 matmul for a product of m rows (wat-sgemm.ts
 * sgemm{MR}, the micro-tile that runs it best), called with packScratch's
 * scratch last.
 * @example sgemmOf(wk, m)(aAt, k, 0, bAt, n, 0, cAt, n, m, k, n, ...packScratch(wk, n));
 */
export function sgemmOf(
  wk: WasmKernels,
  m: number,
): (...args: number[]) => number {
  return wk.fn[`sgemm${tileRows(wk, m)}`];
}

/**
 * Scratch of sgemmOf(wk, ·) calls with n columns, for either tile: packed
 * A and B blocks and the edge tile (addresses, −1 where memory could not
 * be had).
 * @example const scratch = packScratch(wk, n); // then sgemmOf(wk, m)(..., ...scratch)
 */
export function packScratch(wk: WasmKernels, n: number): number[] {
  const tiles = [SGEMM_MR_PLAIN, SGEMM_MR_FMA];
  const mc = Math.max(...tiles.map(sgemmMc));
  const nPad = Math.ceil(n / SGEMM_NR) * SGEMM_NR;
  const ap = wk.alloc(mc * SGEMM_KC * 4);
  const bp = wk.alloc(nPad * SGEMM_KC * 4);
  const tmp = wk.alloc(Math.max(...tiles) * SGEMM_NR * 4);
  return [ap, bp, tmp];
}

/**
 * Output items [start, end) (or row blocks, see rowBlocked) of a float32
 * op(a)·op(b) with the WebAssembly kernel. False if its memory cannot be
 * had (an operand over MAX_ALLOC): then the caller runs the JS kernel.
 */
export function sgemmRange(
  wk: WasmKernels,
  a: CpuTensor,
  b: CpuTensor,
  y: CpuTensor,
  l: MatmulLayout,
  transA: boolean,
  transB: boolean,
  start: number,
  end: number,
): boolean {
  const { m, k, n } = l;
  if (k === 0) return true; // outputs come zero-filled
  const A = a.data as Float32Array;
  const B = b.data as Float32Array;
  const Y = y.data as Float32Array;
  const lda = transA ? m : k;
  const ldb = transB ? k : n;
  const call: SgemmCall = (aAt, bAt, cAt, rows, scratch) => {
    sgemmOf(wk, rows)(
      aAt,
      lda,
      transA ? 1 : 0,
      bAt,
      ldb,
      transB ? 1 : 0,
      cAt,
      n,
      rows,
      k,
      n,
      ...scratch,
    );
  };
  if (rowBlocked(y)) {
    const [r0, r1] = rowBlockRows(y, start, end);
    wk.begin();
    const aAt = wk.resident32(A);
    const bAt = wk.resident32(B);
    const cAt = wk.alloc((r1 - r0) * n * 4);
    const scratch = packScratch(wk, n);
    if (aAt < 0 || bAt < 0 || cAt < 0 || scratch.includes(-1)) return false;
    // Row r0 of op(A): row r0 of A, or column r0 of the stored [k, m] A.
    call(aAt + (transA ? r0 : r0 * k) * 4, bAt, cAt, r1 - r0, scratch);
    copyOut(wk, Y, cAt, r0 * n, (r1 - r0) * n, r0 === 0 && r1 === m);
    return true;
  }
  return itemsRange(wk, A, B, Y, l, start, end, call);
}

/** Batch items [start, end), in chunks whose C fits one allocation. */
function itemsRange(
  wk: WasmKernels,
  A: Float32Array,
  B: Float32Array,
  Y: Float32Array,
  l: MatmulLayout,
  start: number,
  end: number,
  call: SgemmCall,
): boolean {
  const { m, k, n, am, bm } = l;
  const mn = m * n;
  const per = Math.max(1, Math.floor(MAX_ALLOC / 4 / (mn * 4)));
  for (let s = start; s < end; s += per) {
    const e = Math.min(end, s + per);
    wk.begin();
    const aAt = wk.resident32(A);
    const bAt = wk.resident32(B);
    const cAt = wk.alloc((e - s) * mn * 4);
    const scratch = packScratch(wk, n);
    if (aAt < 0 || bAt < 0 || cAt < 0 || scratch.includes(-1)) return false;
    for (let t = s; t < e; t++) {
      const at = aAt + am[t] * m * k * 4;
      call(at, bAt + bm[t] * k * n * 4, cAt + (t - s) * mn * 4, m, scratch);
    }
    copyOut(wk, Y, cAt, s * mn, (e - s) * mn, s === 0 && e * mn === Y.length);
  }
  return true;
}

/** Y[off, off + len) ← the floats at byte address at; a mirror if whole. */
function copyOut(
  wk: WasmKernels,
  Y: Float32Array,
  at: number,
  off: number,
  len: number,
  whole: boolean,
): void {
  Y.set(wk.f32().subarray(at >> 2, (at >> 2) + len), off);
  if (whole) wk.remember32(Y, at);
}
