/** Creating tensors: from data, constant fills, ranges and random draws. */
import { assertHolds, getBackend, type Backend } from './backend.js';
import {
  allocArray,
  dtypeOfArray,
  isDType,
  type DType,
  type TypedArray,
} from './dtype.js';
import { DTypeError, ShapeError, ValueError } from './errors.js';
import { fillNormal, getRng, type Rng } from './random.js';
import { checkShape, fmtShape, sizeOf, type Shape } from './shape.js';
import { Tensor, type NestedArray } from './tensor.js';

/**
 * Options of the creation functions.
 * @example
 * const opts: CreateOptions = { dtype: 'float64', requiresGrad: true };
 * zeros([2, 3], opts);
 */
export interface CreateOptions {
  /** Element type (each function states its default, mostly float32). */
  dtype?: DType;
  /** Make a leaf that gradients flow to (float dtypes only). */
  requiresGrad?: boolean;
  /** The backend to create it on (default: `getBackend()`). */
  backend?: Backend;
}

/**
 * Options of `tensor(data)`.
 * @example
 * const opts: TensorOptions = { shape: [2, 2], dtype: 'float64' };
 * tensor([1, 2, 3, 4], opts); // [[1, 2], [3, 4]]
 */
export interface TensorOptions extends CreateOptions {
  /** Shape for flat (typed or plain) array data. */
  shape?: readonly number[];
}

/**
 * Options of the random creation functions.
 * @example
 * const opts: RandomOptions = { rng: makeRng(0), dtype: 'float64' };
 * randn([3], opts);
 */
export interface RandomOptions extends CreateOptions {
  /** The seeded generator to draw from (default: the global one). */
  rng?: Rng;
}

/**
 * Wrap a typed array of the right dtype and size (no validation), on
 * `backend` (default: the current one): the fastest way in for data you
 * already hold as a typed array.
 * @example
 * fromTypedArray(new Float32Array([1, 2, 3, 4]), [2, 2]); // [[1, 2], [3, 4]]
 */
export function fromTypedArray(
  data: TypedArray,
  shape: Shape,
  requiresGrad = false,
  backend: Backend = getBackend(),
): Tensor {
  return onBackend(backend, data, shape, requiresGrad, 'fromTypedArray');
}

function onBackend(
  be: Backend,
  data: TypedArray,
  shape: Shape,
  requiresGrad: boolean,
  op: string,
): Tensor {
  const dtype = dtypeOfArray(data);
  assertHolds(op, be, dtype);
  const buf = be.allocate(dtype, data.length);
  be.write(buf, data);
  return new Tensor(be, buf, shape, dtype, requiresGrad);
}

/**
 * A copy of `t` on `backend`, or `t` itself when it already lives there:
 * the function form of `t.to(backend)` (PyTorch's `t.to(device)`). The
 * copy is a new leaf, outside the graph. Asynchronous, because reading
 * from a device is. A dtype the target does not hold is a DTypeError
 * DTYPE_UNSUPPORTED, before anything is read.
 * @example
 * const x = tensor([1, 2]);
 * const xs = await toBackend(x, getBackend()); // x itself: same backend
 */
export async function toBackend(t: Tensor, backend: Backend): Promise<Tensor> {
  if (t.backend === backend) return t;
  assertHolds('to', backend, t.dtype);
  return onBackend(backend, await t.data(), t.shape, false, 'to');
}

/**
 * A tensor of `value` with `like`'s shape, dtype and backend (PyTorch's
 * full_like); `options.dtype` overrides the dtype.
 * @example
 * const x = zeros([2, 3]);
 * fullLike(x, 0.5); // [2, 3] float32, every entry 0.5
 */
export function fullLike(
  like: Tensor,
  value: number | boolean,
  options: CreateOptions = {},
): Tensor {
  const dtype = options.dtype ?? like.dtype;
  if (options.requiresGrad) assertGradDType('fullLike', dtype);
  const data = allocArray(dtype, like.size);
  if (value !== 0) data.fill(Number(value));
  if (dtype === 'int32' && data.length > 0)
    checkInt32('fullLike', [value], data);
  return onBackend(
    like.backend,
    data,
    like.shape,
    options.requiresGrad ?? false,
    'fullLike',
  );
}

