/**
 * One gradient check per built-in primitive, typed over `Primitives` like
 * the VJP table: a primitive without a case (or an explicit null, for the
 * ones that are not differentiable) fails tsc. Inputs come from `Draw`, in
 * the suite's float dtype on the current backend, away from kinks.
 */
import * as T from '@optnet/tensor';
import type { Primitives, Tensor } from '@optnet/tensor';

/**
 * Seeded inputs in the suite's float dtype on the current backend: what a
 * case draws its arguments from.
 * @example
 * const matmulCase = (d: Draw): VjpCase => ({
 *   f: (a, b) => a.matmul(b),
 *   args: [d.randn([2, 3]), d.randn([3, 4])],
 * });
 */
export interface Draw {
  /** Standard normal. */
  randn(shape: number[]): Tensor;
  /** |x| ≥ 0.5 with random signs (away from 0). */
  away(shape: number[]): Tensor;
  /** In [0.5, ∞). */
  positive(shape: number[]): Tensor;
  /** A symmetric positive definite batch [..., n, n]: M·Mᵀ + n·I. */
  spd(batch: number[], n: number): Tensor;
  /** int32 indices in [0, n). */
  indices(shape: number[], n: number): Tensor;
  /**
   * Distinct values 0.5 apart (shuffled), plus `offset`: no ties or near
   * ties for max, min, maxPool2d or comparisons to flip under a step.
   */
  distinct(shape: number[], offset?: number): Tensor;
}

/**
 * A gradient check: `f` at `args`, perturbing `wrt` (default: floats).
 * @example
 * const c: VjpCase = { f: (x) => x.exp(), args: [randn([3])] };
 */
export interface VjpCase {
  /** The function whose VJP is checked. */
  readonly f: (...xs: Tensor[]) => Tensor | Tensor[];
  /** Where it is checked. */
  readonly args: Tensor[];
  /** Indices of the arguments to perturb (default: every float one). */
  readonly wrt?: number[];
}

/**
 * One case per built-in primitive (null where it is not differentiable),
 * typed so a primitive without an entry fails tsc.
 * @example
 * const c = vjpCases.exp!(draw); // { f, args }
 */
export type VjpCases = {
  readonly [K in keyof Primitives]: ((d: Draw) => VjpCase) | null;
};

const unary =
  (fn: (x: Tensor) => Tensor, domain: keyof Draw = 'randn') =>
  (d: Draw): VjpCase => ({
    f: fn,
    args: [(d[domain] as (s: number[]) => Tensor)([3, 4])],
  });

const binary =
  (fn: (a: Tensor, b: Tensor) => Tensor, b: keyof Draw = 'randn') =>
  (d: Draw): VjpCase => ({
    // b broadcasts against a: the tape's un-broadcast is checked too.
    f: fn,
    args: [d.away([2, 3]), (d[b] as (s: number[]) => Tensor)([3])],
  });

const pool = { kernel: [2, 2], stride: [2, 2], padding: [0, 0] } as const;
const conv = { stride: 2, padding: 1 } as const;

const elementwise = {
  neg: unary(T.neg),
  abs: unary(T.abs, 'away'),
  // sign's derivative is 0: added to x so that the check is not trivial.
  sign: unary((x) => T.add(T.sign(x), x), 'away'),
  square: unary(T.square),
  exp: unary(T.exp),
  log: unary(T.log, 'positive'),
  log1p: unary(T.log1p, 'positive'),
  sqrt: unary(T.sqrt, 'positive'),
  rsqrt: unary(T.rsqrt, 'positive'),
  reciprocal: unary(T.reciprocal, 'away'),
  sin: unary(T.sin),
  cos: unary(T.cos),
  tanh: unary(T.tanh),
  sigmoid: unary(T.sigmoid),
  softplus: unary(T.softplus),
  relu: unary(T.relu, 'away'),
  add: binary(T.add),
  sub: binary(T.sub),
  mul: binary(T.mul),
  div: binary(T.div, 'away'),
  pow: (d: Draw): VjpCase => ({
    f: T.pow,
    args: [d.positive([2, 3]), d.randn([3])],
  }),
  maximum: (d: Draw): VjpCase => ({
    f: T.maximum,
    args: [d.distinct([2, 3]), d.distinct([3], 0.25)],
  }),
  minimum: (d: Draw): VjpCase => ({
    f: T.minimum,
    args: [d.distinct([2, 3]), d.distinct([3], 0.25)],
  }),
  equal: null,
  notEqual: null,
  less: null,
  lessEqual: null,
  greater: null,
  greaterEqual: null,
};

const reductions = {
  sum: unary((x) => T.sum(x, 1)),
  prod: unary((x) => T.prod(x, 0), 'away'),
  max: unary((x) => T.max(x, -1), 'distinct'),
  min: unary((x) => T.min(x, 0), 'distinct'),
  argmax: null,
  argmin: null,
  where: (d: Draw): VjpCase => ({
    f: (a, b) => T.where(T.greater(a, b), a, b),
    args: [d.distinct([3, 4]), d.distinct([3, 4], 0.25)],
  }),
  cast: unary((x) => T.cast(x, x.dtype)),
  reshape: unary((x) => T.reshape(x, [2, 6])),
  permute: unary((x) => T.permute(x, [1, 0])),
  expand: (d: Draw): VjpCase => ({
    f: (x) => T.expand(x, [2, 3, 4]),
    args: [d.randn([3, 1])],
  }),
};

