/**
 * dgemm(a, lda, b, ldb, c, ldc, m, k, n, pk): the float64 product C = A·B
 * in WebAssembly SIMD (text format, see assemble.ts), A [m, k], B [k, n]
 * and C [m, n] row-major with row strides lda, ldb, ldc (in elements),
 * byte addresses; it overwrites C. pk: scratch for k × DGEMM_PANEL
 * doubles.
 *
 * Register-blocked: each 4 × 4 tile of C is eight f64x2 accumulators kept
 * over the whole sum, one splat of A per row and two loads of B per
 * p, so B's rows are loaded once per four rows of C instead of once per
 * row (the row-at-a-time `gemm` loads and stores C at every p). Tiles at
 * the edges are 4 × 2 and 4 × 1, then single rows. A is read in place; it
 * is made for small k (tens). C is done in panels of 32 columns, all rows
 * of one before the next, the panel of B first copied to contiguous
 * scratch (pk), so
 * it stays in L1 (and in a few pages) while A's rows stream through it.
 * Row by row over all of a wide B, such as the 64 × 820 of the bounds
 * reduction, B would be reread from L2 for every four rows of C, and its
 * rows, each in a page of its own, cost a TLB miss a step where the
 * memory has no huge pages: twice the time.
 *
 * Each entry is Σ_p A[i,p]·B[p,j] in order of p, one multiply and one add
 * per term (WebAssembly SIMD has no fused multiply-add), from 0: the bits
 * of the plain loop `s += a[i][p] * b[p][j]`, whatever the tile.
 *
 * dgemmPanels(a, lda, panels, 0, c, ldc, m, k, n, 0) is the same product
 * with B already in its panels (packDgemmPanels), for a B many calls
 * share: no copies at all.
 *
 * Other packages call them as `$dgemm` and `$dgemmPanels` from their own
 * functions (registerWasmKernels): the bounds reduction forms its Schur
 * complements A·diag(d)·Aᵀ of a batch as such products (optnet's
 * kernels/bounds-factor-kernel.ts).
 */
import type { WasmFunc } from './assemble.js';
import { f64, i32, v128 } from './wat-common.js';

/**
 * Columns of C per panel: its B panel, copied to k × 32 contiguous
 * doubles, stays in L1. The scratch `pk` of a call holds k of them.
 * @example
 * const pk = kernels.alloc(k * DGEMM_PANEL * 8); // dgemm's last argument
 */
export const DGEMM_PANEL = 32;
const PANEL = DGEMM_PANEL;

const get = (x: string): string => `(local.get ${x})`;
const add = (a: string, b: string): string => `(i32.add ${a} ${b})`;

/**
 * The tile of `mr` rows (1 or 4) and `w` columns (4, 2 or 1) of C at
 * rows $i, columns $j: accumulated over p < k, then stored.
 */
