/**
 * The ops the benchmarks call, looked up at run time, so that an entry whose
 * op has not landed yet reports "skipped: <op> not available" instead of
 * crashing the run. The packages are imported from their sources (the root
 * project does not depend on them; `pnpm bench` runs with
 * `--conditions=source`, as the tests do).
 */
import * as T from '../packages/tensor/src/index.js';
import type { Tensor } from '../packages/tensor/src/index.js';

export { T };
export type { Tensor };

/** The planned API of the ops the benchmarks use but tensor may lack. */
export interface PlannedOps {
  matmul(a: Tensor, b: Tensor): Tensor;
  logSoftmax(x: Tensor, axis?: number): Tensor;
  softmaxCrossEntropy(logits: Tensor, labels: Tensor): Tensor;
  oneHot(indices: Tensor, depth: number): Tensor;
  gather(x: Tensor, indices: Tensor, axis: number): Tensor;
  conv2d(
    x: Tensor,
    w: Tensor,
    options?: { stride?: number; padding?: number },
  ): Tensor;
  cholesky(a: Tensor): Tensor;
  choleskySolve(l: Tensor, b: Tensor): Tensor;
}

/** The autograd functions the training steps use. */
export interface Autograd {
  noGrad<R>(fn: () => R): R;
}

/** Thrown by an entry that cannot run yet; becomes a "skipped" row. */
export class Skip extends Error {}

/** Whether @optnet/tensor exports the op `name` yet. */
export function hasOp(name: keyof PlannedOps): boolean {
  return typeof (T as unknown as Partial<PlannedOps>)[name] === 'function';
}

/** The op `name` from @optnet/tensor, or throw Skip. */
export function op<K extends keyof PlannedOps>(name: K): PlannedOps[K] {
  const fn = (T as unknown as Partial<PlannedOps>)[name];
  if (typeof fn !== 'function')
    throw new Skip(`skipped: ${name} not available`);
  return fn as PlannedOps[K];
}

const AUTOGRAD_ENTRY = '../packages/autograd/src/index.js';
let autograd: Promise<Autograd | null> | undefined;

/**
 * @optnet/autograd (importing it also enables `backward()`), or throw Skip
 * when its entry file does not exist yet. Any other load error propagates.
 */
export async function loadAutograd(): Promise<Autograd> {
  autograd ??= import(AUTOGRAD_ENTRY).then(
    (mod: Partial<Autograd>) =>
      typeof mod.noGrad === 'function' ? (mod as Autograd) : null,
    (err: { code?: string; message?: string }) => {
      const missing =
        err.code === 'ERR_MODULE_NOT_FOUND' &&
        String(err.message).includes('autograd/src/index');
      if (missing) return null;
      throw err;
    },
  );
  const mod = await autograd;
  if (!mod)
    throw new Skip(
      'skipped: @optnet/autograd (noGrad, backward) not available',
    );
  return mod;
}
