/**
 * `optnet sudoku`: the OptNet paper's main demonstration. Trains a model to
 * complete 4x4 Sudoku puzzles from examples alone (`--model optnet`, or the
 * paper's baselines `conv` and `fc`), prints progress on stderr and one JSON
 * line on stdout, and writes a run folder; `--play` completes a puzzle with
 * a trained run.
 */
import { join } from 'node:path';
import { noGrad } from '@optnet/autograd';
import { useCpuThreads } from '@optnet/tensor/threads';
import type { FloatDType, Tensor } from '@optnet/tensor';
import {
  flagsHelp,
  parseFlags,
  UsageError,
  type FlagSpec,
  RUN_FOLDER_FLAGS,
  THREADS_AND_HELP_FLAGS,
  refusePositionals,
} from '../common/flags.js';
import { createRunDir, readRunConfig, writeJson } from '../common/run-dir.js';
import { loadCheckpoint } from '../common/run-epochs.js';
import {
  refuseWithResume,
  runInterruptible,
  secondsSince,
  type ExperimentIo,
} from '../common/command.js';
import {
  boardTensor,
  generatedPuzzles,
  loadData,
  reloadData,
  type SudokuData,
} from './data.js';
import { sudokuCsv } from './csv.js';
import {
  argmaxBoards,
  clueClash,
  formatBoard,
  isSolvedGrid,
  solutionsOf,
} from './puzzles.js';
import {
  buildModel,
  polishOf,
  reductionOf,
  runSudoku,
  type SudokuConfig,
} from './train.js';

const CMD = 'optnet sudoku';

const FLAGS = {
  model: {
    type: 'choice',
    choices: ['optnet', 'conv', 'fc'],
    default: 'optnet',
    help: 'the QP layer, or a baseline: the conv net or a fully connected net',
  },
  epochs: {
    type: 'int',
    min: 1,
    default: 20,
    help: 'passes over the training puzzles',
  },
  batch: { type: 'int', min: 1, default: 150, help: 'puzzles per step' },
  lr: {
    type: 'number',
    positive: true,
    help: 'Adam learning rate (default 0.1 for optnet, 1e-3 for conv and fc)',
  },
  width: {
    type: 'int',
    min: 1,
    default: 512,
    help: 'conv filters per layer / fc hidden units (the paper: 512; conv and fc only)',
  },
  dtype: {
    type: 'choice',
    choices: ['float64', 'float32'],
    help: 'dtype of the model and its QP solves (default float64 for optnet, float32 for conv and fc)',
  },
  kkt: {
    type: 'choice',
    choices: ['bounds', 'dual'],
    default: 'bounds',
    help: "the QP layer's KKT reduction (optnet only): bounds factors a 40 x 40 matrix per puzzle and iteration, dual a 64 x 64 one (slower; see BENCHMARKS.md)",
  },
  polish: {
    type: 'choice',
    choices: ['on', 'off'],
    default: 'off',
    help: "polish each QP answer to its active set's exact vertex (optnet only): on is ~15% slower a step; off trains on the interior point's answers, z within ~2e-4 of the exact one",
  },
  seed: {
    type: 'int',
    min: 0,
    default: 1,
    help: 'seed of the generated data, the weights and the batch order',
  },
  data: {
    type: 'string',
    metavar: 'FILE.csv',
    help: 'train on this quizzes,solutions CSV (without --test, its last 10% test)',
  },
  test: {
    type: 'string',
    metavar: 'FILE.csv',
    help: 'test on this CSV (every row of --data then trains; without --data, the generated puzzles train)',
  },
  'train-size': {
    type: 'int',
    min: 1,
    default: 9000,
    help: 'generated training puzzles (without --data)',
  },
  'test-size': {
    type: 'int',
    min: 1,
    default: 1000,
    help: 'generated test puzzles (without --data and --test)',
  },
  generate: {
    type: 'int',
    min: 1,
    help: 'print this many generated puzzles (of --seed) as CSV on stdout and exit: data files of your own',
  },
  ...RUN_FOLDER_FLAGS,
  play: {
    type: 'string',
    metavar: 'PUZZLE',
    help: 'complete this 16-digit puzzle (0 = blank) with the model of --run; exit code 1 when the answer breaks the rules',
  },
  run: {
    type: 'string',
    metavar: 'DIR',
    help: 'the trained run folder --play uses',
  },
  ...THREADS_AND_HELP_FLAGS,
} satisfies Record<string, FlagSpec>;

