/**
 * @optnet/optnet: a batched, differentiable QP layer.
 *
 * - `qp(Q, p, G, h, A, b, options)`: z* as a differentiable tensor;
 *   `await qpAsync(...)` the same on any backend (a GPU).
 * - `solveQp(...)`: the full result (duals, slacks, status per item).
 * - `QpError`: every failure, with a `code`.
 */
export { qp, qpAsync, solveQp } from './api/qp.js';
export { QpError, type QpErrorCode } from './api/errors.js';
export type {
  QpArg,
  NestedNumbers,
  QpOptions,
  QpResult,
  QpStatus,
  QpIterationInfo,
  QpSolveInfo,
  QpStructure,
} from './api/types.js';
export {
  parseQps,
  readQps,
  toDenseQp,
  qpObjective,
  type DenseQp,
  type QpsModel,
} from './io/qps.js';
export {
  OptNetLayer,
  optnetForward,
  optnetForwardAsync,
  optnetProblem,
  type OptNetLayerOptions,
  type OptNetParams,
  type OptNetConfig,
  type OptNetProblem,
} from './api/layer.js';
