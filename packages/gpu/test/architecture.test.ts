// The package graph around gpu as a checked property: gpu's sources import
// only @optnet/tensor (and their own files), and no other package's
// sources import @optnet/gpu: an app plugs it in with setBackend. Imports
// are read with a regex over the source text without its comments (doc
// examples import freely): static, side-effect and dynamic imports with a
// literal specifier.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGES = fileURLToPath(new URL('../../', import.meta.url));
const IMPORT = /(?:from\s*|import\s*\(?\s*)'([^'.][^']*)'/g;

/** Every .ts file under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** The text without block comments and whole-line // comments. */
const code = (text: string): string =>
  text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');

/** `file: specifier` for each non-relative import in `pkg`'s src/. */
function imports(pkg: string): string[] {
  return sources(join(PACKAGES, pkg, 'src')).flatMap((f) =>
    [...code(readFileSync(f, 'utf8')).matchAll(IMPORT)].map(
      (m) => `${relative(PACKAGES, f)}: ${m[1]}`,
    ),
  );
}

test('the import regex reads static, type-only and dynamic imports, not relative ones', () => {
  const text = `import { a } from '@optnet/tensor';\nimport type {\n  B,\n} from '@optnet/nn';\nexport { c } from './c.js';\nawait import('webgpu');`;
  const found = [...text.matchAll(IMPORT)].map((m) => m[1]);
  assert.equal(found, ['@optnet/tensor', '@optnet/nn', 'webgpu']);
  const doc = `/**\n * import { x } from '@optnet/gpu';\n */\n// import '@optnet/nn';\n`;
  assert.equal([...code(doc).matchAll(IMPORT)], []);
});

test('@optnet/gpu imports only @optnet/tensor', () => {
  const all = imports('gpu');
  assert.ok(all.length > 0, 'found its imports');
  assert.equal(
    all.filter((l) => !l.endsWith(': @optnet/tensor')),
    [],
  );
});

test('no other package imports @optnet/gpu', () => {
  const others = readdirSync(PACKAGES).filter(
    (p) => p !== 'gpu' && statSync(join(PACKAGES, p, 'src')).isDirectory(),
  );
  assert.ok(others.includes('tensor') && others.includes('nn'));
  const uses = others.flatMap(imports).filter((l) => l.includes('@optnet/gpu'));
  assert.equal(uses, []);
});

test.run();
