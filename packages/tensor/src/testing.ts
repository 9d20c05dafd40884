/**
 * @optnet/tensor/testing: the backend-independent op suite and assertions.
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
export {
  assertClose,
  assertThrowsCode,
  assertThrowsCodeSync,
  type CloseOptions,
} from './testing/assert.js';
