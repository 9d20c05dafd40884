/**
 * `optnet solve FILE.qps`: solve the QP in a QPS file and print the status,
 * objective, iterations, time and residuals (or one JSON line).
 * Exit codes: 0 solved, 1 another status, 2 a usage error or a file that
 * cannot be read, parsed or solved as a convex QP.
 */
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { OptnetError } from '@optnet/tensor';
import { QpError } from '../api/errors.js';
import type { QpOptions } from '../api/types.js';
import { solveDense, type DenseQpResult } from '../io/solve-dense.js';
import { parseQps, type DenseQp } from '../io/qps.js';
import {
  flagsHelp,
  parseFlags,
  UsageError,
  type FlagSpec,
} from '../experiments/common/flags.js';

/** Where a command writes (process.stdout / process.stderr). */
export interface CommandIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** --tol, --max-iter and --dtype, shared by solve and bench. */
export const SOLVER_FLAGS: {
  tol: { type: 'number'; positive: true; example: string; help: string };
  'max-iter': { type: 'int'; min: number; help: string };
  dtype: {
    type: 'choice';
    choices: readonly string[];
    default: string;
    help: string;
  };
} = {
  tol: {
    type: 'number',
    positive: true,
    example: '1e-8',
    help: "stopping tolerance (default the solver's: 1e-8 in float64, 1e-6 in float32)",
  },
  'max-iter': {
    type: 'int',
    min: 1,
    help: "interior-point iterations before giving up (default the solver's 50)",
  },
  dtype: {
    type: 'choice',
    choices: ['float64', 'float32'],
    default: 'float64',
    help: 'precision of the solve',
  },
};

/** The QpOptions of --tol and --max-iter (absent: the solver's defaults). */
export function solverOptions(v: {
  tol?: number;
  'max-iter'?: number;
}): QpOptions {
  const options: QpOptions = {};
  if (v.tol !== undefined) options.tol = v.tol;
  if (v['max-iter'] !== undefined) options.maxIter = v['max-iter'];
  return options;
}

const FLAGS = {
  json: {
    type: 'bool',
    help: 'print one JSON line {"name","status","objective","iterations","seconds","primal_residual","dual_residual"}',
  },
  'no-scale': { type: 'bool', help: 'skip the Ruiz equilibration' },
  ...SOLVER_FLAGS,
  tol: {
    ...SOLVER_FLAGS.tol,
    help: 'stopping tolerance (default 1e-10 in float64, 1e-6 in float32)',
  },
  help: { type: 'bool', help: 'this text' },
} satisfies Record<string, FlagSpec>;

/** The usage of `optnet solve`. */
export const SOLVE_USAGE: string = `Usage: optnet solve FILE.qps [options]

Solve the QP in a QPS file (free-format MPS with QUADOBJ, e.g. the
Maros-Meszaros set) and print the status, objective (with the file's
constant), iterations, solve time and residuals. The data is
Ruiz-equilibrated first. Exit code 0 when solved, 1 when not, 2 for a usage
error or a file that cannot be read, parsed or solved as a convex QP.

Options:
${flagsHelp(FLAGS)}`;

/** Read and parse FILE; print the reason and return null when we cannot. */
function loadQps(file: string, io: CommandIo): DenseQp | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    io.err(`optnet solve: cannot read ${file}; got ${why}. Check the path.`);
    return null;
  }
  try {
    const qp = parseQps(text);
    // A file without a NAME line still gets a useful name.
    return qp.name ? qp : { ...qp, name: basename(file, extname(file)) };
  } catch (e) {
    if (e instanceof QpError) {
      io.err(`optnet solve: ${file}: ${e.message}`);
      return null;
    }
    throw e;
  }
}

/**
 * The solver's error in the file's terms: a Q that is not positive
 * semidefinite is a nonconvex objective, named by the variable whose pivot
 * failed (the layer's advice, to parametrize Q = L·Lᵀ, does not apply to a
 * file).
 */
function fileMessage(qp: DenseQp, e: OptnetError): string {
  if (!(e instanceof QpError) || e.code !== 'Q_NOT_PSD') return e.message;
  const pivot = /at pivot (\d+)/.exec(e.message);
  const name = pivot === null ? undefined : qp.varNames[Number(pivot[1])];
  const where = name === undefined ? '' : ` (its Cholesky fails at ${name})`;
  const sense =
    qp.objSense === 'max'
      ? ' The file maximizes (OBJSENSE MAX), so its objective was negated: a maximized quadratic must be concave.'
      : '';
  return `the objective is not convex: its quadratic part is not positive semidefinite${where}. optnet solve takes convex QPs only.${sense}`;
}

const fmtNum = (v: number): string =>
  Number.isFinite(v) ? v.toPrecision(10) : String(v);
const fmtRes = (v: number): string =>
  Number.isFinite(v) ? v.toExponential(2) : String(v);

function printSolve(
  qp: DenseQp,
  r: DenseQpResult,
  json: boolean,
  io: CommandIo,
): void {
  if (json) {
    io.out(
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
  io.out(qp.name);
  for (const [k, v] of rows) io.out(`  ${k.padEnd(16)}${v}`);
}

/**
 * Run `optnet solve` with these arguments; returns the exit code.
 * @example
 * const code = await solveCommand(['HS21.QPS', '--json'], io);
 */
export async function solveCommand(
  argv: readonly string[],
  io: CommandIo,
): Promise<number> {
  const cmd = 'optnet solve';
  const { values: v, positionals } = parseFlags(cmd, argv, FLAGS);
  if (v.help) {
    io.out(SOLVE_USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    const got =
      positionals.length === 0
        ? 'none'
        : positionals.map((s) => `"${s}"`).join(', ');
    throw new UsageError(`${cmd}: needs exactly one FILE.qps; got ${got}.`);
  }
  const qp = loadQps(positionals[0], io);
  if (qp === null) return 2;
  let r: DenseQpResult;
  try {
    r = await solveDense(qp, {
      ...solverOptions(v),
      dtype: v.dtype as 'float64' | 'float32',
      scale: !v['no-scale'],
    });
  } catch (e) {
    // Q not symmetric / not PSD: the file is not a convex QP we can solve.
    if (e instanceof OptnetError) {
      io.err(`optnet solve: ${qp.name}: ${fileMessage(qp, e)}`);
      return 2;
    }
    throw e;
  }
  printSolve(qp, r, v.json, io);
  return r.status === 'solved' ? 0 : 1;
}
