// Packed packages: the tarball reader, the checks on a packed package
// (scripts/lib/packed-manifest.mjs), and `pnpm pack` of every workspace
// package. That dist/ targets exist in the tarballs needs a build, so
// pack-check (which builds) asserts it on the real tarballs; here, without
// a build, each exports target is checked to be the file the build writes
// for the entry's `source`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportTargets, packedProblems } from '../lib/packed-manifest.mjs';
import { readTarball } from '../lib/tarball.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const license = readFileSync(join(root, 'LICENSE'), 'utf8');

function withTemp(fn) {
  const dir = mkdtempSync(join(tmpdir(), 'optnet-packed-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('readTarball: ustar, pax and GNU long names', () => {
  withTemp((dir) => {
    const long = `dist/${'deep/'.repeat(25)}x.js`; // > 100 characters
    const files = {
      'package.json': '{"name":"p"}',
      LICENSE: 'MIT',
      [long]: 'y',
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, 'package', path)), { recursive: true });
      writeFileSync(join(dir, 'package', path), text);
    }
    for (const format of ['pax', 'gnu', 'ustar']) {
      const tgz = join(dir, `${format}.tgz`);
      const paths =
        format === 'ustar'
          ? ['package/package.json', 'package/LICENSE']
          : ['package'];
      const r = spawnSync('tar', [
        `--format=${format}`,
        '-czf',
        tgz,
        '-C',
        dir,
        ...paths,
      ]);
      assert.is(r.status, 0, String(r.stderr));
      const got = readTarball(tgz);
      const want =
        format === 'ustar'
          ? ['LICENSE', 'package.json']
          : Object.keys(files).sort();
      assert.equal([...got.keys()].sort(), want, format);
      for (const k of want)
        assert.is(got.get(k).toString(), files[k], `${format} ${k}`);
    }
  });
});

/** A clean packed package, as files; `edit` changes its manifest. */
function packed(edit = () => {}, extra = {}) {
  const pkg = {
    name: '@optnet/x',
    version: '0.1.0',
    repository: {
      type: 'git',
      url: 'git+https://e.org/r.git',
      directory: 'packages/x',
    },
    exports: {
      '.': { types: './dist/index.d.ts', default: './dist/index.js' },
      './cli': { types: './dist/cli.d.ts', default: './dist/cli.js' },
    },
    types: './dist/index.d.ts',
    bin: { x: './bin/x.js' },
    sideEffects: false,
    dependencies: { '@optnet/tensor': '^0.1.0' },
  };
  edit(pkg);
  const files = {
    'package.json': JSON.stringify(pkg),
    'README.md': '# x',
    LICENSE: license,
    'CHANGELOG.md': '# Changelog\n\n## 0.1.0 (unreleased)\n',
    'dist/index.js': '',
    'dist/index.d.ts': '',
    'dist/cli.js': '',
    'dist/cli.d.ts': '',
    'bin/x.js': '',
    ...extra,
  };
  return new Map(
    Object.entries(files)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, Buffer.from(v)]),
  );
}

test('packedProblems: a clean package has none', () => {
  assert.equal(packedProblems(packed(), { license }), []);
});

test('packedProblems: each defect is named', () => {
  const cases = [
    [
      // Flagged even when the source file ships too.
      packed(
        (p) =>
          (p.exports['.'] = { source: './src/index.ts', ...p.exports['.'] }),
        { 'src/index.ts': '' },
      ),
      /exports\["\."\]\["source"\]: a "source" condition ships/,
    ],
    [
      packed(() => {}, { 'dist/cli.js': null }),
      /exports\["\.\/cli"\]\["default"\]: \.\/dist\/cli\.js is not in the tarball/,
    ],
    [
      packed(() => {}, { 'bin/x.js': null }),
      /bin\.x: \.\/bin\/x\.js is not in the tarball/,
    ],
    [
      packed((p) => (p.types = './dist/types.d.ts')),
      /types: \.\/dist\/types\.d\.ts is not in the tarball/,
    ],
    [packed((p) => (p.exports['./*'] = './dist/*.js')), /pattern target/],
    [packed(() => {}, { LICENSE: null }), /LICENSE is not in the tarball/],
    [packed(() => {}, { LICENSE: 'ISC' }), /LICENSE differs/],
    [
      packed(() => {}, { 'CHANGELOG.md': null }),
      /CHANGELOG\.md is not in the tarball/,
    ],
    [
      packed(() => {}, { 'CHANGELOG.md': '## 0.0.9\n' }),
      /no "## 0\.1\.0" section/,
    ],
    [
      packed((p) => (p.dependencies['@optnet/tensor'] = 'workspace:^')),
      /unresolved range workspace:\^/,
    ],
    [
      packed((p) => delete p.repository.directory),
      /repository: needs url and directory/,
    ],
    [packed((p) => delete p.sideEffects), /sideEffects: not declared/],
    [
      packed(() => {}, { 'package.json': null }),
      /package\.json is not in the tarball/,
    ],
  ];
  for (const [files, want] of cases) {
    const problems = packedProblems(files, { license });
    assert.is(problems.length, 1, `${want}: ${problems.join('; ')}`);
    assert.match(problems[0], want);
  }
});

