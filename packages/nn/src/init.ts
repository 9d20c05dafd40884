/**
 * Weight initializers with torch.nn.init's formulas. Each takes a shape
 * (and returns a new tensor) or a tensor (whose values it replaces in
 * place, keeping the object, like PyTorch's trailing-underscore `xxx_`).
 *
 * Every draw comes from `rng`; without one, the global generator of
 * @optnet/tensor is used (it starts at seed 0; reseed it with `seed(n)`),
 * so a run is reproducible either way.
 *
 * Fans follow `_calculate_fan_in_and_fan_out`: for a weight
 * [out, in, k1, k2, ...], receptive = k1·k2·…, fanIn = in·receptive,
 * fanOut = out·receptive.
 */
import { noGrad } from '@optnet/autograd';
import {
  rand,
  randn,
  type Backend,
  type FloatDType,
  type Rng,
  Tensor,
} from '@optnet/tensor';
import { NnError } from './errors.js';

/**
 * Options shared by the initializers.
 * @example
 * const opts: InitOptions = { dtype: 'float64', rng: makeRng(0) };
 * const w = normal([3, 3], 0, 0.02, opts);
 */
export interface InitOptions {
  /** Element type of a new tensor (default float32; a target keeps its own). */
  dtype?: FloatDType;
  /** Seeded generator (default: @optnet/tensor's global one). */
  rng?: Rng;
  /** Whether a new tensor requires grad (default false). */
  requiresGrad?: boolean;
}

/**
 * PyTorch's nonlinearity names accepted by `calculateGain`.
 * @example
 * const f: Nonlinearity = 'tanh';
 * calculateGain(f); // 5/3
 */
export type Nonlinearity =
  | 'linear'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'conv_transpose1d'
  | 'conv_transpose2d'
  | 'conv_transpose3d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leaky_relu'
  | 'selu';

/**
 * Which fan the Kaiming initializers scale by.
 * @example
 * const mode: FanMode = 'fan_out';
 * kaimingNormal([64, 3, 3, 3], { mode });
 */
export type FanMode = 'fan_in' | 'fan_out';

/**
 * A shape to create, or a tensor to overwrite in place.
 * @example
 * const fc = new Linear(4, 2);
 * const target: InitTarget = fc.weight;
 * xavierUniform(target); // new values, same tensor object
 */
export type InitTarget = readonly number[] | Tensor;

const LINEAR_LIKE = new Set<string>([
  'linear',
  'conv1d',
  'conv2d',
  'conv3d',
  'conv_transpose1d',
  'conv_transpose2d',
  'conv_transpose3d',
  'sigmoid',
]);

/**
 * The recommended gain for a nonlinearity (torch.nn.init.calculate_gain):
 * 1 for linear/conv/sigmoid, 5/3 for tanh, √2 for relu,
 * √(2 / (1 + a²)) for leaky_relu with slope a (default 0.01), 3/4 for selu.
 * @example calculateGain('leaky_relu', Math.sqrt(5)) // √(1/3)
 */
export function calculateGain(
  nonlinearity: Nonlinearity,
  param?: number,
): number {
  if (LINEAR_LIKE.has(nonlinearity)) return 1;
  if (nonlinearity === 'tanh') return 5 / 3;
  if (nonlinearity === 'relu') return Math.SQRT2;
  if (nonlinearity === 'selu') return 3 / 4;
  if (nonlinearity === 'leaky_relu') {
    const a = param ?? 0.01;
    if (!Number.isFinite(a)) {
      throw new NnError(
        'BAD_OPTION',
        `calculateGain: the leaky_relu slope must be a finite number; got ${a}. Pass e.g. 0.01.`,
      );
    }
    return Math.sqrt(2 / (1 + a * a));
  }
  throw new NnError(
    'BAD_OPTION',
    `calculateGain: nonlinearity must be one of ${[...LINEAR_LIKE, 'tanh', 'relu', 'leaky_relu', 'selu'].join(', ')}; ` +
      `got '${String(nonlinearity)}'. Use PyTorch's names.`,
  );
}

/**
 * [fanIn, fanOut] of a weight shape [out, in, ...kernel] (at least 2-D).
 * @example calculateFanInAndFanOut([16, 3, 5, 5]) // [75, 400]
 */
export function calculateFanInAndFanOut(
  shape: readonly number[],
): [number, number] {
  if (shape.length < 2) {
    throw new NnError(
      'BAD_OPTION',
      `init: fan in and fan out need a tensor with at least 2 dimensions; got shape [${shape.join(', ')}]. ` +
        `Use uniform or normal for biases.`,
    );
  }
  let receptive = 1;
  for (let i = 2; i < shape.length; i++) receptive *= shape[i];
  return [shape[1] * receptive, shape[0] * receptive];
}

function shapeOf(target: InitTarget): readonly number[] {
  return target instanceof Tensor ? target.shape : target;
}

/** A tensor target's backend (the draws go there), else the current one. */
function backendOf(target: InitTarget): Backend | undefined {
  return target instanceof Tensor ? target.backend : undefined;
}

/** Put `values` into the target tensor, or return them as a new leaf. */
function finish(target: InitTarget, values: Tensor, opts: InitOptions): Tensor {
  if (target instanceof Tensor) return target.assign(values);
  values.requiresGrad = opts.requiresGrad ?? false;
  return values;
}

