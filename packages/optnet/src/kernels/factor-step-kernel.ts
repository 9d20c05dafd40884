/**
 * A dual-reduction iteration without equalities in one fused op: the
 * factorization of S = K + diag(d) (qpShiftedCholesky) and the Mehrotra
 * direction with it (qpPredictCorrect), so that L_S never leaves the
 * WebAssembly memory: the factors are made in their slots and the
 * direction reads them there. Apart, the factorization copied L_S out to
 * a new tensor (a [nBatch, m, m] array, 10 MB at the bench's nz 100,
 * which nothing else reads: an iteration needs no factor after its
 * direction); at nz 100, where the iteration is bound by memory traffic,
 * that was about 5% of the forward. (Windows of a few items, to keep
 * their factors in cache for the direction, measured slower than one
 * chunk of all.)
 *
 * The same WebAssembly functions run on the same operands in the same
 * order, so the results are those of the two ops, to the bit. Where the
 * WebAssembly kernels are missing, the data is float32, memory cannot be
 * had, or an item's factorization needs a boost (or meets a NaN), the two
 * ops' CPU kernels run one after the other instead (their fallbacks
 * included), which is also the `decompose`.
 *
 * Items where the optional last input `active` is false may be left out,
 * as by the two ops: in WebAssembly their direction is 0 (the JS loops
 * compute it, with L_S = I) and their level is 0.
 *
 * Glossary: n = nz, m = nIneq; K [·, m, m] (Kgg − VᵀV), d = s/lam,
 * unit [nBatch, 1] (see shifted-cholesky-kernel.ts); L_Q, W_G, G, rx, s,
 * lam, inactive, rz as in dual-solve-kernel.ts.
 */
import {
  allocArray,
  apply,
  defineOp,
  ShapeError,
  type CpuTensor,
  type KernelOp,
  type Tensor,
  type TensorMeta,
} from '@optnet/tensor';
import {
  inChunks,
  operand,
  registerWasmKernels,
  wasmKernels,
  type WasmKernels,
} from '@optnet/tensor/wasm';
import { activeRuns, mapsOf, splitActive, type Data } from './fused-common.js';
import {
  dualSolveWat,
  predictCorrect,
  predictCorrectOp,
} from './dual-solve-kernel.js';
import {
  shiftedCholesky,
  shiftedCholeskyOp,
} from './shifted-cholesky-kernel.js';

export interface FactorStepAttrs {
  /** S's regularization per try (shifted-cholesky-kernel.ts). */
  readonly boosts: readonly number[];
}

const NAMES = [
  'K',
  'd',
  'unit',
  'lq',
  'wG',
  'G',
  'rx',
  's',
  'lam',
  'inactive',
  'rz',
] as const;

function factorStepShape(all: readonly TensorMeta[]): TensorMeta[] {
  if (all.length !== 11 && all.length !== 12) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `qpFactorStep: takes 11 inputs (${NAMES.join(', ')}) and active, optional; got ${all.length}.`,
    );
  }
  const nBatch = all[1].shape[0];
  const [ins, active] = splitActive('qpFactorStep', all, 11, nBatch);
  const [k, d, unit, lq, wG, G, rx, s, lam, inactive, rz] = ins;
  const tail = active === null ? [] : [active];
  const [l] = shiftedCholeskyOp.shape([k, d, unit, ...tail], {
    boosts: [0],
  });
  const pc = predictCorrectOp.shape(
    [lq, wG, G, l, rx, s, lam, d, inactive, rz, ...tail],
    {},
  );
  return [...pc, { shape: [nBatch, 1], dtype: d.dtype }];
}

/**
 * Both in WebAssembly, chunk by chunk of items (one chunk at the paper's
 * sizes); false
 * (outputs not final) where an active item's factorization fails at boost
 * 0 or memory cannot be had.
 */
