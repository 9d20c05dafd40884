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

export interface CorePrimitives {
  readonly where: KernelOp<NoAttrs>;
  readonly cast: KernelOp<CastAttrs>;
  readonly reshape: KernelOp<ReshapeAttrs>;
  readonly permute: KernelOp<PermuteAttrs>;
  readonly expand: KernelOp<ExpandAttrs>;
}

export type Primitives = UnaryPrimitives &
  BinaryPrimitives &
  ComparePrimitives &
  ReducePrimitives &
  CorePrimitives &
  MovementPrimitives &
  MatmulPrimitives &
  NnPrimitives &
  LinalgPrimitives;

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

export type PrimitiveName = keyof Primitives & string;
export type PrimitiveAttrs<K extends PrimitiveName> = AttrsOf<Primitives[K]>;
