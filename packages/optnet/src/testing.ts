/**
 * @optnet/optnet/testing: seeded generators of QP batches with known
 * properties, for tests and benchmarks (the repository's bench/ uses them).
 * @example
 * import { randomQp } from '@optnet/optnet/testing';
 * const { Q, p, G, h } = randomQp({ nBatch: 8, nz: 10, nIneq: 10, nEq: 0,
 *   dtype: 'float64', seed: 0 });
 *
 * @module \@optnet/optnet/testing
 */
export {
  randomQp,
  type RandomQp,
  type RandomQpOptions,
} from './testing/random-qp.js';
export {
  kktQp,
  type KktAnswer,
  type KktQp,
  type KktQpOptions,
} from './testing/kkt-qp.js';