function tile(mr: number, w: number): string {
  const rows = [...Array(mr).keys()];
  const vecs = w === 1 ? [0] : [...Array(w / 2).keys()];
  const acc = (r: number, v: number): string =>
    w === 1 ? `$s${r}` : `$c${r}${v}`;
  const zero = w === 1 ? '(f64.const 0)' : '(f64x2.splat (f64.const 0))';
  const init = rows
    .flatMap((r) => vecs.map((v) => `(local.set ${acc(r, v)} ${zero})`))
    .join(' ');
  // rows of A: $a0.. at A[i + r, 0], moving 8 bytes a step
  const aRows = rows
    .map(
      (r) =>
        `(local.set $a${r} ${add(get('$ai'), `(i32.mul (i32.const ${r}) ${get('$lda8')})`)})`,
    )
    .join(' ');
  const body =
    w === 1
      ? rows
          .map(
            (r) =>
              `(local.set ${acc(r, 0)} (f64.add ${get(acc(r, 0))} (f64.mul (f64.load ${get(`$a${r}`)}) (f64.load ${get('$bp')}))))`,
          )
          .join('\n      ')
      : [
          ...vecs.map(
            (v) =>
              `(local.set $b${v} (v128.load offset=${16 * v} ${get('$bp')}))`,
          ),
          ...rows.flatMap((r) => [
            `(local.set $av (v128.load64_splat ${get(`$a${r}`)}))`,
            ...vecs.map(
              (v) =>
                `(local.set ${acc(r, v)} (f64x2.add ${get(acc(r, v))} (f64x2.mul ${get('$av')} ${get(`$b${v}`)})))`,
            ),
          ]),
        ].join('\n      ');
  const step = rows
    .map((r) => `(local.set $a${r} (i32.add ${get(`$a${r}`)} (i32.const 8)))`)
    .join(' ');
  const cRow = (r: number): string =>
    add(get('$cj'), `(i32.mul (i32.const ${r}) ${get('$ldc8')})`);
  const store = rows
    .flatMap((r) =>
      w === 1
        ? [`(f64.store ${cRow(r)} ${get(acc(r, 0))})`]
        : vecs.map(
            (v) => `(v128.store offset=${16 * v} ${cRow(r)} ${get(acc(r, v))})`,
          ),
    )
    .join('\n    ');
  return `
    ${init}
    ${aRows}
    (local.set $bp ${add(get('$pk'), `(i32.shl (i32.sub ${get('$j')} ${get('$j0')}) (i32.const 3))`)})
    (local.set $p (i32.const 0))
    (block $pd (loop $pl
      (br_if $pd (i32.ge_s ${get('$p')} ${get('$k')}))
      ${body}
      ${step}
      (local.set $bp (i32.add ${get('$bp')} (i32.const ${PANEL * 8})))
      (local.set $p (i32.add ${get('$p')} (i32.const 1)))
      (br $pl)))
    (local.set $cj ${add(get('$ci'), `(i32.shl ${get('$j')} (i32.const 3))`)})
    ${store}
    (local.set $j (i32.add ${get('$j')} (i32.const ${w})))`;
}

/**
 * Rows $i .. $i + mr of C within the panel [$j0, $jend): 4-wide tiles,
 * then a 2-wide, then a 1-wide.
 */
function rowBlock(mr: number): string {
  return `
    (local.set $ai ${add(get('$a'), `(i32.mul ${get('$i')} ${get('$lda8')})`)})
    (local.set $ci ${add(get('$c'), `(i32.mul ${get('$i')} ${get('$ldc8')})`)})
    (local.set $j ${get('$j0')})
    (block $jd (loop $jl
      (br_if $jd (i32.gt_s (i32.add ${get('$j')} (i32.const 4)) ${get('$jend')}))
      ${tile(mr, 4)}
      (br $jl)))
    (if (i32.le_s (i32.add ${get('$j')} (i32.const 2)) ${get('$jend')}) (then ${tile(mr, 2)}))
    (if (i32.lt_s ${get('$j')} ${get('$jend')}) (then ${tile(mr, 1)}))
    (local.set $i (i32.add ${get('$i')} (i32.const ${mr})))`;
}

/** The panel B[:, j0:jend] copied into pk, row p at pk + 8·PANEL·p. */
const packPanel = `
    (local.set $p (i32.const 0))
    (block $kd (loop $kl
      (br_if $kd (i32.ge_s ${get('$p')} ${get('$k')}))
      (local.set $src ${add(get('$b'), `(i32.add (i32.mul ${get('$p')} ${get('$ldb8')}) (i32.shl ${get('$j0')} (i32.const 3)))`)})
      (local.set $bp ${add(get('$pk'), `(i32.mul ${get('$p')} (i32.const ${PANEL * 8}))`)})
      (local.set $j ${get('$j0')})
      (block $cd (loop $cl
        (br_if $cd (i32.ge_s ${get('$j')} ${get('$jend')}))
        (f64.store ${get('$bp')} (f64.load ${get('$src')}))
        (local.set $src (i32.add ${get('$src')} (i32.const 8)))
        (local.set $bp (i32.add ${get('$bp')} (i32.const 8)))
        (local.set $j (i32.add ${get('$j')} (i32.const 1)))
        (br $cl)))
      (local.set $p (i32.add ${get('$p')} (i32.const 1)))
      (br $kl)))`;

