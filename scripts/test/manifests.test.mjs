// The workspace manifests: what pnpm pack turns into the published ones
// (publishConfig.exports = exports without `source`), LICENSE and
// CHANGELOG next to each package, `repository`, and a `sideEffects`
// declaration that matches what importing the package does.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const license = readFileSync(join(root, 'LICENSE'), 'utf8');

/** Published workspace packages: { dir, path, pkg }. */
const packages = readdirSync(join(root, 'packages'))
  .map((dir) => ({ dir, path: join(root, 'packages', dir) }))
  .filter(({ path }) => existsSync(join(path, 'package.json')))
  .map((p) => ({
    ...p,
    pkg: JSON.parse(readFileSync(join(p.path, 'package.json'), 'utf8')),
  }))
  .filter(({ pkg }) => !pkg.private);

test('the root LICENSE is MIT, and every package ships a copy', () => {
  assert.match(license, /^MIT License\n\nCopyright \(c\) \d{4} /);
  assert.ok(packages.length >= 4);
  for (const { path, pkg } of packages) {
    assert.is(pkg.license, 'MIT', pkg.name);
    assert.is(
      readFileSync(join(path, 'LICENSE'), 'utf8'),
      license,
      `${pkg.name}: LICENSE must equal the root LICENSE`,
    );
    for (const f of ['LICENSE', 'CHANGELOG.md', 'README.md', 'dist'])
      assert.ok(pkg.files.includes(f), `${pkg.name}: files lacks ${f}`);
  }
});

test('every package has a CHANGELOG section for its version, breaks first', () => {
  for (const { path, pkg } of packages) {
    const text = readFileSync(join(path, 'CHANGELOG.md'), 'utf8');
    const at = text.search(new RegExp(`^## ${pkg.version}\\b`, 'm'));
    assert.ok(at >= 0, `${pkg.name}: no "## ${pkg.version}" section`);
    const section = text.slice(at).split(/^## /m)[1];
    assert.match(section, /^### Breaking$/m, `${pkg.name}: no Breaking part`);
  }
});

test('exports keep `source` first; publishConfig.exports is them without it', () => {
  for (const { pkg } of packages) {
    const stripped = {};
    for (const [key, conds] of Object.entries(pkg.exports)) {
      assert.is(Object.keys(conds)[0], 'source', `${pkg.name} ${key}`);
      const { source: _source, ...rest } = conds;
      stripped[key] = rest;
    }
    assert.equal(
      pkg.publishConfig?.exports,
      stripped,
      `${pkg.name}: publishConfig.exports must be exports without the ` +
        'source condition (change both when an entry moves)',
    );
  }
});

test('repository: one url for all, directory = the package folder', () => {
  const urls = new Set(packages.map(({ pkg }) => pkg.repository?.url));
  assert.is(urls.size, 1);
  assert.match([...urls][0], /^git\+https:\/\/.+\.git$/);
  for (const { dir, pkg } of packages) {
    assert.is(pkg.repository.type, 'git');
    assert.is(pkg.repository.directory, `packages/${dir}`);
  }
});

/**
 * In a fresh node on the sources: load the package's @optnet dependencies
 * (and tensor's Tensor class and autograd hook slot), note the state that
 * an import could change (globals, Tensor.prototype, the backward hook),
 * import the package's entries (only "." when `all` is false), and say
 * what changed.
 */
function importEffects({ path, pkg }, all) {
  const src = (f) =>
    pathToFileURL(join(root, 'packages', 'tensor', 'src', f)).href;
  const deps = Object.keys(pkg.dependencies ?? {}).filter((d) =>
    d.startsWith('@optnet/'),
  );
  const entries = (all ? Object.keys(pkg.exports) : ['.']).map(
    (k) => pkg.name + k.slice(1),
  );
  const script = `
    const { Tensor } = await import(${JSON.stringify(src('tensor.ts'))});
    const graph = await import(${JSON.stringify(src('graph.ts'))});
    for (const d of ${JSON.stringify(deps)}) await import(d);
    const state = () => ({
      globals: Object.getOwnPropertyNames(globalThis).sort(),
      tensorMethods: Object.getOwnPropertyNames(Tensor.prototype).sort(),
      backwardHook: String(graph.getBackwardImpl()),
    });
    const before = state();
    for (const e of ${JSON.stringify(entries)}) await import(e);
    const after = state();
    const changed = Object.keys(before).filter(
      (k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
    console.log(JSON.stringify(changed));`;
  const r = spawnSync(
    process.execPath,
    [
      '--conditions=source',
      '--import',
      pathToFileURL(join(root, 'scripts', 'register.mjs')).href,
      '--input-type=module',
      '-e',
      script,
    ],
    { cwd: path, encoding: 'utf8' },
  );
  assert.is(r.status, 0, `${pkg.name}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

// What importing a package with sideEffects: true does, as the changelogs
// say: tensor installs its chainable methods, autograd the backward pass.
const EFFECTS = {
  '@optnet/tensor': ['tensorMethods'],
  '@optnet/autograd': ['backwardHook'],
};

test('sideEffects: true exactly where importing the package changes shared state', () => {
  for (const p of packages) {
    const { name, sideEffects } = p.pkg;
    assert.type(sideEffects, 'boolean', `${name}: sideEffects`);
    // A package without effects must have none in any entry; one with
    // effects shows them on its main entry.
    const changed = importEffects(p, !sideEffects);
    if (!sideEffects)
      assert.equal(changed, [], `${name}: importing it changes state`);
    else if (name in EFFECTS) assert.equal(changed, EFFECTS[name], name);
    else assert.ok(changed.length > 0, `${name}: no import-time effect`);
  }
});

test.run();
