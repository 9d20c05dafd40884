/**
 * The CPU backend's own kernels for some primitives: WebAssembly SIMD
 * versions of the batched cholesky (plain and regularized), triangular solves and matmuls, run in
 * place of the reference kernels (`op.cpuBatch`, `op.cpu`) by this backend
 * and its worker threads. Other backends never see them.
 */
import type { CpuBatch, KernelOp } from '../op.js';
import { runAll } from '../op.js';
import { cholesky } from '../ops/cholesky.js';
import { matmul } from '../ops/matmul.js';
import { regularizedCholesky } from '../ops/regularized-cholesky.js';
import { triangularSolve } from '../ops/triangular-solve.js';
import { choleskyFast } from './kernels/cholesky.js';
import { matmulFast } from './kernels/matmul.js';
import { regularizedCholeskyFast } from './kernels/regularized-cholesky.js';
import { triangularSolveFast } from './kernels/triangular-solve.js';

const fast = new Map<KernelOp<never>, CpuBatch<never>>([
  [cholesky, choleskyFast],
  [triangularSolve, triangularSolveFast],
  [matmul, matmulFast],
  [regularizedCholesky, regularizedCholeskyFast],
] as [KernelOp<never>, CpuBatch<never>][]);

const whole = new Map<KernelOp<never>, KernelOp<never>['cpu']>();

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
  if (own === undefined) return op.cpu;
  let run = whole.get(key) as KernelOp<A>['cpu'] | undefined;
  if (run === undefined) {
    run = runAll(own);
    whole.set(key, run as KernelOp<never>['cpu']);
  }
  return run;
}