/**
 * Zeros with `like`'s shape, dtype and backend (PyTorch's zeros_like).
 * @example
 * const w = randn([4, 2]);
 * const velocity = zerosLike(w); // [4, 2] zeros
 */
export function zerosLike(like: Tensor, options: CreateOptions = {}): Tensor {
  return fullLike(like, 0, options);
}

/**
 * Ones with `like`'s shape, dtype and backend (PyTorch's ones_like).
 * @example
 * const x = randn([3]);
 * const mask = onesLike(x, { dtype: 'bool' }); // [true, true, true]
 */
export function onesLike(like: Tensor, options: CreateOptions = {}): Tensor {
  return fullLike(like, 1, options);
}

/**
 * A tensor from nested arrays, a typed array or a number: the usual way to
 * make one from data. Numbers default to float32; booleans to bool; a
 * typed array keeps its type.
 * @example
 * tensor([[1, 2], [3, 4]], { dtype: 'float64', requiresGrad: true });
 */
export function tensor(
  values: NestedArray | TypedArray | readonly number[],
  options: TensorOptions = {},
): Tensor {
  const dtype = options.dtype ?? inferDType(values);
  if (!isDType(dtype)) {
    throw new DTypeError(
      'DTYPE_MISMATCH',
      `tensor: dtype must be float32, float64, int32 or bool; got ${String(dtype)}.`,
    );
  }
  let flat: ArrayLike<number | boolean>;
  let shape: number[];
  if (ArrayBuffer.isView(values)) {
    flat = values as TypedArray;
    shape = [flat.length];
  } else {
    shape = inferShape(values as NestedArray);
    // A checked rectangular array: its leaves in order, without
    // Array.prototype.flat (14 µs for 128 booleans; this, ~1 µs).
    flat = Array.isArray(values)
      ? leaves(values as NestedArray[], shape.length)
      : [values as number | boolean];
  }
  if (options.shape) {
    const want = checkShape('tensor', options.shape);
    if (sizeOf(want) !== flat.length) {
      throw new ShapeError(
        'SHAPE_MISMATCH',
        `tensor: shape ${fmtShape(want)} needs ${sizeOf(want)} values; got ${flat.length}. ` +
          `Pass data with that many values, or a matching shape.`,
      );
    }
    shape = want;
  }
  const data = allocArray(dtype, flat.length);
  for (let i = 0; i < flat.length; i++) data[i] = Number(flat[i]);
  if (dtype === 'int32') checkInt32('tensor', flat, data);
  if (options.requiresGrad) assertGradDType('tensor', dtype);
  return make('tensor', data, shape, options);
}

/** A tensor of `data` for creation function `op`, per its options. */
function make(
  op: string,
  data: TypedArray,
  shape: Shape,
  options: CreateOptions,
): Tensor {
  const be = options.backend ?? getBackend();
  return onBackend(be, data, shape, options.requiresGrad ?? false, op);
}

function inferDType(values: unknown): DType {
  if (ArrayBuffer.isView(values)) return dtypeOfArray(values as TypedArray);
  let v: unknown = values;
  while (Array.isArray(v)) v = v[0];
  return typeof v === 'boolean' ? 'bool' : 'float32';
}

function inferShape(values: NestedArray): number[] {
  const shape: number[] = [];
  let v: NestedArray = values;
  while (Array.isArray(v)) {
    shape.push(v.length);
    if (v.length === 0) break;
    v = v[0];
  }
  checkRagged(values, shape, 0, []);
  return shape;
}

/** The leaves of a checked rectangular array of `rank` levels, in order. */
function leaves(values: NestedArray[], rank: number): (number | boolean)[] {
  if (rank === 1) return values as (number | boolean)[];
  const out: (number | boolean)[] = [];
  const walk = (v: NestedArray, dim: number): void => {
    const a = v as NestedArray[];
    if (dim === rank - 1)
      for (let i = 0; i < a.length; i++) out.push(a[i] as number);
    else for (let i = 0; i < a.length; i++) walk(a[i], dim + 1);
  };
  walk(values, 0);
  return out;
}

