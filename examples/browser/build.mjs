// Bundles the page (page.ts and the @optnet packages it imports) for the
// browser with esbuild into OUT (default ./dist): index.html and page.js.
//   node examples/browser/build.mjs [OUT]
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** Bundle into `out`; resolves when written. */
export async function buildPage(out = join(here, 'dist')) {
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: [join(here, 'page.ts')],
    outfile: join(out, 'page.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['source'],
    logLevel: 'warning',
  });
  copyFileSync(join(here, 'index.html'), join(out, 'index.html'));
  return out;
}

if (
  process.argv[1] &&
  resolve(process.argv[1]) === fileURLToPath(import.meta.url)
) {
  console.log(`built ${await buildPage(process.argv[2])}`);
}
