// The layout of src/ as a checked property: no import cycle between files,
// and each folder imports only the layers below it (README "Layout").
// Imports are read with a regex over the source text: every `from '...'`,
// side-effect `import '...'` and `import('...')` with a relative path.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') ? [relative(SRC, path)] : [];
  });
}

const IMPORT = /(?:from\s*|import\s*\(?\s*)'(\.{1,2}\/[^']+)'/g;

/** file → the files it imports (paths relative to src/, `.ts`). */
function importGraph(files: readonly string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(join(SRC, file), 'utf8');
    const targets = [...text.matchAll(IMPORT)].map((m) =>
      normalize(join(dirname(file), m[1])).replace(/\.js$/, '.ts'),
    );
    graph.set(file, targets);
  }
  return graph;
}

/** One cycle as a path [a, b, ..., a], or null (depth-first, 3 colours). */
function findCycle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (v: string): string[] | null => {
    if (state.get(v) === 'done') return null;
    if (state.get(v) === 'open') return [...path.slice(path.indexOf(v)), v];
    state.set(v, 'open');
    path.push(v);
    for (const w of graph.get(v) ?? []) {
      const c = visit(w);
      if (c !== null) return c;
    }
    path.pop();
    state.set(v, 'done');
    return null;
  };
  for (const v of graph.keys()) {
    const c = visit(v);
    if (c !== null) return c;
  }
  return null;
}

const files = sources(SRC);
const graph = importGraph(files);

test('findCycle finds a cycle through three files and none in a tree', () => {
  const cyclic = new Map([
    ['a.ts', ['b.ts']],
    ['b.ts', ['c.ts', 'd.ts']],
    ['c.ts', ['a.ts']],
    ['d.ts', []],
  ]);
  assert.equal(findCycle(cyclic), ['a.ts', 'b.ts', 'c.ts', 'a.ts']);
  cyclic.set('c.ts', ['d.ts']);
  assert.is(findCycle(cyclic), null);
});

test('the import regex reads multi-line, type-only and dynamic imports', () => {
  const text = `import {\n  a,\n  type B,\n} from './x.js';\nimport type { C } from '../y.js';\nexport { d } from './z.js';\nawait import('./w.js');\nimport '@optnet/tensor';`;
  const found = [...text.matchAll(IMPORT)].map((m) => m[1]);
  assert.equal(found, ['./x.js', '../y.js', './z.js', './w.js']);
});

test('src/ has no import cycle between files', () => {
  assert.ok(graph.size > 20, `read ${graph.size} files`);
  const cycle = findCycle(graph);
  assert.is(cycle, null, `import cycle: ${cycle?.join(' → ')}`);
});

test('every relative import names a file in src/', () => {
  for (const [file, targets] of graph) {
    for (const t of targets)
      assert.ok(graph.has(t), `${file} imports ${t}, not a file in src/`);
  }
});

// Folder → the folders its files may import. api/'s errors, types and
// validate are the boundary's leaves, which the solver below may use.
const MAY_IMPORT: Record<string, readonly string[]> = {
  '.': ['.', 'api', 'cli', 'io', 'testing', 'experiments/sudoku'],
  api: ['api', 'solver', 'solver/kkt'],
  cli: [
    'cli',
    'api',
    'io',
    'testing',
    'experiments/common',
    'experiments/sudoku',
    'experiments/denoise',
    'experiments/classify',
  ],
  'experiments/common': ['experiments/common', 'api'],
  'experiments/sudoku': ['experiments/sudoku', 'experiments/common', 'api'],
  'experiments/denoise': ['experiments/denoise', 'experiments/common', 'api'],
  'experiments/classify': ['experiments/classify', 'experiments/common', 'api'],
  io: ['io', 'api'],
  solver: ['solver', 'solver/kkt', 'kernels', 'api-leaf'],
  'solver/kkt': ['solver/kkt', 'kernels', 'api-leaf'],
  kernels: ['kernels'],
  testing: ['testing'],
};
const API_LEAVES = ['api/errors.ts', 'api/types.ts', 'api/validate.ts'];

test('each folder imports only the layers below it', () => {
  for (const [file, targets] of graph) {
    const from = dirname(file);
    const allowed = MAY_IMPORT[from];
    assert.ok(allowed !== undefined, `${from}/ is not in the layout table`);
    for (const t of targets) {
      const ok =
        allowed.includes(dirname(t)) ||
        (allowed.includes('api-leaf') && API_LEAVES.includes(t));
      assert.ok(ok, `${file} imports ${t}: ${from}/ may not import that`);
    }
  }
  for (const leaf of API_LEAVES) {
    for (const t of graph.get(leaf) ?? [])
      assert.is(dirname(t), 'api', `${leaf} is a leaf but imports ${t}`);
  }
});

test.run();
