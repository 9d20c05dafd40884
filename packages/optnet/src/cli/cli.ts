/**
 * The `optnet` command line (bin/optnet.js calls `main`).
 *
 * optnet solve FILE.qps [--json] [--tol T] [--max-iter N] [--dtype D]
 * [--no-scale]
 *   optnet bench qp [--batch B] [--nz N] [--nineq M] [--neq K] [--dtype D]
 *                   [--reps R] [--seed S] [--tol T] [--max-iter N] [--json]
 *   optnet help | --help | -h
 *
 * Exit codes: 0 success (solve: the problem was solved), 1 solve ended
 * with another status, 2 a usage error or an input we cannot use
 * (unreadable file, a QPS parse error, a Q that is not convex).
 * Results go to stdout; errors and progress to stderr, messages only
 * (a stack trace would only hide the message from a command-line user).
 *
 * The argument parser is hand-written instead of node:util parseArgs so
 * that every error names the command, the flag and the value.
 */
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { OptnetError } from '@optnet/tensor';
import { benchQp, formatBench, type BenchQpOptions } from './cli-bench.js';
import { QpError } from '../api/errors.js';
import { solveDense, type DenseQpResult } from '../io/solve-dense.js';
import { parseQps, type DenseQp } from '../io/qps.js';
import type { QpOptions } from '../api/types.js';
import { UsageError } from '../experiments/common/flags.js';
import { sudokuCommand } from '../experiments/sudoku/command.js';
import { denoiseCommand } from '../experiments/denoise/command.js';
import { classifyCommand } from '../experiments/classify/command.js';

export const USAGE: string = `optnet: a batched, differentiable quadratic-programming solver (OptNet).

Usage:
  optnet sudoku [--model optnet|conv|fc] [--epochs N] [--data FILE.csv] ...
      Learn 4x4 Sudoku from examples (the OptNet paper's experiment) and
      write a run folder with metrics, a plot and a checkpoint;
      optnet sudoku --help lists every option.

  optnet denoise [--model optnet|tv|fc] [--epochs N] [--lambda X] ...
      Denoise piecewise-constant signals: total variation as a QP (its
      weight swept on the training set), OptNet learning its difference
      operator, or a fully connected net; optnet denoise --help for more.

  optnet classify [--model optnet|fc] [--epochs N] ...
      Fashion-MNIST with FC-600, FC-10 and a 10-variable QP layer, against
      the same net without it; optnet classify --help for more.

  optnet solve FILE.qps [--json] [--tol T] [--max-iter N] [--dtype float64|float32] [--no-scale]
      Solve the QP in a QPS file (free-format MPS with QUADOBJ, e.g. the
      Maros-Meszaros set) and print the status, objective (with the file's
      constant), iterations, solve time and residuals. --json prints one line
      {"name","status","objective","iterations","seconds","primal_residual","dual_residual"}.
      The data is Ruiz-equilibrated first (--no-scale turns that off) and the
      default tolerance is 1e-10 (float64). Exit code 0 when solved, 1 when
      not, 2 for a usage error or a file that cannot be read, parsed or solved
      as a convex QP.

  optnet bench qp [--batch B] [--nz N] [--nineq M] [--neq K] [--dtype float64|float32]
                  [--reps R] [--seed S] [--tol T] [--max-iter N] [--json]
      Time a batch of random feasible QPs: forward (qp under noGrad) and
      forward + backward (qp, then (z * c).sum().backward()); medians over R
      reps after one warm-up. Defaults: --batch 128 --nz 10 --nineq = nz
      --neq 0 --dtype float64 --reps 5 --seed 0. --json prints one line.

  optnet help | --help | -h
      This text.

Environment: OPTNET_THREADS=N caps the worker threads of the batched CPU
kernels (default: every core; 1 runs on the main thread only).
`;

const out = (s: string): void => void process.stdout.write(`${s}\n`);
const err = (s: string): void => void process.stderr.write(`${s}\n`);

type FlagKind = 'bool' | 'value';

interface ParsedArgs {
  positionals: string[];
  values: Map<string, string>;
  bools: Set<string>;
}

