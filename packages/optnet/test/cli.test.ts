/**
 * The optnet command line, run in-process: solve, bench qp, help, and the usage
 * errors.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { main, type MainOptions } from '../src/cli.js';

const HS21 = fileURLToPath(
  new URL('../../../../shared/data/maros_meszaros/HS21.QPS', import.meta.url),
);
const HS21_OBJ = -99.96;
const dir = mkdtempSync(join(tmpdir(), 'optnet-cli-'));

/** Writes `text` to the temp dir and returns its path. */
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * main(argv) with stdout and stderr captured (console.log goes through
 * stdout.write).
 */
async function run(...argv: string[]): Promise<Run> {
  return runAs({}, ...argv);
}

/** run, with main's options. */
async function runAs(options: MainOptions, ...argv: string[]): Promise<Run> {
  const saved = [process.stdout.write, process.stderr.write];
  let stdout = '';
  let stderr = '';
  process.stdout.write = ((s: string | Uint8Array) => (
    (stdout += String(s)),
    true
  )) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => (
    (stderr += String(s)),
    true
  )) as typeof process.stderr.write;
  try {
    const code = await main(argv, options);
    return { code, stdout, stderr };
  } finally {
    [process.stdout.write, process.stderr.write] = saved;
  }
}

const relErr = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

/**
 * min (x−1)² + y² − 1 with no NAME line, s.t. x + y ≥ 3: optimum x = 2, y = 1,
 * objective 1.
 */
const SMALL = `ROWS
 N  obj
 G  c1
COLUMNS
    x  obj  -2.0  c1  1.0
    y  c1  1.0
RHS
    rhs  c1  3.0
BOUNDS
 FR bnd x
 FR bnd y
QUADOBJ
    x  x  2.0
    y  y  2.0
ENDATA
`;

test('solve HS21: solved, objective -99.96 (with the file constant), exit 0', async () => {
  const r = await run('solve', HS21);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^HS21\n/);
  assert.match(r.stdout, /status\s+solved/);
  const obj = Number(/objective\s+(\S+)/.exec(r.stdout)?.[1]);
  assert.ok(relErr(obj, HS21_OBJ) <= 1e-6, `objective ${obj}`);
  assert.match(r.stdout, /iterations\s+\d+/);
  assert.match(r.stdout, /seconds\s+\d/);
  assert.match(r.stdout, /primal residual\s+\S+/);
  assert.is(r.stderr, '');
});

test('solve --json: exactly one line with the exact keys', async () => {
  const r = await run('solve', HS21, '--json');
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.is(lines.length, 1);
  const j = JSON.parse(lines[0]);
  assert.equal(Object.keys(j), [
    'name',
    'status',
    'objective',
    'iterations',
    'seconds',
    'primal_residual',
    'dual_residual',
  ]);
  assert.is(j.name, 'HS21');
  assert.is(j.status, 'solved');
  assert.ok(relErr(j.objective, HS21_OBJ) <= 1e-6, `objective ${j.objective}`);
  assert.ok(Number.isInteger(j.iterations) && j.iterations > 0);
  assert.ok(j.seconds > 0);
  assert.ok(j.primal_residual >= 0 && j.primal_residual < 1e-6);
});

test('solve a file from the temp dir: name from the file name, objective 1, float32 too', async () => {
  const path = file('small.qps', SMALL);
  const j = JSON.parse((await run('solve', path, '--json')).stdout);
  assert.is(j.name, 'small');
  assert.is(j.status, 'solved');
  assert.ok(Math.abs(j.objective - 1) < 1e-7, `objective ${j.objective}`);
  const f = await run(
    'solve',
    path,
    '--json',
    '--dtype',
    'float32',
    '--tol=1e-5',
  );
  assert.is(f.code, 0, f.stderr);
  assert.ok(Math.abs(JSON.parse(f.stdout).objective - 1) < 1e-3);
});

test('solve not finished within --max-iter 1: exit 1, result still printed', async () => {
  const r = await run('solve', HS21, '--json', '--max-iter', '1');
  assert.is(r.code, 1);
  const j = JSON.parse(r.stdout);
  assert.is(j.status, 'max_iterations');
  assert.is(j.iterations, 1);
});

