/**
 * qpBoundsFactor: the factorization of every iteration of the bounds
 * reduction (solver/kkt/bounds.ts), fused per item. With d = lam/s,
 *
 *   h    = diag(Q) + (G∘G)ᵀd        (diagonal: G bounds one variable a row)
 *   W    = diag(√(1/h))·Aᵀ          [n, q]
 *   S    = WᵀW = A diag(1/h) Aᵀ      [q, q]
 *   unit = max(diag S)·rel + abs
 *   L_S  = Cholesky of S + unit·boosts[k]·I for the first k that factors
 *
 * one item at a time in one WebAssembly call: G is read as one column
 * index and value per row (its declared structure; a G with two nonzeros
 * in a row runs the JS loops instead), S comes from the backend's own
 * `$syrkBatch` (one triangle, mirrored, as the Gram product of the tensor
 * ops) and is factored by its `$chol`, retried per item with the next
 * boost where a pivot fails, exactly as `regularizedCholesky`: the level
 * output is the boost taken, −1 (and L_S = I) where none factors. Nothing
 * throws and nothing is retried on the host. Outputs: 1/h, L_S, level.
 * An optional sixth input `active` (bool [nBatch, 1]) leaves out the
 * items where it is false (the solver's converged items): 1/h = 1,
 * L_S = I and level 0 there, so their solves stay finite; the other
 * items' bits are those without it.
 * `decompose` is the tensor-op form (what bounds.ts ran before), for
 * backends without this kernel; without WebAssembly SIMD plain JS loops
 * run it.
 *
 * Glossary: n = nz, m = nIneq, q = nEq; diag(Q) [n] or [nBatch, n];
 * G [·, m, n]; Aᵀ [·, n, q]; s, lam [nBatch, m].
 */
import {
  allocArray,
  apply,
  defineOp,
  DTypeError,
  primitives,
  regularizedCholesky,
  ShapeError,
  type CpuTensor,
  type KernelOp,
  type Tensor,
  type TensorMeta,
} from '@optnet/tensor';
import {
  cpuKernelOf,
  f64,
  i32,
  registerWasmKernels,
  wasmKernels,
  type WasmFunc,
} from '@optnet/tensor/wasm';
import { mtv } from './batch.js';
import {
  at,
  each,
  get,
  identityAt,
  runFused,
  splitActive,
  type Data,
} from './fused-common.js';

export interface BoundsFactorAttrs {
  /** Multiples of the unit tried in order (at most five). */
  readonly boosts: readonly number[];
  /** unit = max(diag S)·rel + abs per item. */
  readonly rel: number;
  readonly abs: number;
}

const MAX_BOOSTS = 5;

function factorShape(
  all: readonly TensorMeta[],
  { boosts }: BoundsFactorAttrs,
): TensorMeta[] {
  const [qd, g, at, s, lam] = all;
  const [nBatch, m] = s.shape;
  splitActive('qpBoundsFactor', all, 5, nBatch); // checks active's shape
  const n = qd.shape[qd.shape.length - 1];
  const q = at.shape[at.shape.length - 1];
  const is = (x: TensorMeta, ...dims: number[]) =>
    x.shape.join() === dims.join() ||
    x.shape.join() === [nBatch, ...dims].join();
  const ok =
    s.shape.length === 2 &&
    is(qd, n) &&
    is(g, m, n) &&
    is(at, n, q) &&
    lam.shape.join() === s.shape.join() &&
    boosts.length >= 1 &&
    boosts.length <= MAX_BOOSTS &&
    (all.length === 5 || all.length === 6);
  if (!ok) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `qpBoundsFactor: inputs must be qDiag [(nBatch,) n], G [(nBatch,) m, n], At [(nBatch,) n, q], s and lam [nBatch, m], with 1 to ${MAX_BOOSTS} boosts; got ${[qd, g, at, s, lam].map((x) => `[${x.shape.join(', ')}]`).join(', ')} and ${boosts.length} boosts.`,
    );
  }
  const dtype = s.dtype;
  if (
    [qd, g, at, lam].some((x) => x.dtype !== dtype) ||
    (dtype !== 'float32' && dtype !== 'float64')
  ) {
    throw new DTypeError(
      'DTYPE_MISMATCH',
      `qpBoundsFactor: inputs must share one float dtype; got ${[qd, g, at, s, lam].map((x) => x.dtype).join(', ')}.`,
    );
  }
  return [
    { shape: [nBatch, n], dtype },
    { shape: [nBatch, q, q], dtype },
    { shape: [nBatch, 1], dtype },
  ];
}