type Flags = ReturnType<typeof parseFlags<typeof FLAGS>>;

/** The usage text of `optnet sudoku`. */
export const SUDOKU_USAGE: string = `Usage: optnet sudoku [options]
       optnet sudoku --play PUZZLE --run DIR

Trains a model to complete 4x4 Sudoku puzzles from examples alone (the OptNet
paper's experiment). Without --data it trains on 9000 and tests on 1000
puzzles from a seeded generator (each with exactly one solution). Progress
goes to stderr; the last line on stdout is one JSON object:
{"model","epochs","train_error","test_error","seconds"} (seconds: this
invocation's wall time; metrics.csv has every epoch's, earlier invocations
included). The run folder gets config.json, metrics.csv, errors.svg and
checkpoint.safetensors; Ctrl-C saves the checkpoint after the current batch
(exit code 130, no JSON line), and --resume DIR continues bit-identically.

--play prints the puzzle, the model's answer and whether the answer
satisfies the rules (keeps the clues; each row, column and 2x2 box holds
1-4 once). Exit code 0 when it does, 1 when it does not; a puzzle whose
clues break the rules or that has no solution is refused first (exit
code 2), before the model runs.

Options:
${flagsHelp(FLAGS)}`;

function newRun(f: Flags['values']): {
  config: SudokuConfig;
  data: SudokuData;
} {
  const model = f.model as SudokuConfig['model'];
  const data = loadData({
    data: f.data ?? null,
    test: f.test ?? null,
    trainSize: f['train-size'],
    testSize: f['test-size'],
    seed: f.seed,
  });
  const config: SudokuConfig = {
    command: 'sudoku',
    model,
    width: f.width,
    dtype: (f.dtype ??
      (model === 'optnet' ? 'float64' : 'float32')) as FloatDType,
    lr: f.lr ?? (model === 'optnet' ? 0.1 : 1e-3),
    batch: f.batch,
    epochs: f.epochs,
    seed: f.seed,
    data: data.source,
    ...(model === 'optnet'
      ? { kkt: f.kkt as 'dual' | 'bounds', polish: f.polish === 'on' }
      : {}),
  };
  return { config, data };
}

/** A run's config.json (of the folder `flag` named), checked enough to rebuild its model. */
function readConfig(dir: string, flag: string): SudokuConfig {
  const required = ['model', 'data'];
  const c = readRunConfig({ cmd: CMD, flag, dir, command: 'sudoku', required });
  // Absent in runs saved before --kkt existed (reductionOf).
  if (c.kkt !== undefined && c.kkt !== 'bounds' && c.kkt !== 'dual') {
    throw new UsageError(
      `${CMD}: ${flag} needs a run whose config.json has kkt "bounds" or "dual" (or none); got ${JSON.stringify(c.kkt)} in "${dir}". Fix the file or start a new run.`,
    );
  }
  if (c.polish !== undefined && typeof c.polish !== 'boolean') {
    throw new UsageError(
      `${CMD}: ${flag} needs a run whose config.json has polish true or false (or none); got ${JSON.stringify(c.polish)} in "${dir}". Fix the file or start a new run.`,
    );
  }
  return c as unknown as SudokuConfig;
}

/** The flags that define a run; with --resume they must not be given. */
const FIXED = [
  'model',
  'batch',
  'lr',
  'width',
  'dtype',
  'kkt',
  'polish',
  'seed',
  'data',
  'test',
  'train-size',
  'test-size',
  'out',
] as const;