function dtypeFor(target: InitTarget, opts: InitOptions): FloatDType {
  if (!(target instanceof Tensor)) return opts.dtype ?? 'float32';
  if (target.dtype !== 'float32' && target.dtype !== 'float64') {
    throw new NnError(
      'BAD_OPTION',
      `init: the target must be a float tensor; got ${target.dtype}. Initialize float weights only.`,
    );
  }
  return target.dtype;
}

/**
 * Values uniform in [low, high): low + (high − low)·u with u ~ U[0, 1).
 * @example uniform([10], -0.1, 0.1, { rng: makeRng(0) })
 */
export function uniform(
  target: InitTarget,
  low: number,
  high: number,
  opts: InitOptions = {},
): Tensor {
  if (!(low <= high)) {
    throw new NnError(
      'BAD_OPTION',
      `uniform: need low <= high; got low ${low}, high ${high}. Swap them.`,
    );
  }
  const dtype = dtypeFor(target, opts);
  const u = rand(shapeOf(target), {
    dtype,
    rng: opts.rng,
    backend: backendOf(target),
  });
  return finish(
    target,
    noGrad(() => u.mul(high - low).add(low)),
    opts,
  );
}

/**
 * Values from N(mean, std²).
 * @example normal([10, 10], 0, 0.02, { rng: makeRng(0) })
 */
export function normal(
  target: InitTarget,
  mean: number,
  std: number,
  opts: InitOptions = {},
): Tensor {
  if (!(std >= 0)) {
    throw new NnError(
      'BAD_OPTION',
      `normal: std must be >= 0; got ${std}. Pass a standard deviation.`,
    );
  }
  const dtype = dtypeFor(target, opts);
  const z = randn(shapeOf(target), {
    dtype,
    rng: opts.rng,
    backend: backendOf(target),
  });
  return finish(
    target,
    noGrad(() => z.mul(std).add(mean)),
    opts,
  );
}

/**
 * Options of the Kaiming (He) initializers; PyTorch's defaults.
 * @example
 * const opts: KaimingOptions = { nonlinearity: 'relu', mode: 'fan_in' };
 * kaimingUniform([256, 784], opts);
 */
export interface KaimingOptions extends InitOptions {
  /** Negative slope of the leaky_relu after this layer (default 0). */
  a?: number;
  /**
   * Preserve the variance of the forward ('fan_in', default) or backward pass.
   */
  mode?: FanMode;
  /** Default 'leaky_relu' (with `a`). */
  nonlinearity?: Nonlinearity;
}

function kaimingStd(shape: readonly number[], opts: KaimingOptions): number {
  const [fanIn, fanOut] = calculateFanInAndFanOut(shape);
  const mode = opts.mode ?? 'fan_in';
  if (mode !== 'fan_in' && mode !== 'fan_out') {
    throw new NnError(
      'BAD_OPTION',
      `kaiming: mode must be 'fan_in' or 'fan_out'; got '${String(mode)}'.`,
    );
  }
  const fan = mode === 'fan_in' ? fanIn : fanOut;
  // std = gain / √fan keeps Var(y) = Var(x) through the layer (He et al. 2015).
  return (
    calculateGain(opts.nonlinearity ?? 'leaky_relu', opts.a ?? 0) /
    Math.sqrt(fan)
  );
}

/**
 * U(−b, b) with b = gain·√(3 / fan) (a uniform with std gain/√fan).
 * With `a: Math.sqrt(5)` this is PyTorch's Linear/Conv default, b = 1/√fanIn.
 * @example
 * kaimingUniform([256, 784], { nonlinearity: 'relu', rng: makeRng(0) })
 */
export function kaimingUniform(
  target: InitTarget,
  opts: KaimingOptions = {},
): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(shapeOf(target), opts);
  return uniform(target, -bound, bound, opts);
}

/**
 * N(0, std²) with std = gain / √fan.
 * @example
 * kaimingNormal([64, 3, 3, 3], { mode: 'fan_out', nonlinearity: 'relu' })
 */
export function kaimingNormal(
  target: InitTarget,
  opts: KaimingOptions = {},
): Tensor {
  return normal(target, 0, kaimingStd(shapeOf(target), opts), opts);
}

/**
 * Options of the Xavier (Glorot) initializers.
 * @example
 * const opts: XavierOptions = { gain: calculateGain('tanh') };
 * xavierNormal([10, 20], opts);
 */
export interface XavierOptions extends InitOptions {
  /** Scale factor (default 1; e.g. calculateGain('tanh')). */
  gain?: number;
}

function xavierStd(shape: readonly number[], gain: number): number {
  const [fanIn, fanOut] = calculateFanInAndFanOut(shape);
  // Glorot & Bengio 2010: Var = 2 / (fanIn + fanOut) balances both passes.
  return gain * Math.sqrt(2 / (fanIn + fanOut));
}

/**
 * U(−b, b) with b = gain·√(6 / (fanIn + fanOut)).
 * @example xavierUniform([10, 20], { gain: calculateGain('tanh') })
 */
export function xavierUniform(
  target: InitTarget,
  opts: XavierOptions = {},
): Tensor {
  const bound = Math.sqrt(3) * xavierStd(shapeOf(target), opts.gain ?? 1);
  return uniform(target, -bound, bound, opts);
}

/**
 * N(0, std²) with std = gain·√(2 / (fanIn + fanOut)).
 * @example xavierNormal([10, 20], { rng: makeRng(1) })
 */
export function xavierNormal(
  target: InitTarget,
  opts: XavierOptions = {},
): Tensor {
  return normal(target, 0, xavierStd(shapeOf(target), opts.gain ?? 1), opts);
}
