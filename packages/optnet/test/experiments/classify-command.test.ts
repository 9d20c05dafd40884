/**
 * `optnet classify` end to end on a few hundred Fashion-MNIST images: both
 * models learn (test accuracy far above the 10% of chance), runs resume
 * bit-identically (after an epoch and mid-epoch), the CSV and SVG are well
 * formed, and a missing data set is one line with the install hint and
 * exit code 2. Without the data set the training tests are skipped, except
 * under CI, which installs it (`apt-get install dataset-fashion-mnist`).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FASHION_MNIST_DIR } from '@optnet/nn/node';
import { classifyCommand } from '../../src/experiments/classify/command.js';
import { checkSvg, yTicks } from './svg-check.js';
import {
  cli,
  readCsv,
  runCaptured,
  snapshot,
  summaryOf,
} from './run-helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'optnet-classify-'));
const classify = (argv: string[], stopAfter?: number) =>
  runCaptured(classifyCommand, argv, stopAfter);
const haveData = existsSync(
  join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz'),
);
const withData = haveData || process.env.CI ? test : test.skip;
if (!haveData) {
  console.log(
    `classify tests: no Fashion-MNIST in ${FASHION_MNIST_DIR}; ${process.env.CI ? 'failing (CI installs it)' : 'skipping the training tests'}`,
  );
}

withData('both models learn, far above chance', async () => {
  for (const model of ['optnet', 'fc']) {
    const dir = join(tmp, model);
    const r = await classify([
      ...['--model', model, '--train-size', '300', '--test-size', '200'],
      ...['--batch', '30', '--epochs', '2', '--lr', '3e-3', '--out', dir],
      ...['--threads', '1'],
    ]);
    assert.is(r.code, 0, r.stderr);
    const s = summaryOf(r);
    assert.equal(Object.keys(s), [
      'model',
      'epochs',
      'train_accuracy',
      'test_accuracy',
      'seconds',
    ]);
    assert.ok(
      (s.test_accuracy as number) > 0.4,
      `${model}: ${s.test_accuracy}`,
    );
    const { header, rows } = readCsv(join(dir, 'metrics.csv'));
    assert.is(
      header,
      'epoch,train_loss,train_accuracy,test_accuracy,qp_not_solved,seconds',
    );
    assert.is(rows.length, 2);
    assert.ok(rows[1][1] < rows[0][1], `loss ${rows[0][1]} → ${rows[1][1]}`);
    const svg = readFileSync(join(dir, 'errors.svg'), 'utf8');
    checkSvg(svg);
    // The error in percent (the epoch lines print accuracy in percent).
    assert.match(svg, />error, % \(100 − accuracy\)</);
    const ticks = yTicks(svg);
    const top = 100 * (1 - Math.min(...rows.map((r) => r[2])));
    assert.ok(ticks[ticks.length - 1] >= top, `${ticks} vs ${top}`);
    assert.ok(ticks[ticks.length - 1] <= 100, `${ticks}`);
  }
});

withData(
  '--resume continues bit-identically, after an epoch and mid-epoch',
  async () => {
    const base = ['--train-size', '60', '--test-size', '20', '--batch', '20'];
    const straight = join(tmp, 'straight');
    assert.is(
      (await classify([...base, '--epochs', '2', '--out', straight])).code,
      0,
    );
    const want = snapshot(straight);
    const split = join(tmp, 'split');
    assert.is(
      (await classify([...base, '--epochs', '1', '--out', split])).code,
      0,
    );
    assert.is((await classify(['--resume', split, '--epochs', '2'])).code, 0);
    assert.equal(snapshot(split), want);
    const stopped = join(tmp, 'stopped');
    const r = await classify([...base, '--epochs', '2', '--out', stopped], 4);
    assert.is(r.code, 130);
    assert.match(snapshot(stopped).loop, /"epoch":2,"nextBatch":1/);
    assert.is((await classify(['--resume', stopped])).code, 0);
    assert.equal(snapshot(stopped), want);
  },
);

test('a missing data set is one line with the install hint, exit code 2', async () => {
  const out = join(tmp, 'no-data');
  const r = await cli('classify', '--data', join(tmp, 'nowhere'), '--out', out);
  assert.is(r.code, 2);
  assert.match(
    r.stderr,
    /^optnet classify: Fashion-MNIST is not in ".*nowhere"; .*apt-get install dataset-fashion-mnist/,
  );
  assert.equal(r.stderr.trim().split('\n').slice(1), [
    'Run "optnet classify --help" for the usage.',
  ]);
  assert.not.ok(existsSync(out), 'no run folder');
});

test('usage mistakes exit 2; --help lists every flag with its default', async () => {
  const bad = await cli('classify', '--model', 'cnn');
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /--model must be optnet or fc; got "cnn"/);
  const h = await cli('classify', '--help');
  assert.is(h.code, 0);
  for (const flag of [
    '--model',
    '--epochs',
    '--batch',
    '--lr',
    '--nineq',
    '--seed',
    '--data',
    '--out',
    '--resume',
    '--threads',
  ]) {
    assert.ok(h.stdout.includes(flag), flag);
  }
  assert.match(h.stdout, /--batch N\s+images per step \(default 128\)/);
});

test.run();
