/**
 * The CPU backend's float32 kernels of softmaxCrossEntropy and its
 * gradient (see ops/softmax-cross-entropy.ts for the math), on the
 * WebAssembly softmax rows of wat-f32-reduce.ts:
 *
 * 1. f32SoftmaxStats: per row, its max m and s = Σ e^(x − m) (float64).
 * 2. Forward: ℓ_r = (m − x[r, t_r]) + ln s, here in float64 (N logs and
 *    N reads of x: the row statistics were the whole pass).
 * 3. Gradient: f32SoftmaxCeGrad does steps 1 and e^(x − m)·g_r/s for
 *    every entry, row by row in cache (the exp once: stored, summed, then
 *    scaled), and each row's label entry is rewritten here as g_r·(p − 1)
 *    from p in float64, so a confident row's small gradient is not lost
 *    to p·g − g in float32.
 *
 * So each reads x from memory once (its mirror, when an op made it): the
 * forward writes N floats, the gradient copies its [N, C] result out
 * once. Labels are checked first, in JS, as the
 * reference kernels check them. Small inputs, other dtypes and a module
 * that cannot allocate run the reference kernel.
 */
import type { KernelOp } from '../../op.js';
import { checkLabels } from '../../ops/softmax-cross-entropy.js';
import type { NoAttrs } from '../../ops/unary.js';
import { finish, kernelsFor, outAlloc } from './elementwise-f32.js';

type Kernel = KernelOp<NoAttrs>['cpu'];

/**
 * The float32 kernel of softmaxCrossEntropy, else `op.cpu`.
 * @example const run = softmaxCeF32(primitives.softmaxCrossEntropy);
 */
export function softmaxCeF32(op: KernelOp<NoAttrs>): Kernel {
  return (inputs, outputs, attrs) => {
    const [x, t] = inputs;
    const [rows, c] = x.shape;
    const wk = kernelsFor(x, x.data.length);
    if (wk !== null) {
      const labels = t.data as Int32Array;
      checkLabels(op.name, labels, c);
      wk.begin();
      const xAt = wk.resident32(x.data as Float32Array);
      const st = wk.alloc(rows * 24);
      if (xAt >= 0 && st >= 0) {
        wk.fn.f32SoftmaxStats(xAt, st, rows, c);
        const s = wk.f64();
        const X = x.data;
        const Y = outputs[0].data;
        for (let r = 0, q = st >> 3; r < rows; r++, q += 3)
          Y[r] = s[q] - X[r * c + labels[r]] + Math.log(s[q + 1]);
        return;
      }
    }
    op.cpu(inputs, outputs, attrs);
  };
}

/**
 * The float32 kernel of softmaxCrossEntropyGrad, else `op.cpu`.
 * @example const run = softmaxCeGradF32(primitives.softmaxCrossEntropyGrad);
 */
export function softmaxCeGradF32(op: KernelOp<NoAttrs>): Kernel {
  return (inputs, outputs, attrs) => {
    const [x, t, g] = inputs;
    const [rows, c] = x.shape;
    const n = x.data.length;
    const wk = kernelsFor(x, n);
    if (wk !== null) {
      const labels = t.data as Int32Array;
      checkLabels(op.name, labels, c);
      wk.begin();
      const xAt = wk.resident32(x.data as Float32Array);
      const gAt = wk.resident32(g.data as Float32Array);
      const st = wk.alloc(rows * 24);
      const yAt = outAlloc(wk, n);
      if (xAt >= 0 && gAt >= 0 && st >= 0 && yAt >= 0) {
        wk.fn.f32SoftmaxCeGrad(xAt, gAt, yAt, st, rows, c);
        const s = wk.f64();
        const Y = wk.f32();
        const X = x.data;
        const G = g.data;
        for (let r = 0, q = st >> 3; r < rows; r++, q += 3) {
          if (G[r] === 0) {
            // g = 0: a zero row, whatever the logits (see gradInto)
            Y.fill(0, (yAt >> 2) + r * c, (yAt >> 2) + (r + 1) * c);
            continue;
          }
          const at = r * c + labels[r];
          const p = Math.exp(X[at] - s[q]) / s[q + 1];
          Y[(yAt >> 2) + at] = G[r] * (p - 1);
        }
        return finish(wk, outputs[0], yAt, n);
      }
    }
    op.cpu(inputs, outputs, attrs);
  };
}
