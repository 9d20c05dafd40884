/**
 * softmax and logSoftmax along one axis, max-subtracted: one invocation
 * per row (the rows of a classifier are short). A row of −∞ subtracts 0,
 * giving NaN (0/0) as the reference does.
 */
import type { PrimitiveAttrs } from '@optnet/tensor';
import { sizeOfShape } from '../layout.js';
import type { GpuKernel } from '../types.js';
import { MAIN_1D, grid1d, longLoop } from '../wgsl.js';

type Attrs = PrimitiveAttrs<'softmax'>;

/** A loop over the row's elements j. */
const rowLoop = (body: string): string =>
  longLoop('j', '0u', 'P.len', '1u', body);

function softmaxKernel(log: boolean): GpuKernel<Attrs> {
  const label = log ? 'logSoftmax' : 'softmax';
  const store = log
    ? `let ls = log(s) + mx;\n  ${rowLoop('let at = base + j * P.inner; Y[at] = X[at] - ls;')}`
    : rowLoop('let at = base + j * P.inner; Y[at] = exp(X[at] - mx) / s;');
  return (ctx, [x], [y], { axis }) => {
    if (y.size === 0) return;
    const ax = axis < 0 ? axis + x.shape.length : axis;
    const len = x.shape[ax];
    const inner = sizeOfShape(x.shape.slice(ax + 1));
    const rows = len === 0 ? 0 : y.size / len;
    ctx.dispatch({
      label,
      params: [
        ['n', 'u32', rows],
        ['len', 'u32', len],
        ['inner', 'u32', inner],
      ],
      bindings: [
        { name: 'X', type: 'f32', buffer: x.buffer },
        { name: 'Y', type: 'f32', write: true, buffer: y.buffer },
      ],
      body: `${MAIN_1D}
  if (i >= P.n) { return; }
  let base = (i / P.inner) * P.len * P.inner + i % P.inner;
  var mx = -inf_f32();
  ${rowLoop('let v = X[base + j * P.inner]; if (v > mx || is_nan(v)) { mx = v; }')}
  if (mx == -inf_f32()) { mx = 0.0; }
  var s = 0.0;
  ${rowLoop('s += exp(X[base + j * P.inner] - mx);')}
  ${store}
}`,
      groups: grid1d(rows),
    });
  };
}

export const softmax: GpuKernel<Attrs> = softmaxKernel(false);
export const logSoftmax: GpuKernel<Attrs> = softmaxKernel(true);
