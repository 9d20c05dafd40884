/**
 * @optnet/nn/node: what reads and writes files, for Node (the main entry
 * has no Node imports, so it bundles for a browser as it is): checkpoints
 * on disk (`save`, `load`), atomic file writes, and IDX / Fashion-MNIST
 * files.
 * @example
 * import { save, load } from '@optnet/nn/node';
 * await save(model, 'model.safetensors', { optimizer: opt });
 * await load(model, 'model.safetensors', { optimizer: opt });
 *
 * @module \@optnet/nn/node
 */
export { save, load, writeFileAtomic } from './node/files.js';
export {
  readIdx,
  loadFashionMnist,
  FASHION_MNIST_DIR,
  type FashionMnistOptions,
} from './node/fashion-mnist.js';
