/**
 * `optnet sudoku` end to end on tiny configurations: it learns, writes a
 * well-formed run folder, resumes bit-identically (after a finished epoch and
 * after a stop in the middle of one), plays a puzzle, and refuses bad input
 * with one line and exit code 2.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noGrad } from '@optnet/autograd';
import { load } from '@optnet/nn/node';
import type { Tensor } from '@optnet/tensor';
import { sudokuCommand } from '../../src/experiments/sudoku/command.js';
import {
  boardTensor,
  generatedPuzzles,
  loadData,
  reloadData,
} from '../../src/experiments/sudoku/data.js';
import { parseSudokuCsv, sudokuCsv } from '../../src/experiments/sudoku/csv.js';
import {
  buildModel,
  type SudokuConfig,
} from '../../src/experiments/sudoku/train.js';
import {
  argmaxBoards,
  solutionsOf,
} from '../../src/experiments/sudoku/puzzles.js';
import { checkSvg, yTicks } from './svg-check.js';
import { cli, runCaptured, snapshot, type Run } from './run-helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'optnet-sudoku-'));

/** sudokuCommand with captured output; `stopAfter` polls stop after that many batches. */
const sudoku = (argv: string[], stopAfter?: number): Promise<Run> =>
  runCaptured(sudokuCommand, argv, stopAfter);

// About 70 steps: enough for the layer to start learning the rules.
const TINY = [
  '--train-size',
  '900',
  '--test-size',
  '100',
  '--batch',
  '75',
  '--epochs',
  '6',
];
const SMALL = [
  '--train-size',
  '96',
  '--test-size',
  '16',
  '--batch',
  '16',
  '--seed',
  '5',
];

/** Blank cells of the test puzzles that the run's model fills correctly. */
async function blankCellAccuracy(dir: string, trained = true): Promise<number> {
  const config = JSON.parse(
    readFileSync(join(dir, 'config.json'), 'utf8'),
  ) as SudokuConfig;
  const model = buildModel(config, { onNotSolved: 'return' });
  if (trained) await load(model, join(dir, 'checkpoint.safetensors'));
  const { test: pairs } = reloadData(config.data);
  const z = noGrad(
    () => model.forward(boardTensor(pairs, 'quiz', config.dtype)) as Tensor,
  );
  let right = 0;
  let blanks = 0;
  argmaxBoards(z.dataSync()).forEach((b, k) => {
    for (let i = 0; i < 16; i++) {
      if (pairs[k].quiz[i] !== '0') continue;
      blanks++;
      if (b[i] === pairs[k].solution[i]) right++;
    }
  });
  return right / blanks;
}

