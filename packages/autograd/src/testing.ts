/**
 * @optnet/autograd/testing: gradient checking.
 * @example import { checkVjp } from '@optnet/autograd/testing';
 * @module \@optnet/autograd/testing
 */
export {
  checkVjp,
  type CheckVjpOptions,
  type CheckVjpResult,
} from './testing/check-vjp.js';
