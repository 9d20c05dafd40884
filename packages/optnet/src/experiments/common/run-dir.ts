/**
 * Run folders of the experiment commands: each training run writes its
 * config, metrics, plots and checkpoint into a folder of its own, which is
 * never overwritten (a new default folder gets a fresh name; an existing,
 * non-empty `--out` folder is refused). Every file is written atomically.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
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
 * @example
 * const dir = createRunDir(undefined, 'sudoku-optnet'); // runs/sudoku-optnet-2026-...
 */
export function createRunDir(out: string | undefined, prefix: string): string {
  if (out !== undefined) {
    if (existsSync(out) && readdirSync(out).length > 0) {
      throw new UsageError(
        `--out: the folder must be new or empty (runs are never overwritten); got "${out}" with files in it. ` +
          `Pick another folder, or continue that run with --resume ${out}.`,
      );
    }
    mkdirSync(out, { recursive: true });
    return out;
  }
  mkdirSync('runs', { recursive: true });
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
 * Read `dir/name` as JSON; a UsageError naming the folder when it is missing
 * or unreadable.
 * @example
 * const config = readJson(dir, 'config.json');
 */
export function readJson(dir: string, name: string): unknown {
  const path = join(dir, name);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new UsageError(
      `${dir}: not a run folder; got no readable ${name} in it. Pass the folder a training run wrote (its --out).`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(
      `${path}: not valid JSON; got ${(e as Error).message}.`,
    );
  }
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
