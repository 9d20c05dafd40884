// Builds one package (run from its folder): esbuild bundles each entry in
// package.json `exports` to dist/*.js (ESM, dependencies left external), and
// tsc emits the .d.ts files next to them.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const entries = Object.values(pkg.exports).map((e) => e.source);
rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: entries,
  outdir: 'dist',
  outbase: 'src',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  mainFields: ['module', 'main'],
  external: [
    ...Object.keys(pkg.dependencies ?? {}),
    ...Object.keys(pkg.peerDependencies ?? {}),
    'node:*',
  ],
  logLevel: 'warning',
});
const tsc = join(
  import.meta.dirname ?? '.',
  '..',
  'node_modules',
  'typescript',
  'bin',
  'tsc',
);
rmSync('tsconfig.tsbuildinfo', { force: true });
execFileSync(process.execPath, [tsc, '-b', 'tsconfig.json'], {
  stdio: 'inherit',
});
console.log(`built ${pkg.name}`);
