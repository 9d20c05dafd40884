/**
 * The kernel table: a WGSL kernel for every primitive of @optnet/tensor,
 * typed by the primitives table, so a primitive without a kernel fails
 * the type check.
 */
import type { PrimitiveAttrs, PrimitiveName } from '@optnet/tensor';
import type { GpuKernel } from '../types.js';
import { addDiagonal } from './add-diagonal.js';
import { binaryKernels } from './binary.js';
import { cast } from './cast.js';
import { cholesky } from './cholesky.js';
import { compareKernels } from './compare.js';
import { concat } from './concat.js';
import { conv2d, conv2dGradInput, conv2dGradWeight } from './conv2d.js';
import { diagonal } from './diagonal.js';
import { expand } from './expand.js';
import { flip } from './flip.js';
import { gather, scatterAdd } from './gather.js';
import { matmul } from './matmul.js';
import { pad } from './pad.js';
import { permute } from './permute.js';
import { pool2dKernels } from './pool2d.js';
import { reduceKernels } from './reduce.js';
import { regularizedCholesky } from './regularized-cholesky.js';
import { reshape } from './reshape.js';
import { slice, sliceScatter } from './slice.js';
import { logSoftmax, softmax } from './softmax.js';
import {
  softmaxCrossEntropy,
  softmaxCrossEntropyGrad,
} from './softmax-cross-entropy.js';
import { solve } from './solve.js';
import { triangularSolve } from './triangular-solve.js';
import { unaryKernels } from './unary.js';
import { where } from './where.js';

/** Every primitive's kernel, by name. */
export type KernelTable = {
  readonly [K in PrimitiveName]: GpuKernel<PrimitiveAttrs<K>>;
};

export const kernels: KernelTable = {
  ...unaryKernels,
  ...binaryKernels,
  ...compareKernels,
  ...reduceKernels,
  where,
  cast,
  reshape,
  permute,
  expand,
  slice,
  sliceScatter,
  pad,
  concat,
  flip,
  gather,
  scatterAdd,
  matmul,
  conv2d,
  conv2dGradInput,
  conv2dGradWeight,
  softmax,
  logSoftmax,
  softmaxCrossEntropy,
  softmaxCrossEntropyGrad,
  ...pool2dKernels,
  cholesky,
  regularizedCholesky,
  triangularSolve,
  solve,
  addDiagonal,
  diagonal,
};
