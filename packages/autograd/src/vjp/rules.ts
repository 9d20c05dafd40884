/**
 * The VJP table: one rule (or an explicit null) per built-in primitive.
 * Typed over `Primitives`, so a primitive without a rule fails tsc.
 */
import type { Primitives } from '@optnet/tensor';
import { binaryVjps } from './binary.js';
import { compareVjps, coreVjps, reduceVjps } from './core.js';
import { linalgVjps } from './registry-linalg.js';
import { matmulVjps } from './registry-matmul.js';
import { movementVjps } from './registry-movement.js';
import { nnVjps } from './registry-nn.js';
import type { VjpTable } from './types.js';
import { unaryVjps } from './unary.js';

/**
 * The VJP rule of each built-in primitive, by name (`null`: not
 * differentiable). The backward walker looks rules up here; read it to see
 * which primitives have gradients.
 * @example
 * vjpRules.argmax; // null: argmax has no gradient
 * vjpRules.exp !== null; // true
 */
export const vjpRules: VjpTable<Primitives> = {
  ...unaryVjps,
  ...binaryVjps,
  ...compareVjps,
  ...reduceVjps,
  ...coreVjps,
  ...movementVjps,
  ...matmulVjps,
  ...nnVjps,
  ...linalgVjps,
};
