/**
 * VJPs of conv2d and of its two gradient primitives. All three are bilinear
 * and adjoint to each other: with ⟨ȳ, conv2d(x, w)⟩ = ⟨x, gradInput(ȳ, w)⟩
 * = ⟨w, gradWeight(x, ȳ)⟩, each rule is another of the three.
 */
import * as T from '@optnet/tensor';
import type {
  Conv2dAttrs,
  Conv2dGradInputAttrs,
  Conv2dGradWeightAttrs,
} from '@optnet/tensor';
import type { VjpRule } from './types.js';

const opts = (a: Conv2dAttrs): T.Conv2dOptions => ({
  stride: a.stride,
  padding: a.padding,
  dilation: a.dilation,
  groups: a.groups,
});
const hw = (s: readonly number[]): [number, number] => [s[2], s[3]];

/** The first layer's input is data: its gradient is skipped when not needed. */
export const conv2dVjp: VjpRule<Conv2dAttrs> = (
  { inputs: [x, w], attrs, needs },
  [g],
) => [
  needs?.[0] === false
    ? null
    : T.conv2dGradInput(g, w, hw(x.shape), opts(attrs)),
  needs?.[1] === false
    ? null
    : T.conv2dGradWeight(x, g, hw(w.shape), opts(attrs)),
];

/** dx = gradInput(g, w): ḡ = conv2d(d̄x, w), w̄ = gradWeight(d̄x, g). */
export const conv2dGradInputVjp: VjpRule<Conv2dGradInputAttrs> = (
  { inputs: [g, w], attrs },
  [c],
) => [
  T.conv2d(c, w, opts(attrs)),
  T.conv2dGradWeight(c, g, hw(w.shape), opts(attrs)),
];

/** dw = gradWeight(x, g): x̄ = gradInput(g, d̄w), ḡ = conv2d(x, d̄w). */
export const conv2dGradWeightVjp: VjpRule<Conv2dGradWeightAttrs> = (
  { inputs: [x, g], attrs },
  [c],
) => [
  T.conv2dGradInput(g, c, hw(x.shape), opts(attrs)),
  T.conv2d(x, c, opts(attrs)),
];
