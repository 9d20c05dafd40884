// Bundles the pages (page.ts, sudoku-page.ts and the @optnet packages they
// import) for the browser with esbuild into OUT (default ./dist):
// index.html with page.js, sudoku.html with sudoku.js.
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
    entryPoints: {
      page: join(here, 'page.ts'),
      sudoku: join(here, 'sudoku-page.ts'),
    },
    outdir: out,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['source'],
    logLevel: 'warning',
  });
  for (const html of ['index.html', 'sudoku.html'])
    copyFileSync(join(here, html), join(out, html));
  return out;
}

if (
  process.argv[1] &&
  resolve(process.argv[1]) === fileURLToPath(import.meta.url)
) {
  console.log(`built ${await buildPage(process.argv[2])}`);
}
