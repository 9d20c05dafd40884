/**
 * The op suite: forward tests of every primitive, written once against the
 * public API and run on any backend. The CPU package runs it in its tests;
 * the GPU package runs the same cases on WebGPU with a declared skip list.
 */
import { getBackend, setBackend, type Backend } from '../backend.js';
import { zeros } from '../creation.js';
import { broadcastCases } from './cases-broadcast.js';
import { coreCases } from './cases-core.js';
import { linalgCases } from './cases-linalg.js';
import { matmulCases } from './cases-matmul.js';
import { movementCases } from './cases-movement.js';
import { nnCases } from './cases-nn.js';
import { softmaxCrossEntropyCases } from './cases-softmax-cross-entropy.js';

/**
 * One forward test; `name` starts with the primitive's name.
 * @example
 * const c: OpCase = {
 *   name: 'exp: of 0 is 1',
 *   run: () => assertClose(exp(zeros([1])), [1]),
 * };
 */
export interface OpCase {
  /** Test name, starting with the primitive's name. */
  readonly name: string;
  /** Runs the test on the current backend; throws (or rejects) on failure. */
  run(): void | Promise<void>;
}

/**
 * Every case of the op suite (what `opSuite` registers), for a runner of
 * your own.
 * @example
 * for (const c of allCases.filter((c) => c.name.startsWith('exp'))) {
 *   await c.run();
 * }
 */
export const allCases: readonly OpCase[] = [
  ...coreCases,
  ...broadcastCases,
  ...movementCases,
  ...matmulCases,
  ...nnCases,
  ...softmaxCrossEntropyCases,
  ...linalgCases,
];

/**
 * Options of opSuite.
 * @example
 * const opts: OpSuiteOptions = { skip: { 'conv2d: groups': 'not yet' } };
 */
export interface OpSuiteOptions {
  /** Case names to skip, each with the reason. */
  skip?: Readonly<Record<string, string>>;
}

/**
 * Throws if a kernel failure is still waiting for a read on the current
 * backend: every case reads the ops it expects to fail, so a failure left
 * over would surface in the next case instead.
 */
async function assertNothingPending(name: string): Promise<void> {
  try {
    await zeros([1], { dtype: 'int32' }).data();
  } catch (e) {
    throw new Error(
      `${name}: left a kernel failure unread: ${(e as Error).message}`,
      { cause: e },
    );
  }
}

/**
 * Register every case with a test runner's `test(name, fn)`: how a new
 * backend proves it computes what the CPU reference does.
 * @example
 * import { test } from 'uvu';
 * opSuite(new CpuBackend(), test);
 * test.run();
 */
export function opSuite(
  backend: Backend,
  register: (name: string, fn: () => Promise<void>) => void,
  options: OpSuiteOptions = {},
): void {
  for (const c of allCases) {
    if (options.skip && c.name in options.skip) continue;
    register(`${backend.name}: ${c.name}`, async () => {
      const prev = getBackend();
      setBackend(backend);
      try {
        await c.run();
        await assertNothingPending(c.name);
      } finally {
        setBackend(prev);
      }
    });
  }
}