/** Split argv into positionals and the flags of `spec` (`--f v` or `--f=v`). */
function parseArgs(
  cmd: string,
  argv: readonly string[],
  spec: Record<string, FlagKind>,
): ParsedArgs {
  const res: ParsedArgs = {
    positionals: [],
    values: new Map(),
    bools: new Set(),
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--') || arg === '--') {
      res.positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const kind = spec[name];
    if (kind === undefined) {
      const known = Object.keys(spec)
        .map((k) => `--${k}`)
        .join(', ');
      throw new UsageError(
        `${cmd}: unknown flag --${name}; got "${arg}". Known flags: ${known}.`,
      );
    }
    if (kind === 'bool') {
      if (eq >= 0)
        throw new UsageError(`${cmd}: --${name} takes no value; got "${arg}".`);
      res.bools.add(name);
      continue;
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || (eq < 0 && value.startsWith('--'))) {
      throw new UsageError(
        `${cmd}: --${name} needs a value; got none. Write --${name} VALUE.`,
      );
    }
    if (res.values.has(name)) {
      throw new UsageError(
        `${cmd}: --${name} given twice; got "${res.values.get(name)}" and "${value}".`,
      );
    }
    res.values.set(name, value);
  }
  return res;
}

/** An integer flag ≥ min (default `def` when absent). */
function intFlag(
  cmd: string,
  a: ParsedArgs,
  name: string,
  min: number,
  def: number,
): number {
  const raw = a.values.get(name);
  if (raw === undefined) return def;
  const v = /^[+-]?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(v) || v < min) {
    const what = min === 1 ? 'a positive integer' : `an integer ≥ ${min}`;
    throw new UsageError(`${cmd}: --${name} must be ${what}; got "${raw}".`);
  }
  return v;
}

function dtypeFlag(cmd: string, a: ParsedArgs): 'float32' | 'float64' {
  const raw = a.values.get('dtype') ?? 'float64';
  if (raw !== 'float32' && raw !== 'float64') {
    throw new UsageError(
      `${cmd}: --dtype must be float64 or float32; got "${raw}".`,
    );
  }
  return raw;
}

/**
 * The solver options of --tol and --max-iter (absent: the solver's defaults).
 */
function solverFlags(cmd: string, a: ParsedArgs): QpOptions {
  const options: QpOptions = {};
  const tol = a.values.get('tol');
  if (tol !== undefined) {
    const v = Number(tol);
    if (tol.trim() === '' || !Number.isFinite(v) || v <= 0) {
      throw new UsageError(
        `${cmd}: --tol must be a positive number (e.g. 1e-8); got "${tol}".`,
      );
    }
    options.tol = v;
  }
  if (a.values.has('max-iter'))
    options.maxIter = intFlag(cmd, a, 'max-iter', 1, 0);
  return options;
}

/** Read and parse FILE; print the reason and return null when we cannot. */
function loadQps(file: string): DenseQp | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    err(`optnet solve: cannot read ${file}; got ${why}. Check the path.`);
    return null;
  }
  try {
    const qp = parseQps(text);
    // A file without a NAME line still gets a useful name.
    return qp.name ? qp : { ...qp, name: basename(file, extname(file)) };
  } catch (e) {
    if (e instanceof QpError) {
      err(`${file}: ${e.message}`);
      return null;
    }
    throw e;
  }
}

const fmtNum = (v: number): string =>
  Number.isFinite(v) ? v.toPrecision(10) : String(v);
const fmtRes = (v: number): string =>
  Number.isFinite(v) ? v.toExponential(2) : String(v);

function printSolve(qp: DenseQp, r: DenseQpResult, json: boolean): void {
  if (json) {
    out(
      JSON.stringify({
        name: qp.name,
        status: r.status,
        objective: r.objective,
        iterations: r.iterations,
        seconds: r.seconds,
        primal_residual: r.primalResidual,
        dual_residual: r.dualResidual,
      }),
    );
    return;
  }
  const rows: [string, string][] = [
    ['status', r.status],
    ['objective', fmtNum(r.objective)],
    ['iterations', String(r.iterations)],
    ['seconds', r.seconds.toFixed(4)],
    ['primal residual', fmtRes(r.primalResidual)],
    ['dual residual', fmtRes(r.dualResidual)],
    ['gap', fmtRes(r.gap)],
    ['size', `nz ${qp.nz}, inequalities ${qp.nIneq}, equalities ${qp.nEq}`],
  ];
  out(qp.name);
  for (const [k, v] of rows) out(`  ${k.padEnd(16)}${v}`);
}