test('a tiny optnet run learns and writes a well-formed run folder', async () => {
  const dir = join(tmp, 'tiny');
  const r = await sudoku([...TINY, '--out', dir]);
  assert.is(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(Object.keys(summary), [
    'model',
    'epochs',
    'train_error',
    'test_error',
    'seconds',
  ]);
  assert.is(summary.model, 'optnet');
  assert.is(summary.epochs, 6);
  assert.match(r.stderr, /epoch 1: train error [\d.]+%, test error [\d.]+%/);
  assert.match(
    r.stderr,
    /wrote .*metrics\.csv, .*errors\.svg and the checkpoint/,
  );
  // Chance is 25% per blank cell; the untrained layer is near it.
  const before = await blankCellAccuracy(dir, false);
  const after = await blankCellAccuracy(dir);
  assert.ok(before < 0.3, `untrained blank-cell accuracy ${before}`);
  assert.ok(after > 0.5, `trained blank-cell accuracy ${after}`);
  const csv = readFileSync(join(dir, 'metrics.csv'), 'utf8').trim().split('\n');
  assert.is(
    csv[0],
    'epoch,train_loss,train_error,test_error,qp_not_solved,seconds',
  );
  assert.is(csv.length, 7);
  const rows = csv.slice(1).map((l) => l.split(',').map(Number));
  for (const row of rows) assert.ok(row.every(Number.isFinite), String(row));
  assert.ok(
    rows[5][1] < 0.3 * rows[0][1],
    `loss ${rows[0][1]} → ${rows[5][1]}`,
  );
  const svg = readFileSync(join(dir, 'errors.svg'), 'utf8');
  checkSvg(svg);
  // In percent, as the epoch lines say, on an axis that holds the values.
  assert.match(svg, />error, % of puzzles not solved exactly</);
  const errors = rows.flatMap((row) => [100 * row[2], 100 * row[3]]);
  const ticks = yTicks(svg);
  assert.ok(ticks[ticks.length - 1] <= 100, `${ticks}`);
  assert.ok(ticks[ticks.length - 1] >= Math.max(...errors), `${ticks}`);
});

test('--kkt dual trains with the dual reduction: it learns, config.json records it, and the model it rebuilds uses it', async () => {
  const dir = join(tmp, 'tiny-dual');
  const r = await sudoku([...TINY, '--kkt', 'dual', '--out', dir]);
  assert.is(r.code, 0, r.stderr);
  const config = JSON.parse(
    readFileSync(join(dir, 'config.json'), 'utf8'),
  ) as SudokuConfig;
  assert.is(config.kkt, 'dual');
  const after = await blankCellAccuracy(dir);
  assert.ok(after > 0.5, `trained blank-cell accuracy ${after}`);
  // The default (bounds) run of the same configuration learned too, along
  // another path.
  const bounds = readFileSync(join(tmp, 'tiny', 'metrics.csv'), 'utf8');
  const dual = readFileSync(join(dir, 'metrics.csv'), 'utf8');
  assert.is.not(dual.split('\n')[1], bounds.split('\n')[1]);
  assert.is(
    JSON.parse(readFileSync(join(tmp, 'tiny', 'config.json'), 'utf8')).kkt,
    'bounds',
  );
});

/**
 * A copy of `run` whose config.json lacks `key` (a run saved before the
 * option existed) resumes to epoch 7 as the run itself does (epoch 7 the
 * same, its seconds aside); with `key` set to `bad` it is refused with
 * `message` and exit code 2.
 */
async function resumesWithout(
  run: string,
  key: 'kkt' | 'polish',
  bad: string,
  message: RegExp,
): Promise<void> {
  const old = `${run}-old`;
  cpSync(run, old, { recursive: true });
  const path = join(old, 'config.json');
  const config = JSON.parse(readFileSync(path, 'utf8')) as SudokuConfig;
  delete config[key];
  writeFileSync(path, JSON.stringify(config));
  const more = ['--epochs', '7'];
  assert.is((await sudoku(['--resume', old, ...more])).code, 0);
  assert.is((await sudoku(['--resume', run, ...more])).code, 0);
  const last = (dir: string) =>
    readFileSync(join(dir, 'metrics.csv'), 'utf8').trim().split('\n')[7];
  assert.is(
    last(old).split(',').slice(0, 5).join(),
    last(run).split(',').slice(0, 5).join(),
  );
  writeFileSync(path, JSON.stringify({ ...config, [key]: bad }));
  const refused = await cli('sudoku', '--resume', old, '--epochs', '8');
  assert.is(refused.code, 2);
  assert.match(refused.stderr, message);
}

test('a run folder saved before --kkt existed (no kkt in config.json) resumes with the dual reduction it trained with', async () => {
  await resumesWithout(
    join(tmp, 'tiny-dual'),
    'kkt',
    'primal',
    /config\.json has kkt "bounds" or "dual" \(or none\); got "primal"/,
  );
});

test('--polish on trains with polished QP answers: config.json records it (the default run, off, too), it learns; a run saved before --polish existed (no polish in config.json) resumes polished, as it trained', async () => {
  const dir = join(tmp, 'tiny-polish');
  const r = await sudoku([...TINY, '--polish', 'on', '--out', dir]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /optnet \(kkt bounds, polished\)/);
  const path = join(dir, 'config.json');
  const config = JSON.parse(readFileSync(path, 'utf8')) as SudokuConfig;
  assert.is(config.polish, true);
  assert.is(
    JSON.parse(readFileSync(join(tmp, 'tiny', 'config.json'), 'utf8')).polish,
    false,
  );
  const after = await blankCellAccuracy(dir);
  assert.ok(after > 0.5, `trained blank-cell accuracy ${after}`);
  // Polishing moves the answers, so the runs part.
  const plain = readFileSync(join(tmp, 'tiny', 'metrics.csv'), 'utf8');
  const polished = readFileSync(join(dir, 'metrics.csv'), 'utf8');
  assert.is.not(polished.split('\n')[1], plain.split('\n')[1]);

  await resumesWithout(
    dir,
    'polish',
    'yes',
    /config\.json has polish true or false \(or none\); got "yes"/,
  );
});

test('--play completes a puzzle with a trained run', async () => {
  const dir = join(tmp, 'tiny');
  const r = await sudoku(['--play', '1000000000000000', '--run', dir]);
  assert.match(r.stdout, /^puzzle:\n1 \. \| \. \./);
  assert.match(r.stdout, /optnet's answer:\n[1-4] [1-4] \| [1-4] [1-4]/);
  assert.match(r.stdout, /satisfies the rules: (yes|no)/);
  assert.is(r.code, r.stdout.includes('rules: yes') ? 0 : 1);
});

test('--resume continues bit-identically, after an epoch and mid-epoch', async () => {
  const straight = join(tmp, 'straight');
  assert.is(
    (await sudoku([...SMALL, '--epochs', '2', '--out', straight])).code,
    0,
  );
  const want = snapshot(straight);

  const split = join(tmp, 'split');
  assert.is(
    (await sudoku([...SMALL, '--epochs', '1', '--out', split])).code,
    0,
  );
  // After one epoch: one point per series, percent, a decade around them.
  const one = readFileSync(join(split, 'errors.svg'), 'utf8');
  const [first] = snapshot(split).history as { testError: number }[];
  const ticks = yTicks(one);
  assert.ok(ticks[0] <= 100 * first.testError, `${ticks}`);
  assert.ok(ticks[ticks.length - 1] >= 100 * first.testError, `${ticks}`);
  assert.ok(ticks[ticks.length - 1] <= 100, `${ticks}`);
  const resumed = await sudoku(['--resume', split, '--epochs', '2']);
  assert.is(resumed.code, 0, resumed.stderr);
  assert.equal(snapshot(split), want);

  const stopped = join(tmp, 'stopped');
  const r = await sudoku([...SMALL, '--epochs', '2', '--out', stopped], 9); // batch 3 of epoch 2
  assert.is(r.code, 130);
  assert.match(r.stderr, /interrupted; continue with: optnet sudoku --resume/);
  assert.match(snapshot(stopped).loop, /"epoch":2,"nextBatch":3/);
  assert.is((await sudoku(['--resume', stopped])).code, 0);
  assert.equal(snapshot(stopped), want);

  // A finished run has nothing to train: it says so, prints its JSON line
  // as it did when it finished, and changes nothing.
  const done = await sudoku(['--resume', stopped]);
  assert.is(done.code, 0, done.stderr);
  assert.match(
    done.stderr,
    /already finished its 2 epochs; nothing to train\. To train further, resume it with --epochs M \(M > 2\)/,
  );
  const summary = JSON.parse(done.stdout.trim().split('\n').pop()!);
  const last = (want.history as { trainError: number; testError: number }[])[1];
  assert.equal(
    [summary.epochs, summary.train_error, summary.test_error],
    [2, last.trainError, last.testError],
  );
  assert.equal(snapshot(stopped), want);
  assert.not.match(done.stderr, /wrote/);
  const fewer = await sudoku(['--resume', stopped, '--epochs', '1']);
  assert.is(fewer.code, 0);
  assert.match(
    fewer.stderr,
    /already trained 2 epochs and --epochs asks for 1/,
  );
});

test('a malformed CSV row is one line with its line number, and nothing trains', async () => {
  const file = join(tmp, 'bad.csv');
  writeFileSync(
    file,
    'quizzes,solutions\n1000000000000000,1234341221434321\n10000000,1234341221434321\n',
  );
  const out = join(tmp, 'bad-run');
  const r = await cli('sudoku', '--data', file, '--out', out);
  assert.is(r.code, 2);
  assert.match(
    r.stderr,
    /bad\.csv line 3: a quiz is 16 digits 0-4; got "10000000"/,
  );
  assert.is(r.stderr.trim().split('\n')[0].includes('at '), false);
  assert.not.ok(existsSync(join(out, 'checkpoint.safetensors')));
});

test('usage mistakes exit 2 with one clear line', async () => {
  const csv = '../../../shared/data/sudoku4_optnet_paper.csv';
  const other = join(tmp, 'a-denoise-run');
  mkdirSync(other);
  writeFileSync(join(other, 'config.json'), '{"command":"denoise"}');
  // A run folder without its checkpoint, and one whose checkpoint is of
  // another model than its config.json says.
  const config = readFileSync(join(tmp, 'tiny', 'config.json'), 'utf8');
  const bare = join(tmp, 'no-checkpoint');
  mkdirSync(bare);
  writeFileSync(join(bare, 'config.json'), config);
  const odd = join(tmp, 'other-model');
  mkdirSync(odd);
  writeFileSync(join(odd, 'config.json'), config.replace('"optnet"', '"fc"'));
  const ckpt = readFileSync(join(tmp, 'tiny', 'checkpoint.safetensors'));
  writeFileSync(join(odd, 'checkpoint.safetensors'), ckpt);
  // a checkpoint cut short (a disk that filled up, a copy interrupted)
  const cut = join(tmp, 'cut-checkpoint');
  mkdirSync(cut);
  writeFileSync(join(cut, 'config.json'), config);
  writeFileSync(join(cut, 'checkpoint.safetensors'), ckpt.subarray(0, 100));
  const quiz = '1000000000000000';
  const cases: [string[], RegExp][] = [
    [
      ['sudoku', '--play', quiz, '--run', bare],
      /--run needs the run's checkpoint; got no readable checkpoint\.safetensors in ".*no-checkpoint"/,
    ],
    [
      ['sudoku', '--play', quiz, '--run', odd],
      /--run needs the run's checkpoint; got .*checkpoint\.safetensors, which does not fit the model/,
    ],
    [
      ['sudoku', '--play', quiz, '--run', cut],
      /--run needs the run's checkpoint; got a damaged one: .*checkpoint\.safetensors' is not a valid checkpoint\..*truncated.*Start a new run\./,
    ],
    [
      ['sudoku', '--data', csv, '--train-size', '300'],
      /--train-size sizes generated puzzles; got it with --data/,
    ],
    [
      ['sudoku', '--test', csv, '--test-size', '50'],
      /--test-size sizes generated puzzles; got it with --test/,
    ],
    [
      ['sudoku', '--model', 'cnn'],
      /--model must be one of optnet, conv, fc; got "cnn"/,
    ],
    [
      ['sudoku', '--epoch', '3'],
      /unknown flag; got --epoch\. Did you mean --epochs\?/,
    ],
    [
      ['sudoku', '--resume', join(tmp, 'tiny'), '--lr', '1'],
      /--resume continues a run as it was configured; got --lr/,
    ],
    [
      ['sudoku', '--width', '64'],
      /--width is conv's and fc's; got --width with --model optnet/,
    ],
    [
      ['sudoku', '--model', 'conv', '--kkt', 'dual'],
      /--kkt is the QP layer's; got --kkt with --model conv/,
    ],
    [
      ['sudoku', '--model', 'fc', '--polish', 'on'],
      /--polish is the QP layer's; got --polish with --model fc/,
    ],
    [['sudoku', '--polish', 'no'], /--polish must be on or off; got "no"/],
    [
      ['sudoku', '--kkt', 'primal'],
      /--kkt must be bounds or dual; got "primal"/,
    ],
    [
      ['sudoku', '--resume', join(tmp, 'tiny'), '--kkt', 'dual'],
      /--resume continues a run as it was configured; got --kkt/,
    ],
    [['sudoku', '--play', '12'], /--play needs a puzzle of 16 digits/],
    [
      ['sudoku', '--play', quiz, '--run', join(tmp, 'tiny'), '--kkt', 'dual'],
      /--play uses only --play, --run, --threads; got --kkt as well, which it would ignore/,
    ],
    [
      ['sudoku', '--generate', '2', '--model', 'conv', '--epochs', '3'],
      /--generate uses only --generate, --seed, --threads; got --model, --epochs as well/,
    ],
    [['sudoku', '--play', '1000000000000000'], /--play needs --run DIR/],
    [
      ['sudoku', '--play', '1000010000000000', '--run', join(tmp, 'tiny')],
      /--play needs a puzzle whose clues keep the rules; got "1000010000000000", with two 1s in the top-left box/,
    ],
    // Checked before anything else: no --run needed to hear it.
    [
      ['sudoku', '--play', '1200003000000000'],
      /--play needs a puzzle with a solution; got "1200003000000000", whose clues no grid completes/,
    ],
    [['sudoku', '--run', tmp], /--run goes with --play/],
    [
      ['sudoku', '--resume', join(tmp, 'nope')],
      /--resume needs the folder of a sudoku run; got ".*nope", which does not exist/,
    ],
    [
      ['sudoku', '--resume', tmp],
      /--resume needs the folder of a sudoku run; got ".*", with no readable config\.json/,
    ],
    [
      ['sudoku', '--play', '1000000000000000', '--run', other],
      /--run needs the folder of a sudoku run; got ".*a-denoise-run", a denoise run/,
    ],
    [
      ['sudoku', '--out', join(tmp, 'tiny')],
      /--out must be a new or empty folder.*got ".*tiny" with files in it/,
    ],
    [
      ['sudoku', '--data', join(tmp, 'missing.csv')],
      /cannot read --data ".*missing\.csv"; got ENOENT/,
    ],
  ];
  for (const [argv, want] of cases) {
    const r = await cli(...argv);
    assert.is(r.code, 2, argv.join(' '));
    assert.match(r.stderr, want);
    // One line that names the command, then where its help is.
    const lines = r.stderr.trim().split('\n');
    assert.is(lines.length, 2, r.stderr);
    assert.ok(lines[0].startsWith('optnet sudoku: '), lines[0]);
    assert.is(lines[1], 'Run "optnet sudoku --help" for the usage.');
  }
  // --resume says which run it opens first, then the one-line error.
  const r0 = await cli('sudoku', '--resume', bare);
  assert.is(r0.code, 2);
  assert.match(
    r0.stderr.trim().split('\n').at(-2)!,
    /^optnet sudoku: --resume needs the run's checkpoint; got no readable/,
  );
  // The unknown flag is said once (its value is not the flag's name).
  const r = await cli('sudoku', '--epoch=3');
  assert.match(r.stderr, /^optnet sudoku: unknown flag; got --epoch\. Did/);
  assert.not.match(r.stderr, /epoch=3/);
});

test('--generate writes the puzzles a run would train on, as CSV', async () => {
  const r = await sudoku(['--generate', '40', '--seed', '3']);
  assert.is(r.code, 0);
  const pairs = parseSudokuCsv(r.stdout, 'stdout');
  assert.is(pairs.length, 40);
  for (const p of pairs) assert.equal(solutionsOf(p.quiz), [p.solution]);
  const d = loadData({
    data: null,
    test: null,
    trainSize: 40,
    testSize: 5,
    seed: 3,
  });
  assert.equal(d.train, pairs);
  assert.is(d.source.sha256, null);
});

test('data sources: a file tests a generated run; a file alone holds out 10%', () => {
  const file = join(tmp, 'test.csv');
  writeFileSync(file, sudokuCsv(generatedPuzzles(30, 9)));
  const mixed = loadData({
    data: null,
    test: file,
    trainSize: 20,
    testSize: 5,
    seed: 1,
  });
  assert.is(mixed.train.length, 20);
  assert.equal(mixed.test, generatedPuzzles(30, 9));
  assert.ok(mixed.source.sha256 !== null);
  const held = loadData({
    data: file,
    test: null,
    trainSize: 1,
    testSize: 1,
    seed: 1,
  });
  assert.equal([held.train.length, held.test.length], [27, 3]);
  assert.equal(reloadData(held.source).test, held.test);
  writeFileSync(file, sudokuCsv(generatedPuzzles(31, 9)));
  assert.throws(() => reloadData(held.source), /data files changed/);
});

test('--help documents every option with its default', async () => {
  const r = await cli('sudoku', '--help');
  assert.is(r.code, 0);
  for (const flag of [
    '--model',
    '--epochs',
    '--batch',
    '--lr',
    '--width',
    '--dtype',
    '--seed',
    '--data',
    '--test',
    '--out',
    '--resume',
    '--play',
    '--run',
    '--threads',
  ]) {
    assert.ok(r.stdout.includes(flag), flag);
  }
  assert.match(
    r.stdout,
    /--epochs N\s+passes over the training puzzles \(default 20\)/,
  );
  assert.match(r.stdout, /exit code 1 when the answer breaks the rules/);
  assert.match(r.stdout, /Exit code 0 when it does, 1 when it does not/);
});

test.run();