test('solve input errors: unreadable file and parse error give exit 2 and a message, no stack', async () => {
  const missing = await run('solve', join(dir, 'nope.qps'));
  assert.is(missing.code, 2);
  assert.match(
    missing.stderr,
    /optnet solve: cannot read .*nope\.qps; got ENOENT/,
  );
  assert.is(missing.stdout, '');
  const bad = await run(
    'solve',
    file(
      'bad.qps',
      'NAME BAD\nROWS\n N obj\nCOLUMNS\n    x obj oops\nENDATA\n',
    ),
  );
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /^optnet solve: .*bad\.qps: qps: .+line 5/);
  assert.not.match(bad.stderr, /\n\s+at /);
});

test('solve a file whose Q is not convex: exit 2, one line naming the command and the problem, no stack', async () => {
  const r = await run(
    'solve',
    file('concave.qps', SMALL.replace('y  y  2.0', 'y  y  -2.0')),
  );
  assert.is(r.code, 2);
  assert.match(
    r.stderr,
    /^optnet solve: concave: the objective is not convex: .*semidefinite \(its Cholesky fails at y\)\. optnet solve takes convex QPs only\./,
  );
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.is(r.stdout, '');
});

test('solve usage errors: exit 2 naming the flag and value', async () => {
  const cases: [string[], RegExp][] = [
    [['solve'], /optnet solve: needs exactly one FILE\.qps; got none/],
    [['solve', HS21, HS21], /needs exactly one FILE\.qps; got ".*", ".*"/],
    [
      ['solve', HS21, '--dtype', 'int32'],
      /--dtype must be float64 or float32; got "int32"/,
    ],
    [
      ['solve', HS21, '--tol', '-1'],
      /--tol must be a positive number .*; got "-1"/,
    ],
    [
      ['solve', HS21, '--max-iter', '2.5'],
      /--max-iter must be a positive integer; got "2\.5"/,
    ],
    [['solve', HS21, '--max-iter'], /--max-iter needs a value/],
    [
      ['solve', HS21, '--fast'],
      /unknown flag; got --fast\. Known flags: --json, --no-scale, --tol/,
    ],
    [['solve', HS21, '--json=1'], /--json takes no value/],
  ];
  for (const [argv, pattern] of cases) {
    const r = await run(...argv);
    assert.is(r.code, 2, argv.join(' '));
    assert.match(r.stderr, pattern);
    assert.match(r.stderr, /\nRun "optnet solve --help" for the usage\.\n$/);
    assert.is(r.stdout, '', argv.join(' '));
  }
});

test('bench qp --json with tiny sizes: one line, positive medians, sizes echoed', async () => {
  const sizes = ['--batch', '2', '--nz', '5', '--nineq', '5', '--neq', '2'];
  const r = await run('bench', 'qp', ...sizes, '--reps', '2', '--json');
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stderr, '', 'no progress lines with --json');
  const lines = r.stdout.trim().split('\n');
  assert.is(lines.length, 1);
  const j = JSON.parse(lines[0]);
  for (const k of [
    'forward_median_s',
    'fwd_bwd_median_s',
    'backward_median_s',
  ]) {
    assert.ok(typeof j[k] === 'number' && j[k] > 0, `${k} = ${j[k]}`);
  }
  assert.ok(j.fwd_bwd_median_s > j.backward_median_s);
  assert.equal(
    [j.batch, j.nz, j.nineq, j.neq, j.dtype, j.reps],
    [2, 5, 5, 2, 'float64', 2],
  );
  assert.is(j.solved, 2);
  assert.ok(j.iterations > 0);
  assert.is(j.node, process.version);
});

test('bench qp without --json: a table on stdout, one progress line per rep on stderr', async () => {
  const r = await run(
    'bench',
    'qp',
    '--batch',
    '2',
    '--nz',
    '4',
    '--nineq',
    '0',
    '--neq',
    '1',
    '--reps',
    '3',
  );
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^qp: batch 2, nz 4, nineq 0, neq 1, float64, 3 reps/);
  assert.match(r.stdout, /forward\s+\d+\.\d ms/);
  assert.match(r.stdout, /solved 2\/2/);
  assert.is(
    r.stderr
      .trim()
      .split('\n')
      .filter((l) => /^rep \d\/3:/.test(l)).length,
    3,
  );
});