async function solveCommand(argv: readonly string[]): Promise<number> {
  const cmd = 'optnet solve';
  const a = parseArgs(cmd, argv, {
    json: 'bool',
    'no-scale': 'bool',
    tol: 'value',
    'max-iter': 'value',
    dtype: 'value',
  });
  if (a.positionals.length !== 1) {
    const got =
      a.positionals.length === 0
        ? 'none'
        : a.positionals.map((s) => `"${s}"`).join(', ');
    throw new UsageError(`${cmd}: needs exactly one FILE.qps; got ${got}.`);
  }
  const options = solverFlags(cmd, a);
  const dtype = dtypeFlag(cmd, a);
  const qp = loadQps(a.positionals[0]);
  if (qp === null) return 2;
  let r: DenseQpResult;
  try {
    r = await solveDense(qp, {
      ...options,
      dtype,
      scale: !a.bools.has('no-scale'),
    });
  } catch (e) {
    // Q not symmetric / not PSD: the file is not a convex QP we can solve.
    if (e instanceof OptnetError) {
      err(`${qp.name}: ${e.message}`);
      return 2;
    }
    throw e;
  }
  printSolve(qp, r, a.bools.has('json'));
  return r.status === 'solved' ? 0 : 1;
}

function benchOptions(argv: readonly string[]): {
  opts: BenchQpOptions;
  json: boolean;
} {
  const cmd = 'optnet bench qp';
  const a = parseArgs(cmd, argv, {
    batch: 'value',
    nz: 'value',
    nineq: 'value',
    neq: 'value',
    dtype: 'value',
    reps: 'value',
    seed: 'value',
    tol: 'value',
    'max-iter': 'value',
    json: 'bool',
  });
  if (a.positionals.length > 0) {
    throw new UsageError(
      `${cmd}: takes no positional arguments; got "${a.positionals[0]}".`,
    );
  }
  const nz = intFlag(cmd, a, 'nz', 1, 10);
  const opts: BenchQpOptions = {
    nBatch: intFlag(cmd, a, 'batch', 1, 128),
    nz,
    nIneq: intFlag(cmd, a, 'nineq', 0, nz),
    nEq: intFlag(cmd, a, 'neq', 0, 0),
    dtype: dtypeFlag(cmd, a),
    reps: intFlag(cmd, a, 'reps', 1, 5),
    seed: intFlag(cmd, a, 'seed', 0, 0),
    solver: solverFlags(cmd, a),
  };
  if (opts.nEq > nz) {
    const got = `got --neq ${opts.nEq}, --nz ${nz}`;
    throw new UsageError(
      `${cmd}: --neq must be ≤ --nz (more equalities than unknowns); ${got}.`,
    );
  }
  return { opts, json: a.bools.has('json') };
}

async function benchCommand(argv: readonly string[]): Promise<number> {
  const [what, ...rest] = argv;
  if (what !== 'qp') {
    throw new UsageError(
      `optnet bench: unknown benchmark; got "${what ?? ''}". The benchmarks: qp.`,
    );
  }
  const { opts, json } = benchOptions(rest);
  const progress = json ? undefined : err;
  const result = await benchQp(opts, progress);
  out(json ? JSON.stringify(result) : formatBench(result));
  return 0;
}

async function dispatch(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
      err(USAGE);
      return 2;
    case 'help':
    case '--help':
    case '-h':
      out(USAGE);
      return 0;
    case 'solve':
      return solveCommand(rest);
    case 'bench':
      return benchCommand(rest);
    case 'sudoku':
      return sudokuCommand(rest, {
        stdout: process.stdout,
        stderr: process.stderr,
      });
    case 'denoise':
      return denoiseCommand(rest, {
        stdout: process.stdout,
        stderr: process.stderr,
      });
    case 'classify':
      return classifyCommand(rest, {
        stdout: process.stdout,
        stderr: process.stderr,
      });
    default:
      throw new UsageError(
        `optnet: unknown command; got "${command}". The commands: sudoku, denoise, classify, solve, bench, help.`,
      );
  }
}

/**
 * Run the `optnet` command with these arguments (without node and the
 * script) and return the exit code. Output goes to stdout/stderr.
 * @example
 * process.exitCode = await main(['solve', 'HS21.QPS', '--json']);
 */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    return await dispatch(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`${e.message}\nRun "optnet --help" for the usage.`);
      return 2;
    }
    throw e;
  }
}
