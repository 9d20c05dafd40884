/**
 * `optnet denoise`: the OptNet paper's signal-denoising experiment. Total
 * variation denoising written as a QP layer, its weight λ swept on the
 * training set (`--model tv`), then OptNet tuned from TV's start
 * (`--model optnet`: a general QP layer with every matrix learned, or with
 * `--learn D` only the difference operator), against a fully connected
 * net (`--model fc`). Progress on stderr, one JSON line on stdout, and a
 * run folder as `optnet sudoku` writes one.
 */
import { useCpuThreads } from '@optnet/tensor/threads';
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
import {
  refuseWithResume,
  runInterruptible,
  secondsSince,
  type ExperimentIo,
} from '../common/command.js';
import { generatedSignals } from './signals.js';
import { runDenoise, type DenoiseConfig } from './train.js';

const CMD = 'optnet denoise';

const FLAGS = {
  model: {
    type: 'choice',
    choices: ['optnet', 'tv', 'fc'],
    default: 'optnet',
    help: 'OptNet (tuned from TV), TV with the best λ, or a fully connected net',
  },
  learn: {
    type: 'choice',
    choices: ['qp', 'D'],
    default: 'qp',
    help: "what optnet learns: every matrix of a QP started at TV, or only TV's difference operator D",
  },
  epochs: {
    type: 'int',
    min: 1,
    default: 10,
    help: 'passes over the training signals (optnet, fc)',
  },
  batch: { type: 'int', min: 1, default: 150, help: 'signals per step' },
  lr: {
    type: 'number',
    positive: true,
    help: 'Adam learning rate (default 1e-4 for optnet, 1e-3 for optnet --learn D and fc)',
  },
  lambda: {
    type: 'number',
    positive: true,
    help: "TV's weight: tv evaluates it alone, optnet starts from it (default: the best of a sweep on the training set)",
  },
  'sweep-size': {
    type: 'int',
    min: 1,
    help: 'training signals the lambda sweep evaluates, the first N (default: all)',
  },
  width: {
    type: 'int',
    min: 1,
    default: 500,
    help: 'hidden units of the fc net',
  },
  seed: {
    type: 'int',
    min: 0,
    default: 1,
    help: 'seed of the signals, the weights and the batch order',
  },
  'train-size': {
    type: 'int',
    min: 1,
    default: 9000,
    help: 'training signals',
  },
  'test-size': { type: 'int', min: 1, default: 1000, help: 'test signals' },
  length: {
    type: 'int',
    min: 2,
    default: 100,
    help: 'samples per signal (the paper: 100)',
  },
  ...RUN_FOLDER_FLAGS,
  ...THREADS_AND_HELP_FLAGS,
} satisfies Record<string, FlagSpec>;

type Flags = ReturnType<typeof parseFlags<typeof FLAGS>>;

/** The usage text of `optnet denoise`. */
export const DENOISE_USAGE: string = `Usage: optnet denoise [options]

Denoises piecewise-constant signals (length 100, 1-9 pieces of heights
10-99, Gaussian noise sigma 10; 9000 train and 1000 test from a seeded
generator), the OptNet paper's experiment. tv sweeps the weight lambda of
total-variation denoising (a QP) on the training set; optnet starts from
TV with that lambda and learns every matrix of the QP (Q, the linear
term W*signal + c, G and h; --learn D: only TV's difference operator
times lambda); fc is a fully connected net. Progress goes to stderr; the
last line on stdout is one JSON object:
{"model","learn","epochs","lambda","train_mse","test_mse","seconds"}
("learn" for optnet only; seconds: this invocation's wall time). The run folder gets
  config.json             the run's settings (and lambda once swept)
  sweep.json              the lambda sweep's points so far (tv, and optnet
                          without --lambda), which --resume continues
  sweep.csv, sweep.svg    train MSE per lambda (the same runs)
  start.json              optnet's test MSE before training (TV's)
  metrics.csv, mse.svg    train and test MSE per epoch (optnet, fc)
  checkpoint.safetensors  model, optimizer and position (optnet, fc)
  signals.svg             test signals: noisy, clean and denoised
Ctrl-C saves the checkpoint after the current batch (exit code 130, no
JSON line), and --resume DIR continues bit-identically.

Options:
${flagsHelp(FLAGS)}`;

/** The flags that define a run; with --resume they must not be given. */
const FIXED = [
  'model',
  'learn',
  'batch',
  'lr',
  'lambda',
  'sweep-size',
  'width',
  'seed',
  'train-size',
  'test-size',
  'length',
  'out',
] as const;