/** The run to train: the one --resume names, or a new run folder. */
async function openRun(
  f: Flags,
): Promise<{ config: SudokuConfig; data: SudokuData; dir: string }> {
  if (f.values.resume !== undefined) {
    refuseWithResume(CMD, f.given, FIXED);
    const dir = f.values.resume;
    let config = readConfig(dir, '--resume');
    if (f.given.has('epochs')) config = { ...config, epochs: f.values.epochs };
    return { config, data: reloadData(config.data), dir };
  }
  refuseIgnoredFlags(f);
  const { config, data } = newRun(f.values);
  const dir = createRunDir(CMD, f.values.out, `sudoku-${config.model}`);
  await writeJson(dir, 'config.json', config);
  return { config, data, dir };
}

async function train(f: Flags, io: SudokuIo): Promise<number> {
  const resume = f.values.resume !== undefined;
  const { config, data, dir } = await openRun(f);
  io.stderr.write(
    `${CMD}: ${config.model}${config.model === 'optnet' ? ` (kkt ${reductionOf(config)}${polishOf(config) ? ', polished' : ', not polished'})` : ''} on ${data.train.length} training and ${data.test.length} test puzzles; run folder ${dir}\n`,
  );
  const t0 = performance.now();
  let wrote = false;
  const code = await runInterruptible(
    CMD,
    dir,
    io,
    (stop) => runSudoku({ dir, config, data, resume, stream: io.stderr, stop }),
    ({ history, newEpochs }) => {
      wrote = newEpochs > 0;
      const last = history[history.length - 1];
      return {
        model: config.model,
        epochs: last?.epoch ?? 0,
        train_error: last?.trainError ?? null,
        test_error: last?.testError ?? null,
        seconds: secondsSince(t0),
      };
    },
  );
  if (wrote) {
    io.stderr.write(
      `${CMD}: wrote ${join(dir, 'metrics.csv')}, ${join(dir, 'errors.svg')} and the checkpoint\n`,
    );
  }
  return code;
}

/**
 * Flags that this run would ignore are refused: --width with the optnet
 * model (it sizes conv and fc); --train-size and --test-size, which size
 * generated puzzles, with a CSV in their place.
 */
function refuseIgnoredFlags(f: Flags): void {
  if (f.values.model === 'optnet' && f.given.has('width')) {
    throw new UsageError(
      `${CMD}: --width is conv's and fc's; got --width with --model optnet.`,
    );
  }
  for (const flag of ['kkt', 'polish'] as const) {
    if (f.values.model !== 'optnet' && f.given.has(flag)) {
      throw new UsageError(
        `${CMD}: --${flag} is the QP layer's; got --${flag} with --model ${f.values.model}.`,
      );
    }
  }
  const clash: [keyof typeof FLAGS, keyof typeof FLAGS][] = [
    ['train-size', 'data'],
    ['test-size', 'test'],
    ['test-size', 'data'],
  ];
  for (const [size, file] of clash) {
    if (f.given.has(size) && f.given.has(file)) {
      throw new UsageError(
        `${CMD}: --${size} sizes generated puzzles; got it with --${file}, whose rows are used as they are. Drop --${size}, or cut the CSV.`,
      );
    }
  }
}

/**
 * Refuse the flags `mode` would ignore (a training flag with --play, which
 * runs the model its run folder holds, say): one line naming them.
 */
function refuseBesides(f: Flags, mode: string, uses: readonly string[]): void {
  const ignored = [...f.given].filter((k) => !uses.includes(k));
  if (ignored.length === 0) return;
  throw new UsageError(
    `${CMD}: ${mode} uses only --${uses.join(', --')}; got --${ignored.join(', --')} as well, which it would ignore. Leave them out.`,
  );
}

