// Finding, instrumenting and running README examples
// (scripts/lib/readme-examples.mjs, run-example.mjs), and the repository's
// own READMEs against them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  commentStart,
  expectations,
  filesRead,
  instrument,
  jsBlocks,
} from '../lib/readme-examples.mjs';
import { runExample } from '../lib/run-example.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const fence = '```';

test('jsBlocks: js, javascript and mjs blocks, no-run marked, lines 1-based', () => {
  const md = [
    '# Title', // 1
    `${fence}js`, // 2
    'console.log(1);', // 3
    fence, // 4
    `${fence}sh`, // 5
    'npm i x', // 6
    fence, // 7
    `  ${fence}javascript no-run`, // 8
    '  fragment();', // 9
    `  ${fence}`, // 10
    `${fence}\`md`, // 11: a longer fence holds a js fence as text
    `${fence}js`,
    'notCode();',
    fence,
    `${fence}\``,
    `${fence}mjs`,
    'await x;',
    fence,
  ].join('\n');
  const blocks = jsBlocks(md);
  assert.equal(
    blocks.map((b) => [b.line, b.info, b.run, b.code]),
    [
      [3, 'js', true, 'console.log(1);\n'],
      [9, 'javascript no-run', false, 'fragment();\n'],
      [17, 'mjs', true, 'await x;\n'],
    ],
  );
});

test('commentStart: skips // inside strings', () => {
  assert.is(commentStart("f('a // b'); // c"), 13);
  assert.is(commentStart('f("http://x", `//`)'), -1);
  assert.is(commentStart("f('it\\'s // no') // yes"), 17);
  assert.is(commentStart('x; // a // b'), 3);
});

test('expectations: console.log lines whose comment states numbers', () => {
  const code = [
    'const z = f(); // [32, 6]', // not a console.log line
    "console.log('z =', z); // ≈ [0.5, 1]",
    "console.log('tree'); // prints the tree", // states nothing
    "console.log('a // b', y); // 3 (n)",
    '// console.log(9); // 9', // commented-out: the call is in the comment
  ].join('\n');
  const found = expectations(code);
  assert.equal(
    found.map((e) => [e.index, e.stated.map((t) => t.value)]),
    [
      [1, [0.5, 1]],
      [3, [3]],
    ],
  );
});

test('instrument: rewrites the commented lines only, keeps line numbers', () => {
  const code = 'const a = 1;\nconsole.log(a); // 1\nconsole.log(a);\n';
  const out = instrument(code, expectations(code), 'file:///r.mjs');
  const lines = out.split('\n');
  assert.is(lines.length, code.split('\n').length);
  assert.is(lines[0], 'import "file:///r.mjs"; const a = 1;');
  assert.is(lines[1], 'globalThis.__optnetExpect(0)(a); // 1');
  assert.is(lines[2], 'console.log(a);');
});

test('filesRead: literal names passed to readFileSync / readFile', () => {
  const code = [
    "const d = parseQps(readFileSync('HS21.QPS', 'utf8'));",
    'const e = await readFile("data/x.csv");',
    'readFileSync(name);',
  ].join('\n');
  assert.equal(filesRead(code), ['HS21.QPS', 'data/x.csv']);
});

test('runExample: checks each commented line against what it printed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'optnet-example-'));
  try {
    const good = runExample({
      dir,
      name: 'good',
      code: [
        "console.log('z =', [Math.PI, 1 / 3]); // ≈ [3.142, 0.333]",
        "console.log('n =', 40 + 2); // 42",
        "console.log('unchecked', 1.5); // prose only",
      ].join('\n'),
    });
    assert.ok(good.ok, JSON.stringify(good));
    assert.is(good.checked, 2);
    assert.match(good.output, /z = \[ 3\.14159/);

    const bad = runExample({
      dir,
      name: 'bad',
      code: [
        'console.log(Math.PI); // 3.15',
        'for (const i of [1, 2]) console.log(i); // 1',
        "if (false) console.log('never'); // 0",
        "throw new Error('after the prints');",
      ].join('\n'),
    });
    assert.not.ok(bad.ok);
    assert.is(bad.failure, 'exit 1');
    assert.match(bad.output, /after the prints/);
    assert.equal(
      bad.mismatches.map((m) => m.index),
      [0, 1, 2],
    );
    assert.match(
      bad.mismatches[0].problem,
      /states 3.15, the line printed 3.14/,
    );
    assert.match(bad.mismatches[1].problem, /printed 2 times/);
    assert.match(bad.mismatches[2].problem, /never printed/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The repository's READMEs: the root one and each package's. */
function repoReadmes() {
  const out = [join(root, 'README.md')];
  for (const d of readdirSync(join(root, 'packages'))) {
    const f = join(root, 'packages', d, 'README.md');
    if (existsSync(f)) out.push(f);
  }
  return out;
}

test('every README js block is valid ESM, and every package README has one that runs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'optnet-syntax-'));
  try {
    for (const readme of repoReadmes()) {
      const blocks = jsBlocks(readFileSync(readme, 'utf8'));
      if (readme !== join(root, 'README.md'))
        assert.ok(
          blocks.some((b) => b.run),
          `${readme}: no runnable example`,
        );
      for (const b of blocks.filter((x) => x.run)) {
        const file = join(dir, 'block.mjs');
        writeFileSync(file, b.code);
        const r = spawnSync(process.execPath, ['--check', file], {
          encoding: 'utf8',
        });
        assert.is(r.status, 0, `${readme}:${b.line}: ${r.stderr}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