/**
 * dgemm (B row-major, each panel copied into pk) or dgemmPanels (B given
 * as packDgemmPanels made it: panel t at b + t·k·PANEL doubles, read in
 * place; ldb and pk unused).
 */
function driver(name: string, packed: boolean): WasmFunc {
  const panel = packed
    ? `
    (local.set $pk ${add(get('$b'), `(i32.mul (i32.mul ${get('$j0')} ${get('$k')}) (i32.const 8))`)})`
    : packPanel;
  return {
    name,
    params: i32(
      '$a',
      '$lda',
      '$b',
      '$ldb',
      '$c',
      '$ldc',
      '$m',
      '$k',
      '$n',
      '$pk',
    ),
    locals: [
      ...i32('$i', '$j', '$p', '$ai', '$ci', '$cj', '$bp', '$j0', '$jend'),
      ...i32('$src', '$lda8', '$ldb8', '$ldc8', '$a0', '$a1', '$a2', '$a3'),
      ...v128('$av', '$b0', '$b1', '$c00', '$c01', '$c10', '$c11'),
      ...v128('$c20', '$c21', '$c30', '$c31'),
      ...f64('$s0', '$s1', '$s2', '$s3'),
    ],
    body: `
  (local.set $lda8 (i32.shl ${get('$lda')} (i32.const 3)))
  (local.set $ldb8 (i32.shl ${get('$ldb')} (i32.const 3)))
  (local.set $ldc8 (i32.shl ${get('$ldc')} (i32.const 3)))
  (block $pd0 (loop $pl0
    (br_if $pd0 (i32.ge_s ${get('$j0')} ${get('$n')}))
    (local.set $jend (i32.add ${get('$j0')} (i32.const ${PANEL})))
    (if (i32.gt_s ${get('$jend')} ${get('$n')}) (then (local.set $jend ${get('$n')})))
    ${panel}
    (local.set $i (i32.const 0))
    (block $md4 (loop $ml4
      (br_if $md4 (i32.gt_s (i32.add ${get('$i')} (i32.const 4)) ${get('$m')}))
      ${rowBlock(4)}
      (br $ml4)))
    (block $md1 (loop $ml1
      (br_if $md1 (i32.ge_s ${get('$i')} ${get('$m')}))
      ${rowBlock(1)}
      (br $ml1)))
    (local.set $j0 ${get('$jend')})
    (br $pl0)))`,
  };
}

/**
 * B [k, n] (row-major, row stride ldb) as dgemmPanels reads it: panels of
 * DGEMM_PANEL columns one after another, each k rows of DGEMM_PANEL
 * doubles (the last one's columns past n zero). For a B used by many
 * calls (a matrix shared by a batch): packed once, it spares each call
 * its copies.
 * @example
 * const panels = packDgemmPanels(b, k, n, n); // then $dgemmPanels(a, lda, panels, 0, c, ldc, m, k, n, 0)
 */
export function packDgemmPanels(
  b: ArrayLike<number>,
  k: number,
  n: number,
  ldb: number,
): Float64Array {
  const panels = Math.ceil(n / PANEL);
  const out = new Float64Array(panels * k * PANEL);
  for (let t = 0; t < panels; t++) {
    const j0 = t * PANEL;
    const w = Math.min(PANEL, n - j0);
    for (let p = 0; p < k; p++) {
      const o = (t * k + p) * PANEL;
      for (let j = 0; j < w; j++) out[o + j] = b[p * ldb + j0 + j];
    }
  }
  return out;
}

export const dgemmWat: readonly WasmFunc[] = [
  driver('dgemm', false),
  driver('dgemmPanels', true),
];
