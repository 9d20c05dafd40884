// What a kernel cannot throw reaches the next read: a Cholesky factor of
// a matrix that is not positive definite, a singular solve, a gather index
// or a softmaxCrossEntropy label out of range each reject the next read
// once, with the code and message the CPU backend throws at the op itself;
// a lost device rejects reads in flight and every later op with
// DEVICE_LOST; no adapter is NO_ADAPTER, naming what to install.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '@optnet/tensor';
import { createWebGpuBackend } from '@optnet/gpu';
import { on } from './helpers.js';
import { gpuForTests } from './setup.js';

const gpu = await gpuForTests('failures');

/** The error `fn` throws (or its promise rejects with), or null. */
async function errorOf(fn: () => unknown): Promise<T.OptnetError | null> {
  try {
    await fn();
    return null;
  } catch (e) {
    return e as T.OptnetError;
  }
}

/**
 * `make` on the CPU throws at the op; on the GPU the op returns and the
 * next read rejects with the same code and message, once.
 */
async function sameFailure(what: string, make: () => T.Tensor) {
  const want = await errorOf(() => on(new T.CpuBackend(), make));
  assert.ok(want !== null, `${what}: the CPU throws`);
  const y = on(gpu!, make); // records, does not throw
  const got = await errorOf(() => y.data());
  assert.ok(got !== null, `${what}: the read rejects`);
  assert.is(got.code, want.code, what);
  assert.is(got.message, want.message, what);
  assert.equal(await on(gpu!, () => T.ones([2])).toArray(), [1, 1]);
}

if (gpu) {
  test('cholesky of a batch whose item 1 is not positive definite', () =>
    sameFailure('cholesky', () =>
      T.cholesky(
        T.tensor([
          [
            [4, 2],
            [2, 3],
          ],
          [
            [1, 2],
            [2, 1],
          ],
        ]),
      ),
    ));

  test('solve with a singular matrix', () =>
    sameFailure('solve', () =>
      T.solve(
        T.tensor([
          [1, 2],
          [2, 4],
        ]),
        T.tensor([[1], [1]]),
      ),
    ));

  test('gather with an index out of range', () =>
    sameFailure('gather', () =>
      T.gather(T.tensor([1, 2, 3]), T.tensor([0, 5, 1], { dtype: 'int32' }), 0),
    ));

  test('softmaxCrossEntropy and its gradient with a label out of range', async () => {
    const labels = () => T.tensor([1, 0, 3, -1], { dtype: 'int32' });
    await sameFailure('softmaxCrossEntropy', () =>
      T.softmaxCrossEntropy(T.zeros([4, 3]), labels()),
    );
    await sameFailure('softmaxCrossEntropyGrad', () =>
      T.softmaxCrossEntropyGrad(T.zeros([4, 3]), labels(), T.ones([4])),
    );
  });

  test('no adapter: NO_ADAPTER naming the Dawn backend asked and what to install', async () => {
    if (process.platform !== 'linux') return; // Dawn has d3d12 on Windows
    const e = await errorOf(() =>
      createWebGpuBackend({ dawnBackend: 'd3d12' }),
    );
    assert.is(e?.code, 'NO_ADAPTER');
    assert.match(
      e!.message,
      /on Dawn's d3d12 backend\. .*apt-get install libegl1/,
    );
  });

  test('device loss: a read in flight and every later op reject with DEVICE_LOST', async () => {
    const lost = await createWebGpuBackend();
    const x = on(lost, () => T.ones([1000]).mul(3));
    const reading = x.data();
    lost.destroy();
    const inFlight = await errorOf(() => reading);
    // The read may have finished before the loss; if not, DEVICE_LOST.
    if (inFlight !== null) assert.is(inFlight.code, 'DEVICE_LOST');
    const later = await errorOf(() => on(lost, () => T.ones([3])).data());
    assert.is(later?.code, 'DEVICE_LOST');
    assert.match(later!.message, /createWebGpuBackend\(\)/);
    // The other backend is untouched.
    assert.equal(await on(gpu, () => T.ones([2]).mul(2)).toArray(), [2, 2]);
  });
}

test.run();
