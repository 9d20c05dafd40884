// Every test file's tests run: uvu runs the tests registered before
// `test.run()`, so a test written below it is silently never run (four
// such tests went unnoticed for a day). Each *.test.ts / *.test.mjs under
// packages/*/test and scripts/test calls `test.run()` once, after its last
// `test(...)`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The test files under `dir`, recursively. */
function testFiles(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules') continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...testFiles(path));
    else if (/\.test\.m?[jt]s$/.test(e.name)) out.push(path);
  }
  return out;
}

/**
 * What is wrong with a test file's text: '' when it registers tests and
 * calls test.run() once, after the last of them.
 */
export function runProblem(text) {
  const lines = text.split('\n');
  const runs = lines.flatMap((l, i) =>
    /^test\.run\(\);?\s*$/.test(l) ? [i] : [],
  );
  const tests = lines.flatMap((l, i) =>
    /^test(\.only)?\(/.test(l) ? [i] : [],
  );
  if (tests.length === 0) return '';
  if (runs.length !== 1) return `test.run() ${runs.length} times`;
  const late = tests.filter((i) => i > runs[0]);
  if (late.length > 0)
    return `test(...) at line ${late[0] + 1} comes after test.run() (line ${runs[0] + 1}) and never runs; move test.run() to the end`;
  return '';
}

test('the check itself: a test after test.run() and a missing run are found', () => {
  assert.is(runProblem("test('a', () => {});\ntest.run();\n"), '');
  assert.match(
    runProblem("test('a', () => {});\ntest.run();\ntest('b', () => {});\n"),
    /line 3 comes after test\.run\(\) \(line 2\)/,
  );
  assert.match(runProblem("test('a', () => {});\n"), /test\.run\(\) 0 times/);
});

test('every test file runs all its tests: test.run() once, at the end', () => {
  const dirs = [
    ...readdirSync(join(root, 'packages')).map((p) =>
      join(root, 'packages', p, 'test'),
    ),
    join(root, 'scripts', 'test'),
  ];
  const files = dirs.flatMap((d) => {
    try {
      return testFiles(d);
    } catch {
      return [];
    }
  });
  assert.ok(files.length > 50, `found only ${files.length} test files`);
  const bad = files
    .map((f) => [relative(root, f), runProblem(readFileSync(f, 'utf8'))])
    .filter(([, p]) => p !== '');
  assert.equal(bad, []);
});

test.run();
