/**
 * @optnet/tensor: n-d tensors with NumPy broadcasting, the primitive
 * registry and the CPU reference backend.
 *
 * @example
 * import { tensor, matmul } from '@optnet/tensor';
 * const x = tensor([[1, 2], [3, 4]]);
 * console.log(await x.add(1).sum().item()); // 14
 *
 * @module \@optnet/tensor
 */
import './methods/core.js';
import './methods/movement.js';
import './methods/nn.js';
import './methods/linalg.js';
import './methods/matmul.js';
import './methods/copy.js';
import './methods/format.js';

export {
  closestName,
  showValue,
  unknownOptionMessage,
  type OptionKeys,
} from './closest.js';
export {
  Tensor,
  memoryStats,
  toNested,
  type NestedArray,
  type ReadOptions,
} from './tensor.js';
export {
  type DType,
  type FloatDType,
  type TypedArray,
  isFloat,
  allocArray,
} from './dtype.js';
export {
  OptnetError,
  ShapeError,
  DTypeError,
  ValueError,
  RuntimeError,
  type ErrorCode,
} from './errors.js';
export {
  broadcastShapes,
  sizeOf,
  stridesOf,
  normalizeAxis,
  normalizeAxes,
  fmtShape,
  shapesEqual,
  type Shape,
} from './shape.js';
export {
  type Backend,
  type BackendTensor,
  assertHolds,
  getBackend,
  setBackend,
} from './backend.js';
export { CpuBackend, cpuWouldSplit } from './cpu/backend.js';
export {
  setWasmFma,
  setWasmKernels,
  usingWasmFma,
  usingWasmKernels,
} from './cpu/wasm/runtime.js';
export { allFinite } from './ops/cholesky.js';
export {
  defineOp,
  type KernelOp,
  type CustomOp,
  type Primitive,
  type AttrsOf,
  type CpuTensor,
  type TensorMeta,
  type CustomForward,
  type KernelFailure,
  type CpuBatch,
} from './op.js';
export { apply, apply1 } from './apply.js';
export {
  primitives,
  type CorePrimitives,
  type Primitives,
  type PrimitiveName,
  type PrimitiveAttrs,
} from './primitives.js';
export {
  type GraphNode,
  isGradEnabled,
  setGradEnabled,
  setBackwardImpl,
} from './graph.js';
export { scope, keep } from './memory.js';
export { type Rng, makeRng, seed, rngState, restoreRng } from './random.js';
export {
  tensor,
  zeros,
  ones,
  full,
  eye,
  arange,
  linspace,
  rand,
  randn,
  randint,
  scalar,
  fromTypedArray,
  fullLike,
  zerosLike,
  onesLike,
  toBackend,
  type CreateOptions,
  type TensorOptions,
  type RandomOptions,
} from './creation.js';
export {
  type TensorLike,
  asTensor,
  neg,
  abs,
  sign,
  square,
  exp,
  log,
  log1p,
  sqrt,
  rsqrt,
  reciprocal,
  sin,
  cos,
  tanh,
  sigmoid,
  softplus,
  relu,
  add,
  sub,
  mul,
  div,
  pow,
  maximum,
  minimum,
  equal,
  notEqual,
  less,
  lessEqual,
  greater,
  greaterEqual,
  where,
  cast,
  clamp,
  sum,
  prod,
  max,
  min,
  argmax,
  argmin,
  mean,
  reshape,
  permute,
  transpose,
  expand,
  squeeze,
  unsqueeze,
} from './api/core.js';
export {
  type NoAttrs,
  type UnaryName,
  type UnaryPrimitives,
} from './ops/unary.js';
export { type BinaryName, type BinaryPrimitives } from './ops/binary.js';
export { type CompareName, type ComparePrimitives } from './ops/compare.js';
export { type ReducePrimitives } from './ops/reduce.js';
export { type MovementPrimitives } from './ops/registry-movement.js';
export { type MatmulPrimitives } from './ops/registry-matmul.js';
export { type NnPrimitives } from './ops/registry-nn.js';
export { type LinalgPrimitives } from './ops/registry-linalg.js';
export {
  type ReduceAttrs,
  type ArgReduceAttrs,
  reducedShape,
} from './ops/reduce.js';
export { type ReshapeAttrs } from './ops/reshape.js';
export { type PermuteAttrs, invertPerm } from './ops/permute.js';
export { type ExpandAttrs } from './ops/expand.js';
export { type CastAttrs } from './ops/cast.js';
export {
  cholesky,
  regularizedCholesky,
  triangularSolve,
  choleskySolve,
  solve,
  inverse,
  addDiagonal,
  diagonal,
  type TriangularSolveOptions,
} from './api/linalg.js';
export { type TriangularSolveAttrs } from './ops/triangular-solve.js';
export { type RegularizedCholeskyAttrs } from './ops/regularized-cholesky.js';
export {
  softmax,
  logSoftmax,
  softmaxCrossEntropy,
  softmaxCrossEntropyGrad,
  logsumexp,
  variance,
  maxPool2d,
  avgPool2d,
  maxPool2dGrad,
  avgPool2dGrad,
  type VarianceOptions,
  type Pool2dOptions,
  type Size2,
} from './api/nn.js';
export { type SoftmaxAttrs } from './ops/softmax.js';
export { type Pool2dAttrs } from './ops/pool2d.js';
export {
  matmul,
  conv2d,
  conv2dGradInput,
  conv2dGradWeight,
  conv2dAttrs,
  type MatmulOptions,
  type Conv2dOptions,
  type Conv2dSize,
} from './api/matmul.js';
export { type MatmulAttrs } from './ops/matmul.js';
export {
  type Conv2dAttrs,
  type Conv2dGradInputAttrs,
  type Conv2dGradWeightAttrs,
} from './ops/conv2d.js';
export {
  slice,
  sliceScatter,
  pad,
  concat,
  flatten,
  stack,
  flip,
  gather,
  scatterAdd,
  indexSelect,
  oneHot,
} from './api/movement.js';
export { type GatherAttrs, type ScatterAddAttrs } from './ops/gather.js';
export {
  type SliceSpec,
  type SliceAttrs,
  type SliceScatterAttrs,
} from './ops/slice.js';
export { type PadAttrs } from './ops/pad.js';
export { type ConcatAttrs } from './ops/concat.js';
export { type FlipAttrs } from './ops/flip.js';
