/**
 * `optnet denoise` end to end on tiny configurations (signals of length 20):
 * the TV sweep finds an interior best λ and resumes after a stop; the fully
 * connected net learns; OptNet started from TV (every matrix of the QP
 * learned, or D alone) lowers the training MSE below TV's, and the first
 * starts as TV; runs resume bit-identically (after an epoch and mid-epoch);
 * the run folder's CSV and SVG files are well formed; and mistakes exit 2.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSafetensors } from '@optnet/nn';
import { load } from '@optnet/nn/node';
import { denoiseCommand } from '../../src/experiments/denoise/command.js';
import { noGrad } from '@optnet/autograd';
import type { Tensor } from '@optnet/tensor';
import {
  generatedSignals,
  signalTensor,
} from '../../src/experiments/denoise/signals.js';
import { meanSquaredError } from '../../src/experiments/denoise/sweep.js';
import {
  buildDenoiser,
  type DenoiseConfig,
} from '../../src/experiments/denoise/train.js';
import { checkSvg } from './svg-check.js';
import {
  cli,
  readCsv,
  runCaptured,
  snapshot,
  summaryOf,
} from './run-helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'optnet-denoise-'));
const denoise = (argv: string[], stopAfter?: number) =>
  runCaptured(denoiseCommand, argv, stopAfter);
const TINY = ['--length', '20', '--test-size', '50', '--threads', '1'];

test('tv sweeps λ to an interior best and resumes a stopped sweep', async () => {
  const dir = join(tmp, 'tv');
  const r = await denoise([
    ...TINY,
    '--model',
    'tv',
    '--train-size',
    '100',
    '--out',
    dir,
  ]);
  assert.is(r.code, 0, r.stderr);
  const s = summaryOf(r);
  assert.equal(Object.keys(s), [
    'model',
    'epochs',
    'lambda',
    'train_mse',
    'test_mse',
    'seconds',
  ]);
  const { header, rows } = readCsv(join(dir, 'sweep.csv'));
  assert.is(header, 'lambda,train_mse');
  assert.is(rows.length, 8);
  const best = rows.reduce((a, b) => (b[1] < a[1] ? b : a));
  assert.is(s.lambda, best[0]);
  assert.ok(best !== rows[0] && best !== rows[rows.length - 1], 'interior');
  // The noise alone has MSE σ² = 100: TV at its best removes most of it.
  assert.ok((s.train_mse as number) < 60 && (s.test_mse as number) < 60);
  checkSvg(readFileSync(join(dir, 'sweep.svg'), 'utf8'));
  checkSvg(readFileSync(join(dir, 'signals.svg'), 'utf8'));

  const stopped = join(tmp, 'tv-stopped');
  const argv = [
    ...TINY,
    '--model',
    'tv',
    '--train-size',
    '100',
    '--out',
    stopped,
  ];
  const first = await denoise(argv, 1); // stops in the first λ
  assert.is(first.code, 130);
  const again = await denoise(['--resume', stopped], 3);
  assert.is(again.code, 130);
  const done = await denoise(['--resume', stopped]);
  assert.is(done.code, 0, done.stderr);
  assert.equal({ ...summaryOf(done), seconds: 0 }, { ...s, seconds: 0 });
  assert.is(
    readFileSync(join(stopped, 'sweep.csv'), 'utf8'),
    readFileSync(join(dir, 'sweep.csv'), 'utf8'),
  );
  // A finished sweep says it has nothing to sweep, and reports as before.
  const again2 = await denoise(['--resume', stopped]);
  assert.is(again2.code, 0, again2.stderr);
  assert.match(
    again2.stderr,
    /already finished its λ sweep \(8 points\); nothing to sweep/,
  );
  assert.not.match(again2.stderr, /TV λ [\d.]+: train MSE/);
  assert.equal({ ...summaryOf(again2), seconds: 0 }, { ...s, seconds: 0 });
});

test('fc learns: the training MSE falls well below its start', async () => {
  const dir = join(tmp, 'fc');
  const argv = ['--model', 'fc', '--train-size', '300', '--batch', '30'];
  const r = await denoise([
    ...TINY,
    ...argv,
    '--epochs',
    '3',
    '--lr',
    '3e-3',
    '--out',
    dir,
  ]);
  assert.is(r.code, 0, r.stderr);
  const { header, rows } = readCsv(join(dir, 'metrics.csv'));
  assert.is(header, 'epoch,train_mse,test_mse,qp_not_solved,seconds');
  assert.is(rows.length, 3);
  assert.ok(
    rows[2][1] < 0.3 * rows[0][1],
    `train MSE ${rows[0][1]} → ${rows[2][1]}`,
  );
  assert.is(summaryOf(r).test_mse, rows[2][2]);
  assert.not.ok('learn' in summaryOf(r), "learn is optnet's");
  checkSvg(readFileSync(join(dir, 'mse.svg'), 'utf8'));
  checkSvg(readFileSync(join(dir, 'signals.svg'), 'utf8'));
});

for (const [learn, lr, margin, names] of [
  ['qp', '1e-3', 0.95, ['L', 'W', 'c', 'G', 'h']],
  ['D', '0.01', 0.99, ['D']],
] as const) {
  test(`optnet --learn ${learn} from TV lowers the training MSE below TV at the same λ`, async () => {
    const dir = join(tmp, `optnet-${learn}`);
    const argv = ['--train-size', '100', '--batch', '10', '--lambda', '7.5'];
    const r = await denoise([
      ...TINY,
      ...argv,
      ...(learn === 'qp' ? [] : ['--learn', learn]),
      '--epochs',
      '3',
      '--lr',
      lr,
      '--out',
      dir,
    ]);
    assert.is(r.code, 0, r.stderr);
    const config = JSON.parse(
      readFileSync(join(dir, 'config.json'), 'utf8'),
    ) as DenoiseConfig;
    assert.is(config.learn, learn);
    assert.equal(Object.keys(summaryOf(r)), [
      'model',
      'learn',
      'epochs',
      'lambda',
      'train_mse',
      'test_mse',
      'seconds',
    ]);
    assert.is(summaryOf(r).learn, learn);
    // The model the flag names: its parameters are the checkpoint's.
    const saved = decodeSafetensors(
      new Uint8Array(readFileSync(join(dir, 'checkpoint.safetensors'))),
    );
    const params = [...saved.tensors.keys()].filter(
      (key) => !key.startsWith('optimizer.'),
    );
    assert.equal(params, [...names]);
    const { train } = generatedSignals(config.data);
    const tv = buildDenoiser({ ...config, model: 'tv' });
    const learned = buildDenoiser(config);
    await load(learned, join(dir, 'checkpoint.safetensors'));
    const before = (await meanSquaredError(tv, train))!;
    const after = (await meanSquaredError(learned, train))!;
    assert.ok(after < margin * before, `train MSE ${before} → ${after}`);
    // start.json holds the test MSE before training: TV's at λ (up to ε).
    const start = JSON.parse(readFileSync(join(dir, 'start.json'), 'utf8'));
    const { test: testSet } = generatedSignals(config.data);
    const tvTest = (await meanSquaredError(tv, testSet))!;
    assert.ok(
      Math.abs(start.testMse - tvTest) < 1e-3 * tvTest,
      `start ${start.testMse} vs TV ${tvTest}`,
    );
    const svg = readFileSync(join(dir, 'mse.svg'), 'utf8');
    checkSvg(svg);
    assert.match(svg, />TV \(start\)</);
    // The overfitting note comes exactly when the test MSE ends above it.
    assert.is(
      /note: the test MSE ended at/.test(r.stderr),
      (summaryOf(r).test_mse as number) > start.testMse,
    );
  });
}

test('a run that ends above its TV start on the test set says so in a note (overfitting), and still succeeds', async () => {
  // 20 signals, 5 epochs: the training MSE falls, the test MSE rises.
  const dir = join(tmp, 'overfit');
  const r = await denoise([
    ...TINY,
    ...['--train-size', '20', '--batch', '5', '--lambda', '7.5'],
    ...['--epochs', '5', '--out', dir],
  ]);
  assert.is(r.code, 0, r.stderr);
  const start = JSON.parse(readFileSync(join(dir, 'start.json'), 'utf8'));
  const { rows } = readCsv(join(dir, 'metrics.csv'));
  assert.ok(rows[4][1] < rows[0][1], `train MSE ${rows[0][1]} → ${rows[4][1]}`);
  const end = summaryOf(r).test_mse as number;
  assert.ok(end > start.testMse, `test MSE ${start.testMse} → ${end}`);
  const notes = r.stderr.split('\n').filter((l) => l.includes('note:'));
  assert.is(notes.length, 1, r.stderr);
  assert.match(
    notes[0],
    new RegExp(
      `^optnet denoise: note: the test MSE ended at ${end.toFixed(3)}, above its TV start's ${start.testMse.toFixed(3)} \\(start\\.json\\)\\. ` +
        'On a small training set \\(here 20 signals\\) that is usually overfitting',
    ),
  );
  assert.match(
    notes[0],
    /more signals \(--train-size\), fewer epochs \(--epochs\)/,
  );
  // Not an error: the JSON line is the last line of stdout as ever.
  assert.is(summaryOf(r).epochs, 5);
});

test('a run folder from before --learn (no "learn" in its config) resumes as D learned', async () => {
  const dir = join(tmp, 'optnet-old');
  const argv = ['--learn', 'D', '--train-size', '40', '--batch', '10'];
  const first = await denoise([
    ...TINY,
    ...argv,
    '--lambda',
    '7.5',
    '--epochs',
    '1',
    '--out',
    dir,
  ]);
  assert.is(first.code, 0, first.stderr);
  const path = join(dir, 'config.json');
  const config = JSON.parse(readFileSync(path, 'utf8')) as DenoiseConfig;
  delete config.learn;
  writeFileSync(path, JSON.stringify(config));
  const again = await denoise(['--resume', dir, '--epochs', '2']);
  assert.is(again.code, 0, again.stderr);
  assert.is(summaryOf(again).epochs, 2);
  assert.is(summaryOf(again).learn, 'D');
});

test('short signals (fewer samples than the 9 pieces a signal may have) are generated', async () => {
  const r = await denoise([
    '--length',
    '4',
    '--test-size',
    '5',
    '--train-size',
    '20',
    '--threads',
    '1',
    '--model',
    'tv',
    '--lambda',
    '3',
    '--out',
    join(tmp, 'short'),
  ]);
  assert.is(r.code, 0, r.stderr);
  const { clean } = generatedSignals({
    kind: 'generated',
    seed: 1,
    train: 200,
    test: 0,
    sigma: 10,
    length: 4,
  }).train;
  for (let i = 0; i < 200; i++) {
    const row = clean.subarray(i * 4, i * 4 + 4);
    assert.ok(
      row.every((v) => v >= 10 && v <= 99),
      `signal ${i}`,
    );
  }
});

test('optnet --learn qp starts as TV: the same denoised signals before training', () => {
  const config: DenoiseConfig = {
    command: 'denoise',
    model: 'optnet',
    learn: 'qp',
    lambda: 7.5,
    width: 1,
    lr: 1e-4,
    batch: 10,
    epochs: 1,
    seed: 3,
    data: {
      kind: 'generated',
      seed: 3,
      train: 10,
      test: 1,
      sigma: 10,
      length: 20,
    },
  };
  const { train } = generatedSignals(config.data);
  const y = signalTensor(train, 'noisy', 'float64');
  const tuned = noGrad(() =>
    (buildDenoiser(config).forward(y) as Tensor).dataSync(),
  );
  const tv = noGrad(() =>
    (buildDenoiser({ ...config, model: 'tv' }).forward(y) as Tensor).dataSync(),
  );
  let worst = 0;
  for (let i = 0; i < tv.length; i++)
    worst = Math.max(worst, Math.abs(tuned[i] - tv[i]));
  // Only ε = 1e-4 in Q separates them (heights are 10..99).
  assert.ok(worst < 0.05, `max |tuned − tv| ${worst}`);
  // and TV really smooths: far from the noisy input.
  let moved = 0;
  const yd = y.dataSync();
  for (let i = 0; i < tv.length; i++)
    moved = Math.max(moved, Math.abs(yd[i] - tv[i]));
  assert.ok(moved > 1, `TV moved the signal by ${moved}`);
});

test('--resume continues bit-identically, after an epoch and mid-epoch', async () => {
  for (const model of ['optnet', 'fc']) {
    const base = [
      ...TINY,
      '--model',
      model,
      '--lambda',
      '7.5',
      '--train-size',
      '40',
      '--batch',
      '10',
      '--lr',
      '0.01',
    ];
    if (model === 'fc') base.splice(base.indexOf('--lambda'), 2);
    const straight = join(tmp, `${model}-straight`);
    assert.is(
      (await denoise([...base, '--epochs', '2', '--out', straight])).code,
      0,
    );
    const want = snapshot(straight);
    const split = join(tmp, `${model}-split`);
    assert.is(
      (await denoise([...base, '--epochs', '1', '--out', split])).code,
      0,
    );
    assert.is((await denoise(['--resume', split, '--epochs', '2'])).code, 0);
    assert.equal(snapshot(split), want);
    const stopped = join(tmp, `${model}-stopped`);
    const r = await denoise([...base, '--epochs', '2', '--out', stopped], 6);
    assert.is(r.code, 130);
    assert.match(
      r.stderr,
      /interrupted; continue with: optnet denoise --resume/,
    );
    assert.match(snapshot(stopped).loop, /"epoch":2,"nextBatch":2/);
    assert.is((await denoise(['--resume', stopped])).code, 0);
    assert.equal(snapshot(stopped), want);
  }
});

test('usage mistakes exit 2 with one clear line; --help lists the flags', async () => {
  const other = join(tmp, 'a-sudoku-run');
  mkdirSync(other);
  writeFileSync(join(other, 'config.json'), '{"command":"sudoku"}');
  const cases: [string[], RegExp][] = [
    [
      ['denoise', '--model', 'cnn'],
      /--model must be one of optnet, tv, fc; got "cnn"/,
    ],
    [['denoise', '--lambda', '-1'], /--lambda must be a positive number/],
    [
      ['denoise', '--resume', join(tmp, 'fc'), '--lambda', '3'],
      /--resume continues a run as it was configured; got --lambda/,
    ],
    [
      ['denoise', '--resume', join(tmp, 'nope')],
      /--resume needs the folder of a denoise run; got ".*nope", which does not exist/,
    ],
    [
      ['denoise', '--resume', other],
      /--resume needs the folder of a denoise run; got ".*a-sudoku-run", a sudoku run/,
    ],
    [
      ['denoise', '--out', join(tmp, 'fc')],
      /--out must be a new or empty folder/,
    ],
    [
      ['denoise', '--model', 'fc', '--lambda', '3'],
      /--lambda is TV's \(tv, optnet\); got --lambda with --model fc/,
    ],
    [
      ['denoise', '--model', 'tv', '--learn', 'D'],
      /--learn is optnet's; got --learn with --model tv/,
    ],
    [['denoise', '--learn', 'G'], /--learn must be qp or D; got "G"/],
    [
      ['denoise', '--width', '50'],
      /--width is fc's; got --width with --model optnet/,
    ],
    [
      ['denoise', '--model', 'tv', '--width', '50'],
      /--width is fc's; got --width with --model tv/,
    ],
  ];
  for (const [argv, want] of cases) {
    const r = await cli(...argv);
    assert.is(r.code, 2, argv.join(' '));
    assert.match(r.stderr, want);
    const lines = r.stderr.trim().split('\n');
    assert.is(lines.length, 2, r.stderr);
    assert.ok(lines[0].startsWith('optnet denoise: '), lines[0]);
    assert.is(lines[1], 'Run "optnet denoise --help" for the usage.');
  }
  const h = await cli('denoise', '--help');
  assert.is(h.code, 0);
  for (const flag of [
    '--model',
    '--epochs',
    '--batch',
    '--lr',
    '--lambda',
    '--learn',
    '--seed',
    '--resume',
    '--threads',
    '--length',
  ]) {
    assert.ok(h.stdout.includes(flag), flag);
  }
  assert.match(h.stdout, /--batch N\s+signals per step \(default 150\)/);
  // The run-folder files the help lists are the ones the runs above wrote.
  const listed = h.stdout
    .split('\n')
    .filter((l) => /^ {2}[a-z.]+\.(json|csv|svg|safetensors)\b/.test(l))
    .flatMap((l) =>
      l
        .trim()
        .split(/\s{2,}/)[0]
        .split(', '),
    );
  const written = ['tv', 'fc', 'optnet-qp'].flatMap((d) =>
    readdirSync(join(tmp, d)),
  );
  assert.equal([...new Set(listed)].sort(), [...new Set(written)].sort());
  assert.ok(listed.includes('start.json') && listed.includes('sweep.json'));
});

test.run();
