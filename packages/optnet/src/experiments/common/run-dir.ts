/**
 * Run folders of the experiment commands: each training run writes its
 * config, metrics, plots and checkpoint into a folder of its own, which is
 * never overwritten (a new default folder gets a fresh name; an existing,
 * non-empty `--out` folder is refused). Every file is written atomically.
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '@optnet/nn/node';
import { UsageError } from './flags.js';

/** A timestamp for folder names: 2026-12-03T10-15-02 (local time). */
function stamp(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return (
    `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}` +
    `T${p(d.getHours())}-${p(d.getMinutes())}-${p(d.getSeconds())}`
  );
}

/**
 * Create the run folder: `out` if given (it must not exist or be empty),
 * else a new folder `runs/<prefix>-<time>` (with -2, -3, ... if taken).
 * Mistakes are UsageErrors that start with `cmd`.
 * @example
 * const dir = createRunDir('optnet sudoku', undefined, 'sudoku-optnet'); // runs/sudoku-optnet-2026-...
 */
export function createRunDir(
  cmd: string,
  out: string | undefined,
  prefix: string,
): string {
  if (out !== undefined) {
    checkOut(cmd, out);
    mkdirOrRefuse(cmd, out);
    return out;
  }
  mkdirOrRefuse(cmd, 'runs');
  const base = join('runs', `${prefix}-${stamp(new Date())}`);
  for (let k = 1; ; k++) {
    const dir = k === 1 ? base : `${base}-${k}`;
    try {
      mkdirSync(dir); // fails if it exists: never reuse a folder
      return dir;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

/** `--out DIR` must be a new or empty folder. */
function checkOut(cmd: string, out: string): void {
  if (!existsSync(out)) return;
  const rule = `${cmd}: --out must be a new or empty folder (runs are never overwritten)`;
  if (!statSync(out).isDirectory()) {
    throw new UsageError(`${rule}; got "${out}", a file. Pick a folder.`);
  }
  if (readdirSync(out).length > 0) {
    throw new UsageError(
      `${rule}; got "${out}" with files in it. ` +
        `Pick another folder, or continue that run with --resume ${out}.`,
    );
  }
}

function mkdirOrRefuse(cmd: string, dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new UsageError(
      `${cmd}: cannot create the run folder "${dir}"; got ${why}. Pick a folder you can write to with --out DIR.`,
    );
  }
}

/**
 * Write `value` as pretty JSON to `dir/name`, atomically.
 * @example
 * await writeJson(dir, 'config.json', { model: 'optnet' });
 */
export async function writeJson(
  dir: string,
  name: string,
  value: unknown,
): Promise<void> {
  await writeFileAtomic(join(dir, name), `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Read `dir/name` as JSON; a UsageError when it is missing or unreadable
 * (for the files a run writes besides its config, whose callers fall back
 * when they are missing).
 * @example
 * const start = readJson(dir, 'start.json');
 */
export function readJson(dir: string, name: string): unknown {
  const path = join(dir, name);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new UsageError(`${path}: cannot read it.`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(
      `${path}: not valid JSON; got ${(e as Error).message}.`,
    );
  }
}

/** Where readRunConfig reads, and what it checks. */
export interface RunConfigRequest {
  /** The command, for the errors ('optnet sudoku'). */
  cmd: string;
  /** The flag that named the folder ('--resume', '--run'). */
  flag: string;
  dir: string;
  /** The `command` its config.json must hold ('sudoku'). */
  command: string;
  /** Keys its config.json must have. */
  required: readonly string[];
}

/**
 * A run folder's config.json, checked to come from `command` and to have
 * the `required` keys. Every mistake is one UsageError that starts with
 * `cmd` and names `flag`.
 * @example
 * const c = readRunConfig({ cmd: 'optnet sudoku', flag: '--resume', dir,
 *   command: 'sudoku', required: ['model', 'data'] });
 */
export function readRunConfig(r: RunConfigRequest): Record<string, unknown> {
  const path = join(r.dir, 'config.json');
  const rule = `${r.cmd}: ${r.flag} needs the folder of a ${r.command} run`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    const what = existsSync(r.dir)
      ? 'with no readable config.json in it'
      : 'which does not exist';
    throw new UsageError(
      `${rule}; got "${r.dir}", ${what}. Pass the folder a training run wrote (its --out).`,
    );
  }
  let c: Record<string, unknown>;
  try {
    c = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new UsageError(
      `${r.cmd}: ${path} must be JSON; got ${(e as Error).message}. Fix the file or start a new run.`,
    );
  }
  const other = typeof c?.command === 'string' ? c.command : null;
  if (other !== r.command) {
    const got =
      other === null
        ? `"${r.dir}", whose config.json names no command`
        : `"${r.dir}", a ${other} run (its config.json says so)`;
    const hint =
      other === null ? '' : ` Continue it with the ${other} command.`;
    throw new UsageError(`${rule}; got ${got}.${hint}`);
  }
  const missing = r.required.filter((k) => c[k] === undefined);
  if (missing.length > 0) {
    throw new UsageError(
      `${r.cmd}: ${path} must have ${missing.map((k) => `"${k}"`).join(', ')}; got none. Fix the file or start a new run.`,
    );
  }
  return c;
}

/**
 * Rows as CSV text (header first); numbers written in full precision.
 * @example
 * csvText(['epoch', 'loss'], [[1, 0.5]]); // 'epoch,loss\n1,0.5\n'
 */
export function csvText(
  header: readonly string[],
  rows: readonly (readonly (number | string)[])[],
): string {
  return [header.join(','), ...rows.map((r) => r.join(',')), ''].join('\n');
}