/**
 * G as one column index and value per row ([·, 1, m] each, as float64),
 * or null when a row has two nonzeros (then the dense JS loops run). A
 * row of zeros reads as column 0 with value 0, which adds nothing.
 * @example const [col, val] = compressBounds(g) ?? [null, null];
 */
export function compressBounds(g: CpuTensor): [CpuTensor, CpuTensor] | null {
  const [m, n] = g.shape.slice(-2);
  const items = g.shape.length === 3 ? g.shape[0] : 1;
  const col = new Float64Array(items * m);
  const val = new Float64Array(items * m);
  const G = g.data as Data;
  for (let r = 0; r < items * m; r++) {
    let seen = false;
    for (let j = 0; j < n; j++) {
      const v = G[r * n + j];
      if (v === 0) continue;
      if (seen) return null;
      seen = true;
      col[r] = j;
      val[r] = v;
    }
  }
  const shape = g.shape.length === 3 ? [items, 1, m] : [1, m];
  return [
    { data: col, shape, dtype: 'float64' },
    { data: val, shape, dtype: 'float64' },
  ];
}

const step = (p: string, by: string): string =>
  `(local.set ${p} (i32.add ${get(p)} ${get(by)}))`;

/** hinv ← 1/(qd + (G∘G)ᵀ(lam/s)), the column sums scattered into $t. */
const hItem = `
    ${each('$n', `(f64.store ${at('$t')} (f64.const 0))`)}
    ${each(
      '$m',
      `
      (local.set $cb (i32.add ${get('$t')} (i32.shl (i32.trunc_f64_s (f64.load ${at('$gc')})) (i32.const 3))))
      (local.set $x (f64.load ${at('$gv')}))
      (f64.store ${get('$cb')} (f64.add (f64.load ${get('$cb')})
        (f64.mul (f64.mul ${get('$x')} ${get('$x')}) (f64.div (f64.load ${at('$lam')}) (f64.load ${at('$s')})))))`,
    )}
    ${each('$n', `(f64.store ${at('$hinv')} (f64.div (f64.const 1) (f64.add (f64.load ${at('$qd')}) (f64.load ${at('$t')}))))`)}`;

/** W ← diag(√hinv)·Aᵀ row by row, then S ← WᵀW. */
const schurItem = `
    (local.set $pa ${get('$at')})
    (local.set $pw ${get('$w')})
    (local.set $p (i32.const 0))
    (block $wd (loop $wl
      (br_if $wd (i32.ge_s ${get('$p')} ${get('$n')}))
      (local.set $x (f64.sqrt (f64.load (i32.add ${get('$hinv')} (i32.shl ${get('$p')} (i32.const 3))))))
      ${each('$q', `(f64.store ${at('$pw')} (f64.mul ${get('$x')} (f64.load ${at('$pa')})))`)}
      ${step('$pa', '$qb')} ${step('$pw', '$qb')}
      (local.set $p (i32.add ${get('$p')} (i32.const 1)))
      (br $wl)))
    (call $syrkBatch ${get('$w')} (i32.const 0) ${get('$S')} ${get('$q')} ${get('$n')} (i32.const 1))`;