/** Throws unless v is rectangular with `shape`; `path` is the index so far (restored on return). */
function checkRagged(
  v: NestedArray,
  shape: number[],
  dim: number,
  path: number[],
): void {
  if (dim === shape.length) {
    if (Array.isArray(v) || (typeof v !== 'number' && typeof v !== 'boolean')) {
      throw new ShapeError(
        'SHAPE_MISMATCH',
        `tensor: nested arrays must be rectangular with number or boolean leaves; got ${Array.isArray(v) ? 'an array' : typeof v} at [${path.join('][')}]. Check the data.`,
      );
    }
    return;
  }
  if (!Array.isArray(v) || v.length !== shape[dim]) {
    const len = Array.isArray(v) ? v.length : 'a scalar';
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `tensor: nested arrays must be rectangular; got length ${len} at [${path.join('][')}] where ${shape[dim]} was expected. Pad or trim the rows.`,
    );
  }
  for (let i = 0; i < v.length; i++) {
    path.push(i);
    checkRagged(v[i], shape, dim + 1, path);
    path.pop();
  }
}

function assertGradDType(op: string, dtype: DType): void {
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new DTypeError(
      'DTYPE_MISMATCH',
      `${op}: only float tensors can require gradients; got ${dtype}. Use dtype 'float32' or 'float64'.`,
    );
  }
}

function filled(
  op: string,
  shape: readonly number[],
  value: number,
  options: CreateOptions,
): Tensor {
  const s = checkShape(op, shape);
  const dtype = options.dtype ?? 'float32';
  const data = allocArray(dtype, sizeOf(s));
  if (value !== 0) data.fill(value);
  if (dtype === 'int32' && data.length > 0) checkInt32(op, [value], data);
  if (options.requiresGrad) assertGradDType(op, dtype);
  return make(op, data, s, options);
}

/**
 * A tensor of zeros (float32 unless `dtype` says otherwise).
 * @example
 * zeros([2, 3], { dtype: 'float64' });
 */
export function zeros(
  shape: readonly number[],
  options: CreateOptions = {},
): Tensor {
  return filled('zeros', shape, 0, options);
}

/**
 * A tensor of ones (float32 unless `dtype` says otherwise).
 * @example
 * ones([3]); // [1, 1, 1]
 */
export function ones(
  shape: readonly number[],
  options: CreateOptions = {},
): Tensor {
  return filled('ones', shape, 1, options);
}

/**
 * A tensor with every entry `value` (float32 unless `dtype` says
 * otherwise).
 * @example
 * full([2, 2], 7, { dtype: 'int32' }); // [[7, 7], [7, 7]]
 */
export function full(
  shape: readonly number[],
  value: number | boolean,
  options: CreateOptions = {},
): Tensor {
  const dtype =
    options.dtype ?? (typeof value === 'boolean' ? 'bool' : 'float32');
  return filled('full', shape, Number(value), { ...options, dtype });
}

/**
 * Identity matrix (n×m with `options.m`, default square).
 * @example
 * eye(3, { dtype: 'float64' }); // 3×3 identity
 */
export function eye(
  n: number,
  options: CreateOptions & { m?: number } = {},
): Tensor {
  const m = options.m ?? n;
  checkShape('eye', [n, m]);
  const data = allocArray(options.dtype ?? 'float32', n * m);
  for (let i = 0; i < Math.min(n, m); i++) data[i * m + i] = 1;
  return make('eye', data, [n, m], options);
}

/**
 * Values start, start+step, ... below stop (or 0..start-1 with one
 * argument); int32 when every argument is an integer.
 * @example
 * arange(5); // [0, 1, 2, 3, 4] as int32
 * arange(0, 1, 0.25); // [0, 0.25, 0.5, 0.75] as float32
 */
