/** where(cond, a, b): a where cond is true, else b; all three broadcast. */
import { assertSameDType, type TypedArray } from '../dtype.js';
import { DTypeError } from '../errors.js';
import { defineOp, type KernelOp } from '../op.js';
import { broadcastNamed } from '../shape.js';
import { broadcastStrides, forEachRow } from './broadcast-loop.js';
import type { NoAttrs } from './unary.js';

export const where: KernelOp<NoAttrs> = defineOp<NoAttrs>({
  name: 'where',
  shape: ([c, a, b]) => {
    if (c.dtype !== 'bool') {
      throw new DTypeError(
        'DTYPE_MISMATCH',
        `where: cond must be bool; got ${c.dtype}. Compare first, e.g. x.greater(0).`,
      );
    }
    const dtype = assertSameDType('where', [a.dtype, b.dtype], ['a', 'b']);
    return [
      {
        shape: broadcastNamed(
          'where',
          [c.shape, a.shape, b.shape],
          ['cond', 'a', 'b'],
        ),
        dtype,
      },
    ];
  },
  cpu: ([c, a, b], [y]) => {
    const out = y.data;
    const [cd, ad, bd] = [c.data, a.data, b.data];
    const n = out.length;
    if (cd.length === n && ad.length === n && bd.length === n) {
      // No broadcasting: one plain loop.
      for (let i = 0; i < n; i++) out[i] = cd[i] ? ad[i] : bd[i];
      return;
    }
    const r = y.shape.length;
    const strides = [c, a, b].map((t) => broadcastStrides(t.shape, y.shape));
    const [lc, la, lb] = strides.map((s) => (r === 0 ? 0 : s[r - 1]));
    const m = r === 0 ? 1 : y.shape[r - 1];
    forEachRow(y.shape, strides, (o, [ic, ia, ib]) => {
      // One flag a row (a batch item's mask, [nBatch, 1]): the row is a
      // copy of a's or b's.
      if (lc === 0) {
        if (cd[ic]) copyRow(out, o, ad, ia, la, m);
        else copyRow(out, o, bd, ib, lb, m);
        return;
      }
      for (let j = 0; j < m; j++)
        out[o + j] = cd[ic + j * lc] ? ad[ia + j * la] : bd[ib + j * lb];
    });
  },
});

/** out[o + j] = src[from + j·step] for j < m (one typed-array copy for long contiguous rows). */
function copyRow(
  out: TypedArray,
  o: number,
  src: TypedArray,
  from: number,
  step: number,
  m: number,
): void {
  if (step === 1 && m >= 16) {
    (out as Float64Array).set(
      (src as Float64Array).subarray(from, from + m),
      o,
    );
    return;
  }
  for (let j = 0; j < m; j++) out[o + j] = src[from + j * step];
}