test('exportTargets: every leaf, nested conditions and arrays included', () => {
  const targets = exportTargets({
    '.': { node: { import: './a.js' }, default: ['./b.js', './c.js'] },
    './x': './x.js',
  });
  assert.equal(targets, [
    [['.', 'node', 'import'], './a.js'],
    [['.', 'default'], './b.js'],
    [['.', 'default'], './c.js'],
    [['./x'], './x.js'],
  ]);
});

/** Workspace packages that are published: { dir, pkg }. */
function workspacePackages() {
  return readdirSync(join(root, 'packages'))
    .map((d) => ({ dir: d, file: join(root, 'packages', d, 'package.json') }))
    .filter(({ file }) => {
      try {
        return !JSON.parse(readFileSync(file, 'utf8')).private;
      } catch {
        return false;
      }
    })
    .map(({ dir, file }) => ({
      dir,
      pkg: JSON.parse(readFileSync(file, 'utf8')),
    }));
}

/** `pnpm -r pack` once: [{ dir, source, files, pkg }] per package. */
let packedCache = null;
function packWorkspace() {
  if (packedCache) return packedCache;
  packedCache = withTemp((dest) => {
    const r = spawnSync('pnpm', ['-r', 'pack', '--pack-destination', dest], {
      cwd: root,
      encoding: 'utf8',
    });
    assert.is(r.status, 0, r.stdout + r.stderr);
    return workspacePackages().map(({ dir, pkg: source }) => {
      const base = source.name.replace('@', '').replace('/', '-');
      const files = readTarball(join(dest, `${base}-${source.version}.tgz`));
      const pkg = JSON.parse(files.get('package.json').toString());
      return { dir, source, files, pkg };
    });
  });
  assert.ok(packedCache.length >= 4);
  return packedCache;
}

test('pnpm pack: no source condition, no workspace ranges, repository set', () => {
  for (const { dir, pkg } of packWorkspace()) {
    for (const [path] of exportTargets(pkg.exports))
      assert.not.ok(path.includes('source'), `${pkg.name}: ${path}`);
    assert.not.ok('publishConfig' in pkg, `${pkg.name}: publishConfig left`);
    for (const range of Object.values(pkg.dependencies ?? {}))
      assert.not.match(range, /^workspace:/, pkg.name);
    assert.is(pkg.repository.directory, `packages/${dir}`);
  }
});

test('pnpm pack: LICENSE (the root one) and CHANGELOG ship', () => {
  for (const { files, pkg } of packWorkspace()) {
    assert.is(files.get('LICENSE')?.toString(), license, pkg.name);
    const changelog = files.get('CHANGELOG.md')?.toString() ?? '';
    assert.match(changelog, new RegExp(`^## ${pkg.version}`, 'm'), pkg.name);
  }
});

test('pnpm pack: every target ships or is what the build writes', () => {
  for (const { source, files, pkg } of packWorkspace()) {
    // Not built: bin targets must be in the tarball now.
    for (const [cmd, target] of Object.entries(pkg.bin ?? {}))
      assert.ok(files.has(target.replace(/^\.\//, '')), `${pkg.name} ${cmd}`);
    // Built: each shipped exports target is what scripts/build-package.mjs
    // writes for the workspace entry's `source` (src/X.ts → dist/X.js, and
    // tsc's dist/X.d.ts), under `files`. pack-check asserts, after a
    // build, that they are in the tarball.
    for (const [key, conds] of Object.entries(source.exports)) {
      const base = conds.source
        .replace(/^\.\/src\//, './dist/')
        .replace(/\.ts$/, '');
      const want = { types: `${base}.d.ts`, default: `${base}.js` };
      assert.equal(pkg.exports[key], want, `${pkg.name} ${key}`);
    }
    assert.ok(pkg.files.includes('dist'), `${pkg.name}: files has dist`);
    assert.is(pkg.types, pkg.exports['.'].types, `${pkg.name}: types`);
  }
});

test.run();
