/** VJP of concat: the cotangent cut back into the inputs' pieces. */
import * as T from '@optnet/tensor';
import type { VjpRule } from './types.js';

export const concatVjp: VjpRule<T.ConcatAttrs> = (
  { inputs, attrs: { axis } },
  [g],
) => {
  const r = g.shape.length;
  const a = axis < 0 ? axis + r : axis;
  let off = 0;
  return inputs.map((x) => {
    const n = x.shape[a];
    const specs: T.SliceSpec[] = Array.from({ length: a + 1 }, (_, i) =>
      i === a ? { start: off, stop: off + n } : {},
    );
    off += n;
    return T.slice(g, specs);
  });
};
