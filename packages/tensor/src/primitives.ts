/**
 * The table of every built-in primitive. Its type drives the tables of
 * other packages: autograd's VJP rules and the GPU kernels are typed
 * `{ [K in PrimitiveName]: ... }`, so a primitive missing a rule or a
 * kernel fails the type check.
 */
import type { AttrsOf, KernelOp } from './op.js';
import { binaryPrimitives, type BinaryPrimitives } from './ops/binary.js';
import { cast, type CastAttrs } from './ops/cast.js';
import { comparePrimitives, type ComparePrimitives } from './ops/compare.js';
import { expand, type ExpandAttrs } from './ops/expand.js';
import { permute, type PermuteAttrs } from './ops/permute.js';
import { reducePrimitives, type ReducePrimitives } from './ops/reduce.js';
import {
  linalgPrimitives,
  type LinalgPrimitives,
} from './ops/registry-linalg.js';
import {
  matmulPrimitives,
  type MatmulPrimitives,
} from './ops/registry-matmul.js';
import {
  movementPrimitives,
  type MovementPrimitives,
} from './ops/registry-movement.js';
import { nnPrimitives, type NnPrimitives } from './ops/registry-nn.js';
import { reshape, type ReshapeAttrs } from './ops/reshape.js';
import {
  unaryPrimitives,
  type NoAttrs,
  type UnaryPrimitives,
} from './ops/unary.js';
import { where } from './ops/where.js';

/**
 * The primitives outside the elementwise, reduction and registry groups:
 * selection, casting and the views of movement.
 * @example
 * const p: CorePrimitives['cast'] = primitives.cast;
 * apply1(p, [tensor([1.5])], { dtype: 'int32' }); // [1]
 */
export interface CorePrimitives {
  /** where(cond, a, b): a where cond is true, else b (broadcast). */
  readonly where: KernelOp<NoAttrs>;
  /** Convert to another dtype. */
  readonly cast: KernelOp<CastAttrs>;
  /** The same elements in another shape (no copy on the CPU). */
  readonly reshape: KernelOp<ReshapeAttrs>;
  /** Reorder the axes. */
  readonly permute: KernelOp<PermuteAttrs>;
  /** Broadcast to a larger shape. */
  readonly expand: KernelOp<ExpandAttrs>;
}

/**
 * The type of the `primitives` table: every built-in primitive by name,
 * with its attributes' type. Tables keyed by it (VJP rules, GPU kernels)
 * fail to compile when a primitive is missing.
 * @example
 * const op: Primitives['sum'] = primitives.sum;
 */
export type Primitives = UnaryPrimitives &
  BinaryPrimitives &
  ComparePrimitives &
  ReducePrimitives &
  CorePrimitives &
  MovementPrimitives &
  MatmulPrimitives &
  NnPrimitives &
  LinalgPrimitives;

/**
 * The table of every built-in primitive, by name: for `apply`, and for
 * code that walks the ops (a backend's kernel table, the op suite).
 * @example
 * apply1(primitives.sqrt, [tensor([4, 9])], {}); // [2, 3]
 * Object.keys(primitives).length; // how many primitives there are
 */
export const primitives: Primitives = {
  ...unaryPrimitives,
  ...binaryPrimitives,
  ...comparePrimitives,
  ...reducePrimitives,
  where,
  cast,
  reshape,
  permute,
  expand,
  ...movementPrimitives,
  ...matmulPrimitives,
  ...nnPrimitives,
  ...linalgPrimitives,
};

/**
 * The name of a built-in primitive.
 * @example
 * const name: PrimitiveName = 'matmul';
 * primitives[name].name; // 'matmul'
 */
export type PrimitiveName = keyof Primitives & string;

/**
 * The attributes' type of built-in primitive `K`.
 * @example
 * const attrs: PrimitiveAttrs<'cast'> = { dtype: 'float64' };
 */
export type PrimitiveAttrs<K extends PrimitiveName> = AttrsOf<Primitives[K]>;
