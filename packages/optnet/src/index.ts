/**
 * @optnet/optnet: a batched, differentiable QP layer.
 *
 * - `qp(Q, p, G, h, A, b, options)`: z* as a differentiable tensor;
 *   `await qpAsync(...)` the same on any backend (a GPU).
 * - `solveQp(...)`: the full result (duals, slacks, status per item).
 * - `OptNetLayer`: the QP as a trainable @optnet/nn module.
 * - `parseQps`: QPS files (Maros–Meszaros) as dense QPs.
 * - `QpError`: every failure, with a `code`.
 *
 * @example
 * import { qp } from '@optnet/optnet';
 * // min ½‖z‖² − z₁ − 2z₂  subject to  z₁ + z₂ ≤ 1
 * const z = qp([[1, 0], [0, 1]], [-1, -2], [[1, 1]], [1], null, null);
 * console.log(await z.toArray()); // ≈ [0, 1]
 *
 * @module \@optnet/optnet
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
  QpWarmStart,
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
