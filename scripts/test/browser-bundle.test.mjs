// Every package entry bundles for the browser: esbuild with platform
// 'browser' (workspace packages from their sources) and no Node built-in
// in its import graph, not even a lazy `await import('node:fs')` (a plain
// esbuild build of the user's page fails on that too). The entries that
// exist for Node alone are listed here.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { build } from 'esbuild';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Entries that are Node-only by design, each with the reason. */
const NODE_ONLY = {
  '@optnet/tensor/threads': 'worker threads (node:worker_threads)',
  '@optnet/tensor/cpu-worker': 'the body of a worker thread',
  '@optnet/optnet/cli': 'the command line (files, process)',
  '@optnet/nn/node': 'checkpoint and data files (node:fs)',
};

const builtins = new Set(builtinModules);
const isBuiltin = (path) =>
  path.startsWith('node:') || builtins.has(path.split('/')[0]);

/** Every package's exports entries: { name, source }. */
function entries() {
  const out = [];
  for (const dir of readdirSync(join(root, 'packages'))) {
    const path = join(root, 'packages', dir);
    if (!existsSync(join(path, 'package.json'))) continue;
    const pkg = JSON.parse(readFileSync(join(path, 'package.json'), 'utf8'));
    for (const [key, conds] of Object.entries(pkg.exports ?? {})) {
      const name = key === '.' ? pkg.name : `${pkg.name}/${key.slice(2)}`;
      out.push({ name, source: join(path, conds.source) });
    }
  }
  return out;
}

/**
 * Bundle `source` for the browser; returns the Node built-ins it imports,
 * statically or lazily.
 */
async function staticBuiltins(source) {
  const found = [];
  await build({
    entryPoints: [source],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    conditions: ['source'],
    logLevel: 'silent',
    plugins: [
      {
        name: 'node-builtins',
        setup(b) {
          b.onResolve({ filter: /.*/ }, (args) => {
            // Dependencies resolve as a browser bundler resolves them
            // (seedrandom's `browser` field drops its require('crypto')); a
            // built-in one still needs fails the build.
            const ours = args.importer.startsWith(join(root, 'packages'));
            if (!isBuiltin(args.path) || !ours) return undefined;
            found.push(`${args.path} (from ${args.importer})`);
            return { path: args.path, external: true };
          });
        },
      },
    ],
  });
  return found;
}

test('the entry list covers every package, and the Node-only ones exist', () => {
  const names = entries().map((e) => e.name);
  for (const p of ['tensor', 'autograd', 'nn', 'optnet'])
    assert.ok(names.includes(`@optnet/${p}`), p);
  for (const name of Object.keys(NODE_ONLY))
    assert.ok(names.includes(name), `${name} is still an entry`);
});

for (const { name, source } of entries()) {
  if (name in NODE_ONLY) continue;
  test(`${name} bundles for the browser without a Node built-in`, async () => {
    const found = await staticBuiltins(source);
    assert.equal(found, [], `${name} imports Node built-ins statically`);
  });
}

test('a static Node import is caught (the check can fail)', async () => {
  const found = await staticBuiltins(
    join(root, 'packages', 'tensor', 'src', 'cpu', 'threads.ts'),
  );
  assert.ok(found.some((f) => f.startsWith('node:worker_threads')));
});

test.run();
