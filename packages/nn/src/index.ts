/**
 * @optnet/nn: modules, layers, losses, optimizers, checkpoints and data
 * readers for @optnet/tensor models, with PyTorch's names and defaults.
 *
 * @example
 * import { Sequential, Linear, ReLU, crossEntropy, Adam } from '@optnet/nn';
 * const model = new Sequential(new Linear(784, 256), new ReLU(), new Linear(256, 10));
 * const opt = new Adam(model.parameters(), { lr: 1e-3 });
 * const loss = crossEntropy(model.forward(x), labels);
 * opt.zeroGrad(); loss.backward(); opt.step();
 */
export { Module } from './module.js';
export { NnError, type NnErrorCode } from './errors.js';