function fusedWasm(
  wk: WasmKernels,
  ins: readonly CpuTensor[],
  outs: readonly CpuTensor[],
  unit0: Float64Array,
  active: ArrayLike<number> | null,
): boolean {
  const [k, d, , lq, wG, G, rx, s, lam, inactive, rz] = ins;
  const [nBatch, m] = d.shape;
  const n = rx.shape[1];
  const mm = m * m;
  const [per, shared] = mapsOf(nBatch);
  const mapOf = (t: CpuTensor) => (t.shape.length === 3 ? per : shared);
  const mats: [CpuTensor, number][] = [
    [lq, n * n],
    [wG, n * m],
    [G, m * n],
  ];
  // Per item: its factor, d and shift (the factorization's), then what
  // runFused feeds qpPredictCorrect: rx (n) and s, lam, s/lam, inactive,
  // rz (m); out dz (n), dlam, ds (m); work 2n + 5m.
  const vecs: [CpuTensor, number][] = [
    [rx, n],
    [s, m],
    [lam, m],
    [d, m],
    [inactive, m],
    [rz, m],
  ];
  const outLens = [n, m, m];
  const itemDoubles = mm + m + 1 + (n + 5 * m) + (n + 2 * m) + (2 * n + 5 * m);
  const maxMat = Math.max(
    mm,
    ...mats.map(([t, len]) => (t.shape.length === 3 ? len : 1)),
  );
  const body = (s0: number, e0: number, at: number): boolean => {
    const c = e0 - s0;
    const kArg = operand(wk, k.data as Data, mapOf(k), s0, e0, mm);
    if (kArg[0] < 0) return false;
    const matArgs: number[] = [];
    for (const [t, len] of mats) {
      const [a, stride] = operand(wk, t.data as Data, mapOf(t), s0, e0, len);
      if (a < 0) return false;
      matArgs.push(a, stride);
    }
    const mem = wk.f64();
    let p = at >> 3;
    const take = (len: number): number => ((p += len), (p - len) * 8);
    const lAt = take(c * mm);
    const dAt = take(c * m);
    const shAt = take(c);
    mem.set((d.data as Data).subarray(s0 * m, e0 * m), dAt >> 3);
    mem.set(unit0.subarray(s0, e0), shAt >> 3);
    const vecArgs = vecs.map(([t, len]) => {
      const a = take(c * len);
      mem.set(
        (t.data as Data | Uint8Array).subarray(s0 * len, e0 * len),
        a >> 3,
      );
      return a;
    });
    const outArgs = outLens.map((len) => take(c * len));
    const workAt = take(2 * n + 5 * m);
    for (const [a, b] of activeRuns(active, s0, e0)) {
      const o = a - s0;
      const cnt = b - a;
      const lItem = lAt + o * mm * 8;
      const fail = wk.fn.cholShiftedBatch(
        lItem,
        kArg[0] + o * kArg[1],
        kArg[1],
        m,
        dAt + o * m * 8,
        shAt + o * 8,
        cnt,
      );
      if (fail >= 0) return false;
      const mArgs = matArgs.map((x, i) =>
        i % 2 === 0 ? x + o * matArgs[i + 1] : x,
      );
      const vo = [...vecs.map(([, len]) => len), ...outLens].map(
        (len, i) => [...vecArgs, ...outArgs][i] + o * len * 8,
      );
      wk.fn.qpPredictCorrect(...mArgs, lItem, mm * 8, ...vo, workAt, n, m, cnt);
    }
    outLens.forEach((len, i) => {
      const out = outs[i].data as Data;
      const src = mem.subarray(outArgs[i] >> 3, (outArgs[i] >> 3) + c * len);
      out.set(src, s0 * len);
      if (active !== null)
        for (let t = s0; t < e0; t++)
          if (!active[t]) out.fill(0, t * len, (t + 1) * len);
    });
    return true;
  };
  return inChunks(wk, itemDoubles * 8, 0, nBatch, body, maxMat * 8);
}

export const factorStepOp: KernelOp<FactorStepAttrs> =
  defineOp<FactorStepAttrs>({
    name: 'qpFactorStep',
    shape: factorStepShape,
    cpu: (all, outs, attrs) => {
      registerWasmKernels(dualSolveWat);
      const [ins, active] = splitActive(
        'qpFactorStep',
        all,
        11,
        all[1].shape[0],
      );
      const [k, d, unit, lq, wG, G, rx, s, lam, inactive, rz] = ins;
      const wk = wasmKernels();
      const b0 = attrs.boosts[0];
      const unit0 = Float64Array.from(unit.data, (u) => u * b0);
      const on = active === null ? null : (active.data as Uint8Array);
      if (
        wk !== null &&
        d.dtype === 'float64' &&
        fusedWasm(wk, ins, outs, unit0, on)
      ) {
        outs[3].data.fill(0);
        return;
      }
      // The two ops, as apart: the factor into a scratch array.
      const [nBatch, m] = d.shape;
      const l: CpuTensor = {
        data: allocArray(d.dtype, nBatch * m * m),
        shape: [nBatch, m, m],
        dtype: d.dtype,
      };
      const tail = active === null ? [] : [active];
      shiftedCholeskyOp.cpu!([k, d, unit, ...tail], [l, outs[3]], attrs);
      predictCorrectOp.cpu!(
        [lq, wG, G, l, rx, s, lam, d, inactive, rz, ...tail],
        outs.slice(0, 3),
        {},
      );
    },
    decompose: (all, attrs) => {
      const [k, d, unit, lq, wG, G, rx, s, lam, inactive, rz, active] = all;
      const [l, level] = shiftedCholesky(
        k,
        d,
        unit,
        attrs.boosts,
        active ?? null,
      );
      const [dz, dlam, ds] = predictCorrect(
        lq,
        wG,
        G,
        l,
        rx,
        s,
        lam,
        d,
        inactive,
        rz,
        active ?? null,
      );
      return [dz, dlam, ds, level];
    },
  });

/**
 * qpShiftedCholesky(K, d, unit, boosts, active) and then
 * qpPredictCorrect with its factor, in one op that keeps the factor in
 * WebAssembly memory (the file comment): [dz, dlam, ds, level].
 * @example
 * const [dz, dlam, ds, level] = factorStep(kg, sOverLam, unit, lq, wG, G, rx, s, lam, inactive, rz, [0, 1e3]);
 */
export function factorStep(
  k: Tensor,
  d: Tensor,
  unit: Tensor,
  lq: Tensor,
  wG: Tensor,
  G: Tensor,
  rx: Tensor,
  s: Tensor,
  lam: Tensor,
  inactive: Tensor,
  rz: Tensor,
  boosts: readonly number[],
  active: Tensor | null = null,
): Tensor[] {
  const ins = [k, d, unit, lq, wG, G, rx, s, lam, inactive, rz];
  if (active !== null) ins.push(active);
  return apply(factorStepOp, ins, { boosts: [...boosts] });
}
