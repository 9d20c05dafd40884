/**
 * @optnet/autograd/testing: gradient checking, synchronous (CPU) and
 * asynchronous (any backend), and the suite that checks every primitive.
 * @example import { checkVjp } from '@optnet/autograd/testing';
 * @module \@optnet/autograd/testing
 */
export { vjpSuite, type VjpSuiteOptions } from './testing/vjp-suite.js';
export {
  vjpCases,
  type Draw,
  type VjpCase,
  type VjpCases,
} from './testing/vjp-cases.js';
export {
  checkVjpAsync,
  checkVjp,
  type CheckVjpOptions,
  type CheckVjpResult,
} from './testing/check-vjp.js';