/** $ls ← the regularized factor of S (the first boost that factors), $lv. */
const cholItem = `
    (local.set $mx (f64.const -inf))
    (local.set $p (i32.const 0))
    (block $md (loop $ml
      (br_if $md (i32.ge_s ${get('$p')} ${get('$q')}))
      (local.set $mx (f64.max ${get('$mx')} (f64.load (i32.add ${get('$S')} (i32.mul ${get('$p')} ${get('$dg')})))))
      (local.set $p (i32.add ${get('$p')} (i32.const 1)))
      (br $ml)))
    (local.set $unit (f64.add (f64.mul ${get('$mx')} ${get('$rel')}) ${get('$abs')}))
    (local.set $lv (i32.const -1))
    (local.set $try (i32.const 0))
    (block $td (loop $tl
      (br_if $td (i32.ge_s ${get('$try')} ${get('$nbo')}))
      ${each('$qq', `(f64.store ${at('$ls')} (f64.load ${at('$S')}))`)}
      (local.set $x (f64.mul ${get('$unit')} (f64.load (i32.add ${get('$bw')} (i32.shl ${get('$try')} (i32.const 3))))))
      ${diagonal(`(f64.add (f64.load ${get('$cb')}) ${get('$x')})`)}
      (if (i32.lt_s (call $chol ${get('$ls')} ${get('$q')}) (i32.const 0)) (then
        (call $zeroUpper ${get('$ls')} ${get('$q')})
        (local.set $lv ${get('$try')})
        (br $td)))
      (local.set $try (i32.add ${get('$try')} (i32.const 1)))
      (br $tl)))
    (if (i32.lt_s ${get('$lv')} (i32.const 0)) (then
      ${each('$qq', `(f64.store ${at('$ls')} (f64.const 0))`)}
      ${diagonal('(f64.const 1)')}))
    (f64.store ${get('$lev')} (f64.convert_i32_s ${get('$lv')}))`;

/** Store `value` (which may read the entry at $cb) on $ls's diagonal. */
function diagonal(value: string): string {
  return `
      (local.set $p (i32.const 0))
      (block $dd (loop $dl
        (br_if $dd (i32.ge_s ${get('$p')} ${get('$q')}))
        (local.set $cb (i32.add ${get('$ls')} (i32.mul ${get('$p')} ${get('$dg')})))
        (f64.store ${get('$cb')} ${value})
        (local.set $p (i32.add ${get('$p')} (i32.const 1)))
        (br $dl)))`;
}

const BOOSTS = ['$b0', '$b1', '$b2', '$b3', '$b4'];

const qpBoundsFactor: WasmFunc = {
  name: 'qpBoundsFactor',
  params: [
    ...i32('$qd', '$qds', '$at', '$ats', '$gc', '$gcs', '$gv', '$gvs'),
    ...i32('$s', '$lam', '$hinv', '$ls', '$lev', '$work', '$n', '$m', '$q'),
    ...i32('$nbo'),
    ...f64('$rel', '$abs', ...BOOSTS),
    ...i32('$count'),
  ],
  locals: [
    ...i32('$k', '$ib', '$iend', '$t', '$w', '$S', '$bw', '$p', '$cb'),
    ...i32('$pa', '$pw', '$lv', '$try', '$qq', '$qb', '$nb', '$mb', '$dg'),
    ...i32('$lsb'),
    ...f64('$x', '$mx', '$unit'),
  ],
  body: `
  (local.set $nb (i32.shl ${get('$n')} (i32.const 3)))
  (local.set $mb (i32.shl ${get('$m')} (i32.const 3)))
  (local.set $qb (i32.shl ${get('$q')} (i32.const 3)))
  (local.set $qq (i32.mul ${get('$q')} ${get('$q')}))
  (local.set $lsb (i32.shl ${get('$qq')} (i32.const 3)))
  (local.set $dg (i32.add ${get('$qb')} (i32.const 8)))
  ;; work: boosts (6 doubles, keeping 16-byte alignment), t (n), S, W
  (local.set $bw ${get('$work')})
  ${BOOSTS.map((b, i) => `(f64.store (i32.add ${get('$bw')} (i32.const ${8 * i})) ${get(b)})`).join(' ')}
  (local.set $t (i32.add ${get('$bw')} (i32.const 48)))
  (local.set $S (i32.add ${get('$t')} (i32.shl (i32.add ${get('$n')} (i32.and ${get('$n')} (i32.const 1))) (i32.const 3))))
  (local.set $w (i32.add ${get('$S')} ${get('$lsb')}))
  (block $done (loop $items
    (br_if $done (i32.ge_s ${get('$k')} ${get('$count')}))
    ${hItem}
    ${schurItem}
    ${cholItem}
    ${step('$qd', '$qds')} ${step('$at', '$ats')} ${step('$gc', '$gcs')} ${step('$gv', '$gvs')}
    ${step('$s', '$mb')} ${step('$lam', '$mb')} ${step('$hinv', '$nb')} ${step('$ls', '$lsb')}
    (local.set $lev (i32.add ${get('$lev')} (i32.const 8)))
    (local.set $k (i32.add ${get('$k')} (i32.const 1)))
    (br $items)))`,
};

