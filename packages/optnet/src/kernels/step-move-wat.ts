/**
 * The WebAssembly text of an interior-point step's last two kernels,
 * qpStepLength (with capGap) and qpMove (step-kernels.ts), for the items
 * of qpFactorStep's window whose direction it just made
 * (factor-step-kernel.ts, `move`): the same arithmetic in the same order,
 * so the same bits as the two JS kernels. Called as
 *
 *   qpStepMove(s, lam, ds, dlam, z, dz, s0, lam0, nu, dnu,
 *              zo, so, lamo, nuo, n, m, q, count, scale)
 *
 * per item: α = scale / max(−r, 1) with r = min_i min(ds_i/s_i,
 * dlam_i/lam_i) (NaN if a ratio is NaN), shortened to −c1/(2·c2) where the
 * gap would rise; then zo = z + α·dz, so = s0 + α·ds, lamo = lam0 + α·dlam,
 * nuo = nu + α·dnu (q = 0: no nu). s, lam are the factored iterate's (1 on
 * left-out items), s0, lam0 the iterate's own. Also qpSlackRatio, the
 * op's d = s/lam and inactive rows (below).
 */
import { f64, i32, type WasmFunc } from '@optnet/tensor/wasm';
import { at, boundaryStepItem, each, get } from './fused-common.js';

const VECTORS = [
  '$s',
  '$lam',
  '$ds',
  '$dlam',
  '$z',
  '$dz',
  '$s0',
  '$lam0',
  '$nu',
  '$dnu',
  '$zo',
  '$so',
  '$lamo',
  '$nuo',
] as const;

/** The byte length of each vector of VECTORS (an i32 local's name). */
const LENGTH: Record<(typeof VECTORS)[number], string> = {
  $s: '$mb',
  $lam: '$mb',
  $ds: '$mb',
  $dlam: '$mb',
  $z: '$nb',
  $dz: '$nb',
  $s0: '$mb',
  $lam0: '$mb',
  $nu: '$qb',
  $dnu: '$qb',
  $zo: '$nb',
  $so: '$mb',
  $lamo: '$mb',
  $nuo: '$qb',
};

/** x + α·dx into `out`, over `len` entries. */
const moveInto = (len: string, x: string, dx: string, out: string): string =>
  each(
    len,
    `(f64.store ${at(out)} (f64.add (f64.load ${at(x)}) (f64.mul (f64.load ${at(dx)}) ${get('$alpha')})))`,
  );

const qpStepMove: WasmFunc = {
  name: 'qpStepMove',
  params: [...i32(...VECTORS, '$n', '$m', '$q', '$count'), ...f64('$scale')],
  locals: [
    ...i32('$k', '$ib', '$iend', '$nb', '$mb', '$qb', '$nan'),
    ...f64('$r', '$a', '$b', '$alpha', '$c1', '$c2', '$best'),
  ],
  body: `
  (local.set $nb (i32.shl ${get('$n')} (i32.const 3)))
  (local.set $mb (i32.shl ${get('$m')} (i32.const 3)))
  (local.set $qb (i32.shl ${get('$q')} (i32.const 3)))
  (block $done (loop $items
    (br_if $done (i32.ge_s ${get('$k')} ${get('$count')}))
    ;; qpStepLength: the longest step to the boundary
    ${boundaryStepItem('$ds', '$dlam')}
    (local.set $alpha (f64.mul ${get('$alpha')} ${get('$scale')}))
    ;; capGap: no longer than the minimizer of the gap along the step
    (local.set $c1 (f64.const 0))
    (local.set $c2 (f64.const 0))
    ${each(
      '$m',
      `
      (local.set $c1 (f64.add ${get('$c1')} (f64.add
        (f64.mul (f64.load ${at('$s')}) (f64.load ${at('$dlam')}))
        (f64.mul (f64.load ${at('$lam')}) (f64.load ${at('$ds')})))))
      (local.set $c2 (f64.add ${get('$c2')} (f64.mul (f64.load ${at('$ds')}) (f64.load ${at('$dlam')}))))`,
    )}
    (local.set $best (f64.div (f64.neg ${get('$c1')}) (f64.mul ${get('$c2')} (f64.const 2))))
    (if (i32.and
          (f64.gt (f64.mul (f64.add ${get('$c1')} (f64.mul ${get('$c2')} ${get('$alpha')})) ${get('$alpha')}) (f64.const 0))
          (f64.gt ${get('$best')} (f64.const 0)))
      (then (local.set $alpha (f64.min ${get('$alpha')} ${get('$best')}))))
    ;; qpMove
    ${moveInto('$n', '$z', '$dz', '$zo')}
    ${moveInto('$m', '$s0', '$ds', '$so')}
    ${moveInto('$m', '$lam0', '$dlam', '$lamo')}
    ${moveInto('$q', '$nu', '$dnu', '$nuo')}
    ${VECTORS.map((v) => `(local.set ${v} (i32.add ${get(v)} ${get(LENGTH[v])}))`).join('\n    ')}
    (local.set $k (i32.add ${get('$k')} (i32.const 1)))
    (br $items)))`,
};

/**
 * qpSlackRatio(s, lam, g, gstride, d, ina, m, count): per item d = s/lam
 * and ina = 1 where d > g, else 0 (as doubles), g advancing by gstride
 * bytes an item (0: shared): qpFactorStep's ratios, as its JS loop makes
 * them (the same divisions and comparisons).
 */
const qpSlackRatio: WasmFunc = {
  name: 'qpSlackRatio',
  params: i32('$s', '$lam', '$g', '$gstride', '$d', '$ina', '$m', '$count'),
  locals: [...i32('$k', '$ib', '$iend', '$mb'), ...f64('$v')],
  body: `
  (local.set $mb (i32.shl ${get('$m')} (i32.const 3)))
  (block $done (loop $items
    (br_if $done (i32.ge_s ${get('$k')} ${get('$count')}))
    ${each(
      '$m',
      `
      (local.set $v (f64.div (f64.load ${at('$s')}) (f64.load ${at('$lam')})))
      (f64.store ${at('$d')} ${get('$v')})
      (f64.store ${at('$ina')} (f64.convert_i32_s (f64.gt ${get('$v')} (f64.load ${at('$g')}))))`,
    )}
    ${['$s', '$lam', '$d', '$ina'].map((v) => `(local.set ${v} (i32.add ${get(v)} ${get('$mb')}))`).join(' ')}
    (local.set $g (i32.add ${get('$g')} ${get('$gstride')}))
    (local.set $k (i32.add ${get('$k')} (i32.const 1)))
    (br $items)))`,
};

export const stepMoveWat: readonly WasmFunc[] = [qpStepMove, qpSlackRatio];