/** A puzzle --play cannot fairly ask for: clues that break the rules, or no solution. */
function refuseUnsolvable(quiz: string): void {
  const clash = clueClash(quiz);
  if (clash !== null) {
    throw new UsageError(
      `${CMD}: --play needs a puzzle whose clues keep the rules; got "${quiz}", with ${clash}. Fix the clues.`,
    );
  }
  if (solutionsOf(quiz, 1).length === 0) {
    throw new UsageError(
      `${CMD}: --play needs a puzzle with a solution; got "${quiz}", whose clues no grid completes (no row, column or box repeats a clue, but they cannot all hold). Change a clue.`,
    );
  }
}

async function play(f: Flags, io: SudokuIo): Promise<number> {
  const quiz = f.values.play!;
  if (!/^[0-4]{16}$/.test(quiz)) {
    throw new UsageError(
      `${CMD}: --play needs a puzzle of 16 digits 0-4 (0 = blank), row by row; got "${quiz}".`,
    );
  }
  refuseUnsolvable(quiz);
  if (f.values.run === undefined) {
    throw new UsageError(
      `${CMD}: --play needs --run DIR, the folder of a training run; got none.`,
    );
  }
  const dir = f.values.run;
  const config = readConfig(dir, '--run');
  const model = buildModel(config, { onNotSolved: 'return' });
  await loadCheckpoint(CMD, '--run', dir, model);
  const pair = [{ quiz, solution: '' }];
  const z = noGrad(
    () => model.forward(boardTensor(pair, 'quiz', config.dtype)) as Tensor,
  );
  const [answer] = argmaxBoards(z.dataSync());
  const keepsClues = [...quiz].every((d, i) => d === '0' || d === answer[i]);
  const solutions = solutionsOf(quiz, 2);
  io.stdout.write(
    `puzzle:\n${formatBoard(quiz)}\n\n${config.model}'s answer:\n${formatBoard(answer)}\n\n`,
  );
  io.stdout.write(
    `satisfies the rules: ${isSolvedGrid(answer) && keepsClues ? 'yes' : 'no'}`,
  );
  io.stdout.write(
    isSolvedGrid(answer) && !keepsClues
      ? ' (a valid grid, but it changes a clue)\n'
      : '\n',
  );
  if (solutions.length > 1)
    io.stdout.write('(this puzzle has more than one solution)\n');
  return isSolvedGrid(answer) && keepsClues ? 0 : 1;
}

/** Where `optnet sudoku` writes, and an extra stop signal (tests). */
export type SudokuIo = ExperimentIo;

/**
 * Run `optnet sudoku` with these arguments; returns the exit code (0 done,
 * 1 a --play answer that breaks the rules, 2 a usage error, 130
 * interrupted). Usage errors throw UsageError (the CLI prints them).
 * @example
 * const code = await sudokuCommand(['--epochs', '2'], { stdout: process.stdout, stderr: process.stderr });
 */
export async function sudokuCommand(
  argv: readonly string[],
  io: SudokuIo,
): Promise<number> {
  const f = parseFlags(CMD, argv, FLAGS);
  if (f.values.help) {
    io.stdout.write(`${SUDOKU_USAGE}\n`);
    return 0;
  }
  refusePositionals(CMD, f.positionals);
  if (f.values.threads !== undefined) await useCpuThreads(f.values.threads);
  if (f.values.play !== undefined) {
    refuseBesides(f, '--play', ['play', 'run', 'threads']);
    return play(f, io);
  }
  if (f.values.generate !== undefined) {
    refuseBesides(f, '--generate', ['generate', 'seed', 'threads']);
    io.stdout.write(
      sudokuCsv(generatedPuzzles(f.values.generate, f.values.seed)),
    );
    return 0;
  }
  if (f.values.run !== undefined) {
    throw new UsageError(
      `${CMD}: --run goes with --play; got --run without --play. To continue training, use --resume DIR.`,
    );
  }
  return train(f, io);
}