const movement = {
  slice: unary((x) => T.slice(x, [{ start: 1 }, { step: 2 }])),
  sliceScatter: (d: Draw): VjpCase => ({
    f: (g) => T.sliceScatter(g, [5, 8], [{ start: 1 }, { step: 2 }]),
    args: [d.randn([4, 4])],
  }),
  pad: unary((x) =>
    T.pad(
      x,
      [
        [1, 0],
        [0, 2],
      ],
      0.5,
    ),
  ),
  concat: (d: Draw): VjpCase => ({
    f: (a, b) => T.concat([a, b], 1),
    args: [d.randn([2, 3]), d.randn([2, 2])],
  }),
  flip: unary((x) => T.flip(x, [0, 1])),
  gather: (d: Draw): VjpCase => ({
    f: (x, i) => T.gather(x, i, 1),
    args: [d.randn([3, 4]), d.indices([3, 5], 4)],
  }),
  scatterAdd: (d: Draw): VjpCase => ({
    f: (s, i) => T.scatterAdd(s, i, 0, [4, 2]),
    args: [d.randn([5, 2]), d.indices([5, 2], 4)],
  }),
};

const nn = {
  matmul: (d: Draw): VjpCase => ({
    f: (a, b) => T.matmul(a, b, { transB: true }),
    args: [d.randn([2, 3, 4]), d.randn([5, 4])],
  }),
  conv2d: (d: Draw): VjpCase => ({
    f: (x, w) => T.conv2d(x, w, conv),
    args: [d.randn([2, 2, 5, 5]), d.randn([3, 2, 3, 3])],
  }),
  conv2dGradInput: (d: Draw): VjpCase => ({
    f: (g, w) => T.conv2dGradInput(g, w, [5, 5], conv),
    args: [d.randn([2, 3, 3, 3]), d.randn([3, 2, 3, 3])],
  }),
  conv2dGradWeight: (d: Draw): VjpCase => ({
    f: (x, g) => T.conv2dGradWeight(x, g, [3, 3], conv),
    args: [d.randn([2, 2, 5, 5]), d.randn([2, 3, 3, 3])],
  }),
  softmax: unary((x) => T.softmax(x, -1)),
  logSoftmax: unary((x) => T.logSoftmax(x, 0)),
  // C = 5 (not a multiple of 4); labels get no gradient
  softmaxCrossEntropy: (d: Draw): VjpCase => ({
    f: (x, t) => T.softmaxCrossEntropy(x, t),
    args: [d.randn([4, 5]).mul(2), d.indices([4], 5)],
  }),
  // the gradient primitive, in x and g: second derivatives of the loss
  softmaxCrossEntropyGrad: (d: Draw): VjpCase => ({
    f: (x, t, g) => T.softmaxCrossEntropyGrad(x, t, g),
    args: [d.randn([3, 5]), d.indices([3], 5), d.randn([3])],
  }),
  maxPool2d: (d: Draw): VjpCase => ({
    f: (x) => T.maxPool2d(x, { kernel: 2 }),
    args: [d.distinct([1, 2, 4, 4])],
  }),
  avgPool2d: (d: Draw): VjpCase => ({
    f: (x) => T.avgPool2d(x, { kernel: 2, stride: 1 }),
    args: [d.randn([1, 2, 4, 4])],
  }),
  maxPool2dGrad: null,
  avgPool2dGrad: (d: Draw): VjpCase => ({
    f: (x, g) => T.avgPool2dGrad(x, g, pool),
    args: [d.randn([1, 2, 4, 4]), d.randn([1, 2, 2, 2])],
    wrt: [1],
  }),
};

const linalg = {
  cholesky: (d: Draw): VjpCase => ({
    // Symmetrized, so the check perturbs within the symmetric matrices.
    f: (a) => T.cholesky(T.add(a, T.transpose(a)).mul(0.5)),
    args: [d.spd([2], 4)],
  }),
  regularizedCholesky: (d: Draw): VjpCase => ({
    // Level 0 (plain factor) for both items: the gradient of A and unit.
    f: (a, u) =>
      T.regularizedCholesky(
        T.add(a, T.transpose(a)).mul(0.5),
        T.add(T.abs(u), 0.5),
        [0, 1],
      )[0],
    args: [d.spd([2], 4), d.randn([2, 1])],
  }),
  triangularSolve: (d: Draw): VjpCase => ({
    f: (l, b) => T.triangularSolve(l, b, { transpose: true }),
    args: [T.cholesky(d.spd([2], 4)), d.randn([2, 4, 3])],
  }),
  solve: (d: Draw): VjpCase => ({
    f: T.solve,
    args: [d.spd([2], 3), d.randn([3, 2])],
  }),
  addDiagonal: (d: Draw): VjpCase => ({
    f: T.addDiagonal,
    args: [d.randn([2, 3, 3]), d.randn([3])],
  }),
  diagonal: (d: Draw): VjpCase => ({
    f: T.diagonal,
    args: [d.randn([2, 3, 3])],
  }),
};

/**
 * Every primitive's gradient check (null: not differentiable).
 * @example const c = vjpCases.exp!(draw); await checkVjpAsync(c.f, c.args);
 */
export const vjpCases: VjpCases = {
  ...elementwise,
  ...reductions,
  ...movement,
  ...nn,
  ...linalg,
};
