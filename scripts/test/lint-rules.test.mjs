// The project's own lint rules (eslint.config.mjs, STYLE §1) really fire:
// no Math.random in a package's src/ (randomness takes a seeded rng), and
// only packages/gpu may touch navigator.gpu or the WebGPU GPU* globals;
// tests and the gpu package keep what they need. Linted in memory with
// ESLint's API, as the files would be at those paths.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const eslint = new ESLint({ cwd: root });

/** The rule ids ESLint reports for `code` as if it were at `path`. */
async function rulesAt(path, code) {
  const [result] = await eslint.lintText(code, {
    filePath: join(root, path),
  });
  return result.messages.map((m) => m.ruleId);
}

const RANDOM = 'export const draw = (): number => Math.random();\n';
const NAVIGATOR =
  'export const gpu = (): unknown => navigator.gpu;\n' +
  'export const usage = (): number => GPUBufferUsage.STORAGE;\n';

test('Math.random is an error in every package src/, gpu included', async () => {
  for (const p of ['tensor', 'autograd', 'nn', 'optnet', 'gpu']) {
    const rules = await rulesAt(`packages/${p}/src/x.ts`, RANDOM);
    assert.equal(rules, ['no-restricted-properties'], p);
  }
});

test('Math.random stays allowed in tests and scripts', async () => {
  assert.equal(await rulesAt('packages/tensor/test/x.test.ts', RANDOM), []);
  assert.equal(await rulesAt('bench/x.ts', RANDOM), []);
});

test('navigator.gpu and GPU* globals: only packages/gpu', async () => {
  for (const p of ['tensor', 'autograd', 'nn', 'optnet']) {
    const rules = await rulesAt(`packages/${p}/src/x.ts`, NAVIGATOR);
    assert.equal(rules, ['no-restricted-globals', 'no-restricted-globals'], p);
  }
  assert.equal(await rulesAt('packages/gpu/src/x.ts', NAVIGATOR), []);
});

test.run();
