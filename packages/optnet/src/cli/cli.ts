/**
 * The `optnet` command line (bin/optnet.js calls `runOptnet`). Each command
 * lives in its own file and declares its flags once (experiments/common/
 * flags.ts), so parsing, errors and `optnet <command> --help` agree.
 *
 *   optnet sudoku [options]      the OptNet paper's Sudoku experiment
 *   optnet solve FILE.qps [...]  solve a QPS file
 *   optnet bench qp [...]        time random batches
 *   optnet help | --help | -h    optnet --version
 *
 * Exit codes: 0 success, 1 a solve or answer that failed, 2 a usage error
 * or an input we cannot use, 130 interrupted. Results go to stdout; errors
 * and progress to stderr, messages only (a stack trace would only hide the
 * message from a command-line user).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { useCpuThreads } from '@optnet/tensor/threads';
import { UsageError } from '../experiments/common/flags.js';
import { sudokuCommand } from '../experiments/sudoku/command.js';
import { benchCommand } from './cli-bench.js';
import { solveCommand, type CommandIo } from './solve.js';
import { denoiseCommand } from '../experiments/denoise/command.js';
import { classifyCommand } from '../experiments/classify/command.js';

/**
 * The `optnet` command's help text (what `optnet --help` prints): its
 * commands; `optnet <command> --help` has each command's flags.
 * @example
 * console.log(USAGE); // optnet: OptNet, a batched, differentiable ...
 */
export const USAGE: string = `optnet: OptNet, a batched, differentiable quadratic-programming layer.

Usage: optnet <command> [options]     (optnet <command> --help for its options)

Commands:
  optnet sudoku [options]
      Learn 4x4 Sudoku from examples (the OptNet paper's experiment): trains,
      prints progress and one JSON line, and writes a run folder with
      metrics, an error plot and a checkpoint.
  optnet denoise [options]
      Denoise piecewise-constant signals: total variation as a QP (its
      weight swept on the training set), OptNet learning its difference
      operator, or a fully connected net.
  optnet classify [options]
      Fashion-MNIST with FC-600, FC-10 and a 10-variable QP layer, against
      the same net without it.
  optnet solve FILE.qps [options]
      Solve the QP in a QPS file (e.g. the Maros-Meszaros set) and print the
      status, objective, iterations, time and residuals.
  optnet bench qp [options]
      Time the QP layer's forward and backward on random batches.
  optnet help | --help | -h      this text;  optnet --version  the version

Environment: OPTNET_THREADS=N caps the worker threads of the batched CPU
kernels (default: every core; 1 runs on the main thread only).
`;

const io: CommandIo = {
  out: (s) => void process.stdout.write(`${s}\n`),
  err: (s) => void process.stderr.write(`${s}\n`),
};

/**
 * The version in this package's package.json (found above this file).
 * @example
 * version(); // '0.1.0'
 */
export function version(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      if (pkg.name === '@optnet/optnet') return String(pkg.version);
    } catch {
      // no package.json here: look one folder up
    }
    const up = dirname(dir);
    if (up === dir) return 'unknown';
    dir = up;
  }
}

/**
 * Options of `main` and `runOptnet`.
 * @example
 * const o: MainOptions = { prog: 'pnpm optnet' };
 */
export interface MainOptions {
  /**
   * How the user runs this command line, for the hints that name a command
   * (`Run "optnet sudoku --help"`, `continue with: optnet sudoku --resume
   * DIR`): 'optnet' by default; the workspace's scripts/optnet.ts passes
   * 'pnpm optnet', which is how a clone runs it.
   */
  prog?: string;
}

/** The commands with their own --help. */
const COMMANDS = ['sudoku', 'denoise', 'classify', 'solve', 'bench'];

async function dispatch(
  argv: readonly string[],
  prog: string,
): Promise<number> {
  const [command, ...rest] = argv;
  const streams = { stdout: process.stdout, stderr: process.stderr, prog };
  switch (command) {
    case undefined:
      io.err(USAGE);
      return 2;
    case 'help':
    case '--help':
    case '-h':
      io.out(USAGE);
      return 0;
    case '--version':
    case '-v':
      io.out(version());
      return 0;
    case 'solve':
      return solveCommand(rest, io);
    case 'bench':
      return benchCommand(rest, io);
    case 'sudoku':
      return sudokuCommand(rest, streams);
    case 'denoise':
      return denoiseCommand(rest, streams);
    case 'classify':
      return classifyCommand(rest, streams);
    default:
      throw new UsageError(
        `optnet: unknown command; got "${command}". The commands: sudoku, denoise, classify, solve, bench, help.`,
      );
  }
}

/**
 * Run the `optnet` command with these arguments (without node and the
 * script) and return the exit code. Output goes to stdout/stderr. For
 * running the command line from a script or a test; `options.prog` is how
 * the hints name the command line (default 'optnet').
 * @example
 * process.exitCode = await main(['solve', 'HS21.QPS', '--json']);
 */
export async function main(
  argv: readonly string[],
  options: MainOptions = {},
): Promise<number> {
  const prog = options.prog ?? 'optnet';
  try {
    return await dispatch(argv, prog);
  } catch (e) {
    if (e instanceof UsageError) {
      // The help of the command the mistake was made in, as the user runs it.
      const help = COMMANDS.includes(argv[0]) ? `${prog} ${argv[0]}` : prog;
      io.err(`${e.message}\nRun "${help} --help" for the usage.`);
      return 2;
    }
    throw e;
  }
}

/**
 * `main` as the installed command runs it: the batched CPU kernels on every
 * core first (OPTNET_THREADS=N caps them; results are the same bits).
 * @example
 * process.exitCode = await runOptnet(process.argv.slice(2));
 */
export async function runOptnet(
  argv: readonly string[],
  options: MainOptions = {},
): Promise<number> {
  await useCpuThreads(Number(process.env.OPTNET_THREADS) || undefined);
  return main(argv, options);
}
