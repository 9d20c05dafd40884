/**
 * @optnet/tensor/testing: the backend-independent op suite, assertions,
 * and GpuLikeBackend, a backend with a GPU's semantics for tests.
 * @example
 * import { opSuite, assertClose } from '@optnet/tensor/testing';
 *
 * @module \@optnet/tensor/testing
 */
export {
  opSuite,
  allCases,
  type OpCase,
  type OpSuiteOptions,
} from './testing/op-suite.js';
export { GpuLikeBackend, GpuLikeBuffer } from './testing/gpu-like-backend.js';
export {
  assertClose,
  assertThrowsCode,
  assertThrowsCodeSync,
  type CloseOptions,
} from './testing/assert.js';
