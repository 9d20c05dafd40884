/**
 * softmaxCrossEntropy and its gradient (the math is in @optnet/tensor's
 * ops/softmax-cross-entropy.ts): one invocation per row, as softmax (the
 * rows of a classifier are short).
 *
 * 1. Check the row's label: outside [0, C) it folds a BAD_ARGUMENT
 *    failure for the row into the op's slot (the first row wins) and
 *    stops; the finalize dispatch records the label and fills the output
 *    with NaN.
 * 2. The row's max m (0 when it is −∞, so a row of −∞ gives 0/0 = NaN)
 *    and s = Σ e^(x − m).
 * 3. Forward: ℓ = (m − x[t]) + log s. Gradient: e^(x − m)·g/s for every
 *    entry, then −g·r/s at the label, with r = Σ over the other entries
 *    of e^(x − m) (= g·(p − 1) without the cancellation of p − 1 in
 *    float32, which rounds a confident row's 1 − p = 1e-9 to 0); a row
 *    with g = 0 is 0 whatever its logits.
 */
import type { PrimitiveAttrs } from '@optnet/tensor';
import { FAILURE_WGSL } from '../failures.js';
import type { GpuKernel, GpuTensor, KernelContext } from '../types.js';
import { MAIN_1D, grid1d, longLoop, type Binding } from '../wgsl.js';
import { finalizeIndex } from './finalize.js';

type Attrs = PrimitiveAttrs<'softmaxCrossEntropy'>;

/** A loop over the row's elements j. */
const rowLoop = (body: string): string =>
  longLoop('j', '0u', 'P.len', '1u', body);

/** Steps 1 and 2: `t`, `base` and the row statistics `mx`, `s`. */
const ROW = `
  if (i >= P.n) { return; }
  let t = LBL[i];
  if (t < 0 || t >= i32(P.len)) {
    fail_key(0u, i);
    return;
  }
  let base = i * P.len;
  var mx = -inf_f32();
  ${rowLoop('let v = X[base + j]; if (v > mx || is_nan(v)) { mx = v; }')}
  if (mx == -inf_f32()) { mx = 0.0; }
  var s = 0.0;
  ${rowLoop('s += exp(X[base + j] - mx);')}
  let at = base + u32(t);`;

/** Records the kernel of one op: the rows, then its finalize. */
function run(
  ctx: KernelContext,
  label: string,
  [x, t]: readonly GpuTensor[],
  y: GpuTensor,
  extra: readonly Binding[],
  step3: string,
): void {
  const rows = t.size;
  if (rows === 0) return;
  const slot = ctx.failureSlot();
  ctx.dispatch({
    label,
    params: [
      ['n', 'u32', rows],
      ['len', 'u32', x.shape[1]],
      ['slot', 'u32', slot.word],
    ],
    bindings: [
      { name: 'X', type: 'f32', buffer: x.buffer },
      { name: 'LBL', type: 'i32', buffer: t.buffer },
      ...extra,
      { name: 'Y', type: 'f32', write: true, buffer: y.buffer },
      { name: 'S', type: 'atomic<u32>', write: true, buffer: slot.buffer },
    ],
    body: `${FAILURE_WGSL}
${MAIN_1D}
  ${ROW}
  ${step3}
}`,
    groups: grid1d(rows),
  });
  finalizeIndex(ctx, label, t, y, slot);
}

export const softmaxCrossEntropy: GpuKernel<Attrs> = (ctx, inputs, [y]) =>
  run(
    ctx,
    'softmaxCrossEntropy',
    inputs,
    y,
    [],
    'Y[i] = (mx - X[at]) + log(s);',
  );

export const softmaxCrossEntropyGrad: GpuKernel<Attrs> = (ctx, inputs, [y]) =>
  run(
    ctx,
    'softmaxCrossEntropyGrad',
    inputs,
    y,
    [{ name: 'G', type: 'f32', buffer: inputs[2].buffer }],
    `let g = G[i];
  if (g == 0.0) {
    ${rowLoop('Y[base + j] = 0.0;')}
    return;
  }
  let scale = g / s;
  var rest = 0.0;
  ${rowLoop('let e = exp(X[base + j] - mx); Y[base + j] = e * scale; if (j != u32(t)) { rest += e; }')}
  Y[at] = -g * (rest / s);`,
  );
