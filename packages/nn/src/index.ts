/**
 * @optnet/nn: modules, layers, losses, optimizers, checkpoints and data
 * readers for @optnet/tensor models, with PyTorch's names and defaults.
 *
 * @example
 * import { randn, tensor } from '@optnet/tensor';
 * import { Sequential, Linear, ReLU, crossEntropy, Adam } from '@optnet/nn';
 * const model = new Sequential(new Linear(784, 256), new ReLU(),
 *   new Linear(256, 10));
 * const opt = new Adam(model.parameters(), { lr: 1e-3 });
 * const x = randn([2, 784]);
 * const labels = tensor([3, 7], { dtype: 'int32' });
 * const loss = crossEntropy(model.forward(x), labels);
 * opt.zeroGrad();
 * loss.backward();
 * opt.step();
 *
 * @module \@optnet/nn
 */
export { Module, stateMap, type StateDict } from './module.js';
export { NnError, type NnErrorCode } from './errors.js';
export {
  encodeSafetensors,
  encodeSafetensorsEntries,
  decodeSafetensors,
  type SafetensorsEntry,
  type DecodedSafetensors,
} from './safetensors.js';
export {
  checkpointBytes,
  loadCheckpointBytes,
  OPTIMIZER_PREFIX,
  type SaveOptions,
  type LoadOptions,
} from './checkpoint.js';
export {
  parseIdx,
  decodeIdx,
  type IdxData,
  type IdxDType,
  type IdxArray,
} from './idx.js';
export {
  calculateGain,
  calculateFanInAndFanOut,
  uniform,
  normal,
  kaimingUniform,
  kaimingNormal,
  xavierUniform,
  xavierNormal,
  type InitOptions,
  type KaimingOptions,
  type XavierOptions,
  type Nonlinearity,
  type FanMode,
  type InitTarget,
} from './init.js';
export { Linear, type LinearOptions } from './layers/linear.js';
export { Conv2d, type Conv2dLayerOptions } from './layers/conv2d.js';
export {
  MaxPool2d,
  AvgPool2d,
  type Pool2dLayerOptions,
} from './layers/pooling.js';
export { type Size2d } from './layers/check.js';
export { Flatten, type FlattenOptions } from './layers/flatten.js';
export { Dropout, type DropoutOptions } from './layers/dropout.js';
export {
  BatchNorm1d,
  BatchNorm2d,
  type BatchNormOptions,
} from './layers/batch-norm.js';
export { Sequential } from './layers/sequential.js';
export {
  ReLU,
  Tanh,
  Sigmoid,
  Softplus,
  Softmax,
  LogSoftmax,
  type SoftplusOptions,
  type SoftmaxOptions,
} from './layers/activations.js';
export {
  mseLoss,
  crossEntropy,
  nllLoss,
  binaryCrossEntropyWithLogits,
  type Reduction,
  type ReductionOptions,
  type NllLossOptions,
  type CrossEntropyOptions,
  type BceWithLogitsOptions,
} from './losses.js';
export {
  MSELoss,
  CrossEntropyLoss,
  NLLLoss,
  BCEWithLogitsLoss,
} from './loss-modules.js';
export { Optimizer, type HyperValue } from './optim/optimizer.js';
export { SGD, type SgdOptions } from './optim/sgd.js';
export { Adam, AdamW, type AdamOptions } from './optim/adam.js';
export { clipGradNorm, type ClipGradNormOptions } from './optim/clip.js';
export { type OptimizerState, type StatefulOptimizer } from './optim/state.js';
export { batches, permutation, numBatches, type BatchOptions } from './data.js';