test('bench usage errors: exit 2 naming the flag and value', async () => {
  const cases: [string[], RegExp][] = [
    [['bench'], /optnet bench: unknown benchmark; got ""/],
    [['bench', 'lp'], /unknown benchmark; got "lp"/],
    [
      ['bench', 'qp', '--batch', '0'],
      /optnet bench qp: --batch must be a positive integer; got "0"/,
    ],
    [
      ['bench', 'qp', '--nz', 'ten'],
      /--nz must be a positive integer; got "ten"/,
    ],
    [
      ['bench', 'qp', '--nineq', '-1'],
      /--nineq must be an integer ≥ 0; got "-1"/,
    ],
    [
      ['bench', 'qp', '--reps', '1e9x'],
      /--reps must be a positive integer; got "1e9x"/,
    ],
    [
      ['bench', 'qp', '--dtype', 'float16'],
      /--dtype must be float64 or float32; got "float16"/,
    ],
    [
      ['bench', 'qp', '--nz', '3', '--neq', '4'],
      /--neq must be ≤ --nz .*got --neq 4, --nz 3/,
    ],
    [['bench', 'qp', 'extra'], /takes no positional arguments; got "extra"/],
  ];
  for (const [argv, pattern] of cases) {
    const r = await run(...argv);
    assert.is(r.code, 2, argv.join(' '));
    assert.match(r.stderr, pattern);
  }
});

test('help prints the usage (exit 0); no command or an unknown one exits 2', async () => {
  for (const h of ['help', '--help', '-h']) {
    const r = await run(h);
    assert.is(r.code, 0);
    assert.match(r.stdout, /optnet solve FILE\.qps/);
    assert.match(r.stdout, /optnet bench qp/);
  }
  const none = await run();
  assert.is(none.code, 2);
  assert.match(none.stderr, /Usage:/);
  const unknown = await run('frobnicate');
  assert.is(unknown.code, 2);
  assert.match(
    unknown.stderr,
    /optnet: unknown command; got "frobnicate"\. The commands: sudoku, denoise, classify, solve, bench, help\./,
  );
});

test('usage hints name the command that failed, as the user runs it', async () => {
  const cases: [string[], string][] = [
    [['frobnicate'], 'optnet --help'],
    [['bench', 'qp', '--nz', '0'], 'optnet bench --help'],
    [['denoise', '--lambda', '0'], 'optnet denoise --help'],
    [['classify', '--nineq', 'x'], 'optnet classify --help'],
  ];
  for (const [argv, help] of cases) {
    const r = await run(...argv);
    assert.is(r.code, 2);
    assert.ok(r.stderr.endsWith(`\nRun "${help}" for the usage.\n`), r.stderr);
  }
  const clone = await runAs({ prog: 'pnpm optnet' }, 'sudoku', '--epoch', '3');
  assert.is(clone.code, 2);
  assert.match(clone.stderr, /\nRun "pnpm optnet sudoku --help" for the usage/);
});

test("a clone's `pnpm optnet` runs scripts/optnet.ts, whose hints say pnpm optnet", () => {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const script = 'scripts/optnet.ts';
  assert.ok(pkg.scripts.optnet.endsWith(script), pkg.scripts.optnet);
  assert.ok(pkg.scripts.sudoku.endsWith(`${script} sudoku`));
  const rest = ['denoise', '--lambda', '0'];
  const r = spawnSync(
    process.execPath,
    [
      '--conditions=source',
      '--import',
      './scripts/register.mjs',
      script,
      ...rest,
    ],
    {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, OPTNET_THREADS: '1' },
    },
  );
  assert.is(r.status, 2, r.stderr);
  assert.ok(
    r.stderr.endsWith('\nRun "pnpm optnet denoise --help" for the usage.\n'),
    r.stderr,
  );
});

test('--version prints the package version', async () => {
  const pkg = JSON.parse(
    readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
  );
  for (const v of ['--version', '-v']) {
    const r = await run(v);
    assert.is(r.code, 0);
    assert.is(r.stdout.trim(), pkg.version);
  }
});

test('each command --help documents every flag with its default', async () => {
  const solve = await run('solve', '--help');
  assert.is(solve.code, 0);
  for (const f of ['--json', '--no-scale', '--tol', '--max-iter', '--dtype'])
    assert.ok(solve.stdout.includes(f), f);
  assert.match(
    solve.stdout,
    /--dtype float64\|float32\s+precision of the solve \(default float64\)/,
  );
  for (const argv of [
    ['bench', 'qp', '--help'],
    ['bench', '--help'],
  ]) {
    const bench = await run(...argv);
    assert.is(bench.code, 0);
    for (const f of [
      '--batch',
      '--nz',
      '--nineq',
      '--neq',
      '--reps',
      '--seed',
      '--json',
    ])
      assert.ok(bench.stdout.includes(f), f);
    assert.match(bench.stdout, /--batch N\s+QPs in the batch \(default 128\)/);
  }
});

test.run();
