/**
 * `optnet classify`: the OptNet paper's classification experiment on
 * Fashion-MNIST: FC-600 → FC-10 → an OptNet layer → softmax (`--model
 * optnet`), against the same network with a fully connected layer in the
 * QP layer's place (`--model fc`). Progress on stderr, one JSON line on
 * stdout, and a run folder as `optnet sudoku` writes one.
 */
import { FASHION_MNIST_DIR } from '@optnet/nn/node';
import { useCpuThreads } from '@optnet/tensor/threads';
import {
  flagsHelp,
  parseFlags,
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
import { loadClassifyData } from './data.js';
import { runClassify, type ClassifyConfig } from './train.js';

const CMD = 'optnet classify';

const FLAGS = {
  model: {
    type: 'choice',
    choices: ['optnet', 'fc'],
    default: 'optnet',
    help: 'with the QP layer, or with a fully connected 10 → 10 layer instead',
  },
  epochs: {
    type: 'int',
    min: 1,
    default: 10,
    help: 'passes over the training images',
  },
  batch: { type: 'int', min: 1, default: 128, help: 'images per step' },
  lr: {
    type: 'number',
    positive: true,
    default: 1e-3,
    help: 'Adam learning rate',
  },
  nineq: {
    type: 'int',
    min: 1,
    default: 10,
    help: 'inequality constraints of the QP layer',
  },
  seed: {
    type: 'int',
    min: 0,
    default: 1,
    help: 'seed of the weights and the batch order',
  },
  data: {
    type: 'string',
    metavar: 'DIR',
    default: FASHION_MNIST_DIR,
    help: 'folder of the Fashion-MNIST idx files (apt-get install dataset-fashion-mnist)',
  },
  'train-size': {
    type: 'int',
    min: 1,
    default: 60000,
    help: 'training images (the first N)',
  },
  'test-size': {
    type: 'int',
    min: 1,
    default: 10000,
    help: 'test images (the first N)',
  },
  ...RUN_FOLDER_FLAGS,
  ...THREADS_AND_HELP_FLAGS,
} satisfies Record<string, FlagSpec>;

type Flags = ReturnType<typeof parseFlags<typeof FLAGS>>;

/** The usage text of `optnet classify`. */
export const CLASSIFY_USAGE: string = `Usage: optnet classify [options]

Classifies Fashion-MNIST (Debian's dataset-fashion-mnist) with the OptNet
paper's network: FC-600, FC-10, a QP layer with 10 variables and only
inequality constraints, softmax; --model fc puts a fully connected 10 -> 10
layer in the QP layer's place. Progress goes to stderr; the last line on
stdout is one JSON object:
{"model","epochs","train_accuracy","test_accuracy","seconds"} (seconds:
this invocation's wall time; metrics.csv has every epoch's). The run
folder gets config.json, metrics.csv, errors.svg and
checkpoint.safetensors; Ctrl-C saves the checkpoint after the current batch
(exit code 130, no JSON line), and --resume DIR continues bit-identically.

Options:
${flagsHelp(FLAGS)}`;

const FIXED = [
  'model',
  'batch',
  'lr',
  'nineq',
  'seed',
  'data',
  'train-size',
  'test-size',
  'out',
] as const;

function readConfig(dir: string): ClassifyConfig {
  const required = ['model', 'data'];
  const c = readRunConfig({
    cmd: CMD,
    flag: '--resume',
    dir,
    command: 'classify',
    required,
  });
  return c as unknown as ClassifyConfig;
}

function newConfig(f: Flags['values']): ClassifyConfig {
  return {
    command: 'classify',
    model: f.model as ClassifyConfig['model'],
    nIneq: f.nineq,
    lr: f.lr,
    batch: f.batch,
    epochs: f.epochs,
    seed: f.seed,
    data: { dir: f.data, train: f['train-size'], test: f['test-size'] },
  };
}

async function train(f: Flags, io: ExperimentIo): Promise<number> {
  const resume = f.values.resume !== undefined;
  let config: ClassifyConfig;
  if (resume) {
    refuseWithResume(CMD, f.given, FIXED);
    config = readConfig(f.values.resume!);
    if (f.given.has('epochs')) config = { ...config, epochs: f.values.epochs };
  } else {
    config = newConfig(f.values);
  }
  // Read the data before making a run folder: a missing data set leaves none.
  const data = await loadClassifyData(
    config.data.dir,
    config.data.train,
    config.data.test,
  );
  const dir = resume
    ? f.values.resume!
    : createRunDir(CMD, f.values.out, `classify-${config.model}`);
  if (!resume) await writeJson(dir, 'config.json', config);
  io.stderr.write(
    `${CMD}: ${config.model} on ${data.train.n} training and ${data.test.n} test images; run folder ${dir}\n`,
  );
  const t0 = performance.now();
  return runInterruptible(
    CMD,
    dir,
    io,
    (stop) =>
      runClassify({ dir, config, data, resume, stream: io.stderr, stop }),
    ({ history }) => {
      const last = history[history.length - 1];
      return {
        model: config.model,
        epochs: last?.epoch ?? 0,
        train_accuracy: last?.trainAccuracy ?? null,
        test_accuracy: last?.testAccuracy ?? null,
        seconds: secondsSince(t0),
      };
    },
  );
}

/**
 * Run `optnet classify` with these arguments; returns the exit code (0
 * done, 130 interrupted). Usage errors (a missing data set among them)
 * throw UsageError (the CLI prints them, exit code 2).
 * @example
 * const code = await classifyCommand(['--epochs', '1'], { stdout: process.stdout, stderr: process.stderr });
 */
export async function classifyCommand(
  argv: readonly string[],
  io: ExperimentIo,
): Promise<number> {
  const f = parseFlags(CMD, argv, FLAGS);
  if (f.values.help) {
    io.stdout.write(`${CLASSIFY_USAGE}\n`);
    return 0;
  }
  refusePositionals(CMD, f.positionals);
  if (f.values.threads !== undefined) await useCpuThreads(f.values.threads);
  return train(f, io);
}