function newConfig(f: Flags['values']): DenoiseConfig {
  const model = f.model as DenoiseConfig['model'];
  const learn = f.learn as 'qp' | 'D';
  return {
    command: 'denoise',
    model,
    ...(model === 'optnet' ? { learn } : {}),
    lambda: f.lambda ?? null,
    sweepSize: f['sweep-size'] ?? null,
    width: f.width,
    lr: f.lr ?? (model === 'optnet' && learn === 'qp' ? 1e-4 : 1e-3),
    batch: f.batch,
    epochs: f.epochs,
    seed: f.seed,
    data: {
      kind: 'generated',
      seed: f.seed,
      train: f['train-size'],
      test: f['test-size'],
      sigma: 10,
      length: f.length,
    },
  };
}

function readConfig(dir: string): DenoiseConfig {
  const required = ['model', 'data'];
  const c = readRunConfig({
    cmd: CMD,
    flag: '--resume',
    dir,
    command: 'denoise',
    required,
  }) as unknown as DenoiseConfig;
  if (c.learn !== undefined && c.learn !== 'qp' && c.learn !== 'D') {
    throw new UsageError(
      `${CMD}: "learn" in ${dir}/config.json must be "qp" or "D"; got ${JSON.stringify(c.learn)}. Fix the file or start a new run.`,
    );
  }
  return c;
}

async function train(f: Flags, io: ExperimentIo): Promise<number> {
  const resume = f.values.resume !== undefined;
  let config: DenoiseConfig;
  let dir: string;
  if (resume) {
    refuseWithResume(CMD, f.given, FIXED);
    dir = f.values.resume!;
    config = readConfig(dir);
    if (f.given.has('epochs')) config = { ...config, epochs: f.values.epochs };
  } else {
    config = newConfig(f.values);
    dir = createRunDir(CMD, f.values.out, `denoise-${config.model}`);
    await writeJson(dir, 'config.json', config);
  }
  const data = generatedSignals(config.data);
  const learn =
    config.model === 'optnet' ? ` (learn ${config.learn ?? 'D'})` : '';
  io.stderr.write(
    `${CMD}: ${config.model}${learn} on ${data.train.n} training and ${data.test.n} test signals; run folder ${dir}\n`,
  );
  const t0 = performance.now();
  return runInterruptible(
    CMD,
    dir,
    io,
    (stop) =>
      runDenoise({ dir, config, data, resume, stream: io.stderr, stop }),
    (r) => ({
      model: config.model,
      ...(config.model === 'optnet' ? { learn: config.learn ?? 'D' } : {}),
      epochs: r.epochs,
      lambda: r.lambda,
      train_mse: r.trainMse,
      test_mse: r.testMse,
      seconds: secondsSince(t0),
    }),
  );
}

/**
 * Flags of one model given with another: refused, not ignored. With
 * --resume the run's config names the model (refuseWithResume refuses
 * these flags there).
 */
function refuseOtherModelsFlags(f: Flags): void {
  const resume = f.given.has('resume');
  if (f.values.model !== 'optnet' && f.given.has('learn') && !resume) {
    throw new UsageError(
      `${CMD}: --learn is optnet's; got --learn with --model ${f.values.model}.`,
    );
  }
  if (f.values.model !== 'fc' && f.given.has('width') && !resume) {
    throw new UsageError(
      `${CMD}: --width is fc's; got --width with --model ${f.values.model}.`,
    );
  }
  if (f.values.model === 'fc' && !resume) {
    for (const k of ['lambda', 'sweep-size'] as const) {
      if (f.given.has(k)) {
        throw new UsageError(
          `${CMD}: --${k} is TV's (tv, optnet); got --${k} with --model fc.`,
        );
      }
    }
  }
}

/**
 * Run `optnet denoise` with these arguments; returns the exit code (0 done,
 * 130 interrupted). Usage errors throw UsageError (the CLI prints them).
 * @example
 * const code = await denoiseCommand(['--model', 'tv'], { stdout: process.stdout, stderr: process.stderr });
 */
export async function denoiseCommand(
  argv: readonly string[],
  io: ExperimentIo,
): Promise<number> {
  const f = parseFlags(CMD, argv, FLAGS);
  if (f.values.help) {
    io.stdout.write(`${DENOISE_USAGE}\n`);
    return 0;
  }
  refusePositionals(CMD, f.positionals);
  refuseOtherModelsFlags(f);
  if (f.values.threads !== undefined) await useCpuThreads(f.values.threads);
  return train(f, io);
}