export function arange(
  start: number,
  stop?: number,
  step = 1,
  options: CreateOptions = {},
): Tensor {
  if (stop === undefined) [start, stop] = [0, start];
  if (step === 0 || !Number.isFinite(step)) {
    throw new ShapeError(
      'BAD_ARGUMENT',
      `arange: step must be finite and non-zero; got ${step}.`,
    );
  }
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const ints = [start, stop, step].every(Number.isInteger);
  const dtype = options.dtype ?? (ints ? 'int32' : 'float32');
  const data = allocArray(dtype, n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return make('arange', data, [n], options);
}

/**
 * `num` evenly spaced values from start to stop inclusive.
 * @example
 * linspace(0, 1, 5); // [0, 0.25, 0.5, 0.75, 1]
 */
export function linspace(
  start: number,
  stop: number,
  num: number,
  options: CreateOptions = {},
): Tensor {
  if (!Number.isInteger(num) || num < 0) {
    throw new ShapeError(
      'BAD_ARGUMENT',
      `linspace: num must be a non-negative integer; got ${num}.`,
    );
  }
  const data = allocArray(options.dtype ?? 'float32', num);
  const step = num > 1 ? (stop - start) / (num - 1) : 0;
  for (let i = 0; i < num; i++)
    data[i] = i === num - 1 && num > 1 ? stop : start + i * step;
  return make('linspace', data, [num], options);
}

/**
 * Uniform in [0, 1).
 * @example
 * rand([2, 3], { rng: makeRng(1) });
 */
export function rand(
  shape: readonly number[],
  options: RandomOptions = {},
): Tensor {
  const s = checkShape('rand', shape);
  const rng = getRng(options.rng);
  const data = allocArray(floatDType('rand', options.dtype), sizeOf(s));
  for (let i = 0; i < data.length; i++) data[i] = rng();
  return make('rand', data, s, options);
}

/**
 * Standard normal, N(0, 1).
 * @example
 * randn([4], { rng: makeRng(1), dtype: 'float64' });
 */
export function randn(
  shape: readonly number[],
  options: RandomOptions = {},
): Tensor {
  const s = checkShape('randn', shape);
  const data = allocArray(floatDType('randn', options.dtype), sizeOf(s));
  fillNormal(data, getRng(options.rng));
  return make('randn', data, s, options);
}

/**
 * Integers uniform in [low, high), int32 (class labels, indices).
 * @example
 * randint(0, 10, [5], { rng: makeRng(0) }); // five labels in 0..9
 */
export function randint(
  low: number,
  high: number,
  shape: readonly number[],
  options: RandomOptions = {},
): Tensor {
  const s = checkShape('randint', shape);
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
    throw new ShapeError(
      'BAD_ARGUMENT',
      `randint: need integers low < high; got low ${low}, high ${high}.`,
    );
  }
  const rng = getRng(options.rng);
  const data = allocArray(options.dtype ?? 'int32', sizeOf(s));
  for (let i = 0; i < data.length; i++)
    data[i] = low + Math.floor(rng() * (high - low));
  return make('randint', data, s, { ...options, requiresGrad: false });
}

function floatDType(op: string, dtype: DType | undefined): DType {
  const d = dtype ?? 'float32';
  if (d !== 'float32' && d !== 'float64') {
    throw new DTypeError(
      'DTYPE_MISMATCH',
      `${op}: dtype must be float32 or float64; got ${d}. Use randint for integers.`,
    );
  }
  return d;
}

/**
 * A 0-d tensor holding `value`, of `dtype` (float32 by default), on
 * `backend` (default: the current one).
 * @example
 * scalar(2, 'float64').shape; // []
 * scalar(2, x.dtype, x.backend); // a constant beside x
 */
export function scalar(
  value: number | boolean,
  dtype: DType = 'float32',
  backend: Backend = getBackend(),
): Tensor {
  const data = allocArray(dtype, 1);
  data[0] = Number(value);
  if (dtype === 'int32') checkInt32('scalar', [value], data);
  return fromTypedArray(data, [], false, backend);
}

/**
 * Throw ValueError BAD_ARGUMENT where an int32 tensor would not hold a
 * value as given (a fraction cut off, a number past ±2³¹ wrapped), naming
 * `op` and the first such value.
 */
function checkInt32(
  op: string,
  given: ArrayLike<number | boolean>,
  stored: TypedArray,
): void {
  for (let i = 0; i < given.length; i++) {
    const v = Number(given[i]);
    if (stored[i] !== v) {
      throw new ValueError(
        'BAD_ARGUMENT',
        `${op}: int32 holds integers from −2³¹ to 2³¹ − 1; got ${v} at index ${i}. Round the values first, or make a float32 or float64 tensor.`,
      );
    }
  }
}
