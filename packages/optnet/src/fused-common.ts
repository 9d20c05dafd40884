/**
 * Pieces the fused WebAssembly kernels of the dual reduction share
 * (dual-solve-kernel.ts, predict-correct-eq-kernel.ts): WebAssembly text
 * helpers, the corrector right-hand side of an item, batch maps, and the
 * small JS loops of their fallbacks.
 */
export type Data = Float64Array | Float32Array;

export const get = (x: string): string => `(local.get ${x})`;
/** A loop over i < `len` (an i32 local) with byte offset $ib = 8i. */
export const each = (len: string, body: string): string => `
    (local.set $ib (i32.const 0))
    (local.set $iend (i32.shl ${get(len)} (i32.const 3)))
    (block $ed (loop $el
      (br_if $ed (i32.ge_s ${get('$ib')} ${get('$iend')}))
      ${body}
      (local.set $ib (i32.add ${get('$ib')} (i32.const 8)))
      (br $el)))`;
/** f64 at vector `v` (a byte-address local), element $ib. */
export const at = (v: string): string => `(i32.add ${get(v)} ${get('$ib')})`;

/**
 * Mehrotra's corrector right-hand side for the current item into `rc`
 * from the affine direction (dsa, dlama): the same arithmetic, in the
 * same order, as qpCentering's kernel (step-kernels.ts), so the fused
 * step gives the same bits as the separate kernels.
 */
export const centerItem: string = `
    (local.set $r (f64.const inf))
    (local.set $nan (i32.const 0))
    ${each('$m', `
      (local.set $a (f64.div (f64.load ${at('$dsa')}) (f64.load ${at('$s')})))
      (local.set $b (f64.div (f64.load ${at('$dlama')}) (f64.load ${at('$lam')})))
      (if (i32.or (f64.ne ${get('$a')} ${get('$a')}) (f64.ne ${get('$b')} ${get('$b')})) (then (local.set $nan (i32.const 1))))
      (if (f64.lt ${get('$a')} ${get('$r')}) (then (local.set $r ${get('$a')})))
      (if (f64.lt ${get('$b')} ${get('$r')}) (then (local.set $r ${get('$b')})))`)}
    (local.set $alpha (f64.div (f64.const 1) (f64.max (f64.neg ${get('$r')}) (f64.const 1))))
    (if ${get('$nan')} (then (local.set $alpha (f64.const nan))))
    (local.set $sl (f64.const 0))
    (local.set $sla (f64.const 0))
    ${each('$m', `
      (local.set $si (f64.load ${at('$s')}))
      (local.set $li (f64.load ${at('$lam')}))
      (local.set $sl (f64.add ${get('$sl')} (f64.mul ${get('$si')} ${get('$li')})))
      (local.set $sla (f64.add ${get('$sla')} (f64.mul
        (f64.add ${get('$si')} (f64.mul (f64.load ${at('$dsa')}) ${get('$alpha')}))
        (f64.add ${get('$li')} (f64.mul (f64.load ${at('$dlama')}) ${get('$alpha')})))))`)}
    (local.set $mf (f64.convert_i32_s ${get('$m')}))
    (local.set $mu (f64.div ${get('$sl')} ${get('$mf')}))
    (local.set $sig (f64.max (f64.min (f64.div (f64.div ${get('$sla')} ${get('$mf')}) ${get('$mu')}) (f64.const 1)) (f64.const 0)))
    (local.set $sig (f64.mul (f64.mul (f64.mul ${get('$sig')} ${get('$sig')}) ${get('$sig')}) ${get('$mu')}))
    ${each('$m', `
      (f64.store ${at('$rca')} (f64.sub (f64.add (f64.mul (f64.load ${at('$s')}) (f64.load ${at('$lam')}))
        (f64.mul (f64.load ${at('$dsa')}) (f64.load ${at('$dlama')}))) ${get('$sig')}))`)}`;

const maps = new Map<number, [Int32Array, Int32Array]>();
/** [identity, all-zero] batch maps of length nBatch (per-item and shared operands). */
export function mapsOf(nBatch: number): [Int32Array, Int32Array] {
  let m = maps.get(nBatch);
  if (m === undefined) {
    m = [Int32Array.from({ length: nBatch }, (_, i) => i), new Int32Array(nBatch)];
    if (maps.size > 16) maps.clear();
    maps.set(nBatch, m);
  }
  return m;
}

/** x = L⁻¹x in place, L lower n×n at `lo` (a dot per unknown). */
export function forwardSolve(l: Data, lo: number, n: number, x: Float64Array): void {
  for (let i = 0; i < n; i++) {
    const r = lo + i * n;
    let s = 0;
    for (let j = 0; j < i; j++) s += l[r + j] * x[j];
    x[i] = (x[i] - s) / l[r + i];
  }
}

/** x = L⁻ᵀx in place (once x[i] is known, row i of L updates x[0..i)). */
export function backSolveT(l: Data, lo: number, n: number, x: Float64Array): void {
  for (let i = n - 1; i >= 0; i--) {
    const r = lo + i * n;
    const xi = x[i] / l[r + i];
    x[i] = xi;
    for (let j = 0; j < i; j++) x[j] -= l[r + j] * xi;
  }
}

/** y = M·x for the r×c matrix M at `mo`. */
export function matVec(M: Data, mo: number, r: number, c: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < r; i++) {
    let s = 0;
    for (let j = 0; j < c; j++) s += M[mo + i * c + j] * x[j];
    y[i] = s;
  }
}

