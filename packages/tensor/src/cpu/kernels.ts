/**
 * The CPU backend's own kernels for some primitives: WebAssembly SIMD
 * versions of the batched cholesky (plain and regularized), triangular solves and matmuls, and of
 * the float32 elementwise ops, reductions, softmax rows, softmax
 * cross-entropy (and its gradient) and conv2d (with
 * its gradients), run in place
 * of the reference kernels (`op.cpuBatch`, `op.cpu`) by this backend and
 * its worker threads. Each falls back to the reference kernel where it
 * does not apply. Other backends never see them.
 */
import type { CpuBatch, KernelOp } from '../op.js';
import { runAll } from '../op.js';
import { cholesky } from '../ops/cholesky.js';
import { conv2d, conv2dGradInput, conv2dGradWeight } from '../ops/conv2d.js';
import { matmul } from '../ops/matmul.js';
import { regularizedCholesky } from '../ops/regularized-cholesky.js';
import { triangularSolve } from '../ops/triangular-solve.js';
import { binaryPrimitives } from '../ops/binary.js';
import { cast } from '../ops/cast.js';
import { comparePrimitives, type CompareName } from '../ops/compare.js';
import { reducePrimitives } from '../ops/reduce.js';
import { logSoftmax, softmax } from '../ops/softmax.js';
import {
  softmaxCrossEntropy,
  softmaxCrossEntropyGrad,
} from '../ops/softmax-cross-entropy.js';
import { unaryPrimitives, type UnaryName } from '../ops/unary.js';
import type { BinaryName } from '../ops/binary.js';
import { choleskyFast } from './kernels/cholesky.js';
import {
  conv2dFast,
  conv2dGradInputFast,
  conv2dGradWeightF32,
} from './kernels/conv-f32.js';
import {
  binaryF32,
  castF32,
  compareF32,
  reduceF32,
  softmaxF32,
  unaryF32,
} from './kernels/elementwise-f32.js';
import {
  softmaxCeF32,
  softmaxCeGradF32,
} from './kernels/softmax-cross-entropy-f32.js';
import { COMPARE_KERNELS } from './wasm/wat-f32-compare.js';
import { F32_BINARY, F32_UNARY } from './wasm/wat-f32-elementwise.js';
import { matmulFast } from './kernels/matmul.js';
import { regularizedCholeskyFast } from './kernels/regularized-cholesky.js';
import { triangularSolveFast } from './kernels/triangular-solve.js';

const fast = new Map<KernelOp<never>, CpuBatch<never>>([
  [cholesky, choleskyFast],
  [triangularSolve, triangularSolveFast],
  [matmul, matmulFast],
  [regularizedCholesky, regularizedCholeskyFast],
  [conv2d, conv2dFast],
  [conv2dGradInput, conv2dGradInputFast],
] as [KernelOp<never>, CpuBatch<never>][]);

const whole = new Map<KernelOp<never>, KernelOp<never>['cpu']>();

/** The own kernels of ops without a batch kernel (built on first use). */
let plain: Map<KernelOp<never>, KernelOp<never>['cpu']> | undefined;

/** The whole-call kernels of ops without a batch kernel (float32 paths). */
function wholeKernels(): Map<KernelOp<never>, KernelOp<never>['cpu']> {
  const entries: [KernelOp<never>, KernelOp<never>['cpu']][] = [];
  const add = <A>(op: KernelOp<A>, run: KernelOp<A>['cpu']) =>
    entries.push([op as KernelOp<never>, run as KernelOp<never>['cpu']]);
  for (const name of F32_UNARY) {
    const op = unaryPrimitives[name as UnaryName];
    add(op, unaryF32(name, op));
  }
  for (const name of F32_BINARY) {
    const op = binaryPrimitives[name as BinaryName];
    add(op, binaryF32(name, op));
  }
  for (const name of COMPARE_KERNELS) {
    const op = comparePrimitives[name as CompareName];
    add(op, compareF32(name, op));
  }
  add(cast, castF32(cast));
  add(reducePrimitives.sum, reduceF32('sum', reducePrimitives.sum));
  add(reducePrimitives.max, reduceF32('max', reducePrimitives.max));
  add(softmax, softmaxF32(false, softmax));
  add(logSoftmax, softmaxF32(true, logSoftmax));
  add(softmaxCrossEntropy, softmaxCeF32(softmaxCrossEntropy));
  add(softmaxCrossEntropyGrad, softmaxCeGradF32(softmaxCrossEntropyGrad));
  add(conv2dGradWeight, conv2dGradWeightF32);
  return new Map(entries);
}

/**
 * The batch kernel the CPU backend runs for `op`: its own where it has
 * one, else the op's reference `cpuBatch` (undefined: not splittable).
 * @example cpuBatchOf(primitives.cholesky)?.items(ins, outs, {});
 */
export function cpuBatchOf<A>(op: KernelOp<A>): CpuBatch<A> | undefined {
  const own = fast.get(op as KernelOp<never>) as CpuBatch<A> | undefined;
  return own ?? op.cpuBatch;
}

/**
 * The whole-call kernel the CPU backend runs for `op` (its own batch
 * kernel over every item, else `op.cpu`).
 * @example cpuKernelOf(op)(inputs, outputs, attrs);
 */
export function cpuKernelOf<A>(op: KernelOp<A>): KernelOp<A>['cpu'] {
  const key = op as KernelOp<never>;
  const own = fast.get(key) as CpuBatch<A> | undefined;
  if (own === undefined) {
    plain ??= wholeKernels();
    return (plain.get(key) as KernelOp<A>['cpu'] | undefined) ?? op.cpu;
  }
  let run = whole.get(key) as KernelOp<A>['cpu'] | undefined;
  if (run === undefined) {
    run = runAll(own);
    whole.set(key, run as KernelOp<never>['cpu']);
  }
  return run;
}
