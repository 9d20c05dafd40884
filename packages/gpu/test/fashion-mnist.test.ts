// The Fashion-MNIST example (packages/nn/examples/fashion-mnist.ts) with
// `--backend webgpu` against `--backend cpu` on a slice: 5,000 training
// images, one epoch, 1,000 test images. Same seed, so the same weights and
// batch order: both float32 runs must end with the same training loss (to
// rounding) and test accuracies within one point, and the model must
// have learned. Without the data set the test skips with a note, except
// under CI, where it fails (CI installs dataset-fashion-mnist).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gpuForTests } from './setup.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DATA = '/usr/share/datasets/fashion-mnist';

const gpu = await gpuForTests('fashion-mnist');
gpu?.destroy(); // the example opens its own

const hasData = await access(join(DATA, 'train-images-idx3-ubyte.gz')).then(
  () => true,
  () => false,
);

/** Run the example on `backend`; its final loss and accuracy. */
async function train(backend: string): Promise<{ loss: number; acc: number }> {
  const args = [
    '--conditions=source',
    '--import',
    './scripts/register.mjs',
    'packages/nn/examples/fashion-mnist.ts',
    ...['--backend', backend, '--limit', '5000', '--test-limit', '1000'],
    ...['--epochs', '1', '--batch-size', '100', '--log-interval', '1000'],
  ];
  const { stdout } = await promisify(execFile)(process.execPath, args, {
    cwd: ROOT,
    maxBuffer: 16 << 20,
  });
  const m = /train loss ([\d.]+), test accuracy ([\d.]+)%/.exec(stdout);
  if (m === null) throw new Error(`no result line in:\n${stdout}`);
  return { loss: Number(m[1]), acc: Number(m[2]) };
}

if (gpu && (hasData || process.env.CI)) {
  test('the MLP on 5,000 images: --backend webgpu ends where --backend cpu does', async () => {
    const [cpu, webgpu] = await Promise.all([train('cpu'), train('webgpu')]);
    const what = `cpu ${JSON.stringify(cpu)}, webgpu ${JSON.stringify(webgpu)}`;
    assert.ok(cpu.acc > 70, `the model learned: ${what}`);
    assert.ok(Math.abs(webgpu.acc - cpu.acc) <= 1, `accuracies: ${what}`);
    assert.ok(Math.abs(webgpu.loss - cpu.loss) <= 2e-3, `losses: ${what}`);
  });
} else if (gpu) {
  console.log(
    `fashion-mnist: skipped, no data set in ${DATA} (apt-get install dataset-fashion-mnist)`,
  );
}

test.run();
