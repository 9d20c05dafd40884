// The API reference (scripts/docs.mjs, `pnpm docs:api`): its check fails on
// what STYLE §5 rules out, and the real reference has a page for every
// export of every entry point, STYLE §8's names among them, with no link
// that leads nowhere.
//
// Building the real reference takes TypeDoc about 40 s on 2 cores. .ci/run
// builds it as a named check just before the tests and sets
// OPTNET_DOCS_BUILT=1, and these tests then read that docs/api/; otherwise
// they build it into a temporary folder first. OPTNET_SKIP_DOCS=1 leaves
// the real reference out (the fixture test still runs).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDocs, entryPoints, MANIFEST, packageDirs } from '../docs.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'optnet-docs-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

/** A package of one entry point whose comments break each rule once. */
function writeFixture(dir) {
  mkdirSync(join(dir, 'src'), { recursive: true });
  const pkg = {
    name: '@fixture/docs',
    type: 'module',
    exports: { '.': { source: './src/index.ts', default: './x.js' } },
  };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg));
  writeFileSync(join(dir, 'README.md'), '# fixture\n');
  const tsconfig = {
    extends: join(root, 'tsconfig.base.json'),
    compilerOptions: { rootDir: 'src', outDir: 'dist', types: [] },
    include: ['src'],
  };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
  const src = [
    '/**',
    ' * The fixture.',
    ' * @module fixture',
    ' */',
    '/**',
    ' * Documented, with an example.',
    ' * @example',
    ' * good(); // 1',
    ' */',
    'export function good(): number {',
    '  return 1;',
    '}',
    'export function bare(): number {',
    '  return 2;',
    '}',
    '/** Documented, without an example. */',
    'export const noExample = 3;',
    '/**',
    ' * Links to {@link Nowhere}.',
    ' * @example',
    ' * broken();',
    ' */',
    'export function broken(): void {}',
    'interface Hidden {',
    '  a: number;',
    '}',
    '/**',
    ' * Takes a type the package does not export.',
    ' * @example',
    ' * leaky({ a: 1 });',
    ' */',
    'export function leaky(h: Hidden): number {',
    '  return h.a;',
    '}',
    '',
  ];
  writeFileSync(join(dir, 'src', 'index.ts'), src.join('\n'));
}

test('the check fails on a bare export, one without @example, a broken link, an unexported type', async () => {
  const dir = join(tmp, 'fixture');
  writeFixture(dir);
  const out = join(tmp, 'fixture-out');
  const { problems } = await buildDocs(dir, out, { quiet: true });
  const text = problems.join('\n');
  assert.match(text, /bare \(\w+\).*does not have any documentation/, text);
  assert.match(text, /bare \(Function\) has no @example/);
  assert.match(text, /noExample \(Variable\) has no @example/);
  assert.match(text, /Failed to resolve link to "Nowhere"/);
  assert.match(text, /Hidden.*not included in the documentation/);
  assert.not.match(text, /\bgood\b/);
  assert.is(problems.length, 5, text);
  assert.not.ok(existsSync(out), 'no pages are written when a check fails');
});

/** Every file under `dir`. */
function* walk(dir) {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) yield* walk(p);
    else yield p;
  }
}

/** STYLE §8: the names each package's main entry must document. */
const MAIN = {
  '@optnet/tensor': [
    'Tensor',
    'tensor',
    'zeros',
    'randn',
    'matmul',
    'broadcastShapes',
    'setBackend',
    'defineOp',
    'ShapeError',
  ],
  '@optnet/autograd': [
    'grad',
    'valueAndGrad',
    'vjp',
    'noGrad',
    'definePrimitive',
  ],
  '@optnet/autograd/testing': ['checkVjp'],
  '@optnet/nn': [
    'Module',
    'Linear',
    'Conv2d',
    'Sequential',
    'crossEntropy',
    'SGD',
    'Adam',
    'kaimingUniform',
  ],
  '@optnet/optnet': ['qp', 'solveQp', 'OptNetLayer', 'QpError'],
};

if (process.env.OPTNET_SKIP_DOCS === '1') {
  console.log('docs: OPTNET_SKIP_DOCS=1, the real reference is not checked');
} else {
  const built = process.env.OPTNET_DOCS_BUILT === '1';
  const docs = built ? join(root, 'docs', 'api') : join(tmp, 'api');

  test.before(async () => {
    if (built) return;
    for (const dir of packageDirs()) {
      const { name, problems } = await buildDocs(
        dir,
        join(docs, basename(dir)),
        { quiet: true },
      );
      assert.equal(problems, [], `${name}: pnpm docs:api reports problems`);
    }
  });

  test('each entry point has its own module, with a page per export', () => {
    for (const dir of packageDirs()) {
      const { name, entries } = entryPoints(dir);
      const out = join(docs, basename(dir));
      const manifest = JSON.parse(readFileSync(join(out, MANIFEST), 'utf8'));
      const modules = new Set(manifest.map((e) => e.entry));
      for (const { subpath } of entries) {
        const entry = subpath === '.' ? name : `${name}${subpath.slice(1)}`;
        assert.ok(modules.has(entry), `${entry}: no module (a @module tag?)`);
      }
      for (const e of manifest)
        assert.ok(existsSync(join(out, e.page)), `${e.name}: no ${e.page}`);
    }
  });

  test("STYLE §8's exports are documented where users import them", () => {
    const all = packageDirs().flatMap((dir) => {
      const file = join(docs, basename(dir), MANIFEST);
      return JSON.parse(readFileSync(file, 'utf8'));
    });
    for (const [entry, names] of Object.entries(MAIN)) {
      for (const n of names) {
        const hit = all.find((e) => e.entry === entry && e.name === n);
        assert.ok(hit, `${entry}: ${n} has no page`);
      }
    }
  });

  test('every link of every page leads to a file', () => {
    let links = 0;
    const broken = [];
    for (const file of walk(docs)) {
      if (!file.endsWith('.html')) continue;
      const html = readFileSync(file, 'utf8');
      for (const [, url] of html.matchAll(/(?:href|src)="([^"]*)"/g)) {
        if (url === '' || url.startsWith('#') || /^[a-z]+:/i.test(url))
          continue;
        links += 1;
        const path = decodeURI(url.split('#')[0].split('?')[0]);
        if (!existsSync(resolve(dirname(file), path)))
          broken.push(`${file.slice(docs.length + 1)} → ${url}`);
      }
    }
    assert.ok(links > 1000, `only ${links} links: is ${docs} built?`);
    assert.equal(broken.slice(0, 10), [], `${broken.length} broken links`);
  });

  test('nn and optnet pages link Tensor to the tensor reference', () => {
    // One entry point names pages Linear.html, several _optnet_nn.Linear.html.
    const classes = join(docs, 'nn', 'classes');
    const name = readdirSync(classes).find((f) =>
      /(^|\.)Linear\.html$/.test(f),
    );
    assert.ok(name, 'a page for Linear');
    const page = readFileSync(join(classes, name), 'utf8');
    assert.match(page, /href="\.\.\/\.\.\/tensor\/classes\/[^"]*Tensor\.html"/);
  });
}

test.run();