/** This file's WebAssembly function (fused-kernels.ts registers them all). */
export const boundsFactorWat: readonly WasmFunc[] = [qpBoundsFactor];

/**
 * [·, 1, len] view of a [len] or [nBatch, len] vector (a matrix operand).
 * @example const row = asRow(hInv); // [nBatch, 1, n]
 */
export function asRow(x: CpuTensor): CpuTensor {
  const shape =
    x.shape.length === 2 ? [x.shape[0], 1, x.shape[1]] : [1, x.shape[0]];
  return { ...x, shape };
}

/** In WebAssembly (runFused); false where it cannot run. */
function factorWasm(
  ins: readonly CpuTensor[],
  outs: readonly CpuTensor[],
  { boosts, rel, abs }: BoundsFactorAttrs,
  active: ArrayLike<number> | null,
): boolean {
  const wk = wasmKernels();
  const [qd, g, atT, s, lam] = ins;
  const packed = wk === null ? null : compressBounds(g);
  if (wk === null || packed === null) return false;
  const [nBatch, m] = s.shape;
  const [n, q] = atT.shape.slice(-2);
  const b = Array.from({ length: MAX_BOOSTS }, (_, i) => boosts[i] ?? 0);
  return runFused(
    wk,
    'qpBoundsFactor',
    nBatch,
    [
      [asRow(qd), n],
      [atT, n * q],
      [packed[0], m],
      [packed[1], m],
    ],
    [
      [s, m],
      [lam, m],
    ],
    [
      [outs[0], n],
      [outs[1], q * q],
      [outs[2], 1],
    ],
    6 + n + 1 + q * q + n * q,
    [n, m, q, boosts.length, rel, abs, ...b],
    active,
    // Left-out items: 1/h = 1, L_S = I, level 0.
    [(h) => h.fill(1), (l) => identityAt(l, 0, q), null],
  );
}

