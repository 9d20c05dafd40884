// Runs one README example with plain node in a project folder and checks
// every line whose comment states what it prints (expectations.mjs).
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compareLine } from './expectations.mjs';
import { expectations, instrument } from './readme-examples.mjs';

const runtimeUrl = pathToFileURL(
  join(dirname(fileURLToPath(import.meta.url)), 'expect-runtime.mjs'),
).href;

/**
 * Write `code` to `<dir>/<name>.mjs` (instrumented), run it there with
 * plain node (no --conditions=source: what an npm user runs) and compare
 * each commented line's printed numbers with its comment. Returns
 * `{ ok, failure, output, checked, mismatches }`: `failure` says why the
 * process failed (null when it exited 0), `mismatches` lists
 * `{ index, problem }` with `index` the 0-based line in `code`.
 * @example
 * const r = runExample({ code: 'console.log(0.5); // 0.5\n', dir, name: 'a' });
 * r.ok; // true
 */
export function runExample({ code, dir, name, timeoutMs = 120_000 }) {
  const lines = expectations(code);
  const file = join(dir, `${name}.mjs`);
  const log = join(dir, `${name}.expect.jsonl`);
  writeFileSync(file, instrument(code, lines, runtimeUrl));
  writeFileSync(log, '');
  const r = spawnSync(process.execPath, [file], {
    cwd: dir,
    // No colour codes in the output we show and match.
    env: { ...process.env, FORCE_COLOR: '0', OPTNET_EXPECT_LOG: log },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    timeout: timeoutMs,
  });
  const calls = lines.map(() => []);
  for (const row of readFileSync(log, 'utf8').split('\n')) {
    if (row === '') continue;
    const { k, numbers } = JSON.parse(row);
    calls[k].push(numbers.map(Number));
  }
  const mismatches = lines
    .map((e, k) => ({
      index: e.index,
      problem: compareLine(e.stated, calls[k]),
    }))
    .filter((m) => m.problem !== null);
  const failure = r.error
    ? r.error.message
    : r.signal
      ? `killed by ${r.signal}`
      : r.status !== 0
        ? `exit ${r.status}`
        : null;
  return {
    ok: failure === null && mismatches.length === 0,
    failure,
    output: `${r.stdout ?? ''}${r.stderr ?? ''}`,
    checked: lines.length,
    mismatches,
  };
}