/** The same in plain JS loops, G dense. */
function factorJs(
  [qd, g, atT, s, lam]: readonly CpuTensor[],
  outs: readonly CpuTensor[],
  { boosts, rel, abs }: BoundsFactorAttrs,
): void {
  const [nBatch, m] = s.shape;
  const [n, q] = atT.shape.slice(-2);
  // Offsets of item b in a per-item operand (rank 2 vector, rank 3 matrix).
  const off = (x: CpuTensor, b: number, rank: number, size: number) =>
    x.shape.length === rank ? b * size : 0;
  const S = allocArray('float64', nBatch * q * q) as Float64Array;
  const unit = new Float64Array(nBatch);
  const w = new Float64Array(n);
  const [Qd, G, At] = [qd.data, g.data, atT.data] as Data[];
  for (let b = 0; b < nBatch; b++) {
    const go = off(g, b, 3, m * n);
    for (let j = 0; j < n; j++) {
      let t = 0;
      for (let i = 0; i < m; i++) {
        const gij = G[go + i * n + j];
        t += gij * gij * (lam.data[b * m + i] / s.data[b * m + i]);
      }
      const hInv = 1 / (Qd[off(qd, b, 2, n) + j] + t);
      outs[0].data[b * n + j] = hInv;
      w[j] = Math.sqrt(hInv);
    }
    const ao = off(atT, b, 3, n * q);
    let mx = -Infinity;
    for (let k = 0; k < q; k++) {
      for (let l = 0; l <= k; l++) {
        let v = 0;
        for (let p = 0; p < n; p++)
          v += w[p] * At[ao + p * q + k] * (w[p] * At[ao + p * q + l]);
        S[b * q * q + k * q + l] = v;
        S[b * q * q + l * q + k] = v;
      }
      mx = Math.max(mx, S[b * q * q + k * q + k]);
    }
    unit[b] = mx * rel + abs;
  }
  cpuKernelOf(primitives.regularizedCholesky)(
    [
      { data: S, shape: [nBatch, q, q], dtype: 'float64' },
      { data: unit, shape: [nBatch, 1], dtype: 'float64' },
    ],
    [outs[1], outs[2]],
    { boosts },
  );
}

/** The tensor-op form: what solver/kkt/bounds.ts ran before this kernel. */
function factorOps(
  [qd, g, atT, s, lam]: readonly Tensor[],
  { boosts, rel, abs }: BoundsFactorAttrs,
): Tensor[] {
  const [nBatch] = s.shape;
  const n = qd.shape[qd.shape.length - 1];
  const h = qd.add(mtv(g.square(), lam.div(s)));
  const hInv = h.reciprocal().expand([nBatch, n]);
  const w = hInv.sqrt().unsqueeze(-1).mul(atT);
  const schur = w.matmul(w, { transA: true });
  const unit = schur.diagonal().max(-1, true).mul(rel).add(abs);
  const [ls, level] = regularizedCholesky(schur, unit, boosts);
  return [hInv, ls, level];
}

export const boundsFactorOp: KernelOp<BoundsFactorAttrs> =
  defineOp<BoundsFactorAttrs>({
    name: 'qpBoundsFactor',
    shape: factorShape,
    cpu: (all, outs, attrs) => {
      registerWasmKernels(boundsFactorWat);
      const [nBatch] = all[3].shape;
      const [ins, active] = splitActive('qpBoundsFactor', all, 5, nBatch);
      if (factorWasm(ins, outs, attrs, active?.data ?? null)) return;
      // The JS loops factor every item (active is an economy, not a rule).
      // Outputs come unzeroed (fillsOutputs): the fallback starts clean.
      for (const o of outs) o.data.fill(0);
      factorJs(ins, outs, attrs);
    },
    decompose: (ins, attrs) => factorOps(ins.slice(0, 5), attrs),
    // A factor or the identity, and levels, like regularizedCholesky.
    finiteOutputs: false,
    // The WebAssembly path copies out every item's whole outputs.
    fillsOutputs: true,
  });

/**
 * The bounds reduction's factorization at (s, lam), fused (see the file
 * comment): [1/h [nBatch, n], L_S [nBatch, q, q], level [nBatch, 1]]. With
 * `active` (bool [nBatch, 1]) the items where it is false may be left out.
 * @example
 * const [hInv, ls, level] = boundsFactor(qDiag, G, At, s, lam, { boosts: [1, 1e3], rel: 1e-12, abs: 1e-13 });
 */
export function boundsFactor(
  qDiag: Tensor,
  G: Tensor,
  At: Tensor,
  s: Tensor,
  lam: Tensor,
  attrs: BoundsFactorAttrs,
  active: Tensor | null = null,
): Tensor[] {
  const ins = [qDiag, G, At, s, lam];
  return apply(boundsFactorOp, active === null ? ins : [...ins, active], {
    ...attrs,
    boosts: [...attrs.boosts],
  });
}
