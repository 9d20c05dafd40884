// Checks what a user gets from the packed tarballs, in three named checks:
// 1. manifests: `pnpm -r pack` packs every published workspace package, and
//    each tarball's package.json has no `source` condition, names only
//    files the tarball holds (every exports, types and bin target), and the
//    tarball ships LICENSE (the repository's) and a CHANGELOG entry for its
//    version (lib/packed-manifest.mjs);
// 2. install: all the tarballs install together into an empty ESM project,
//    every @optnet/* package from a tarball, none from the registry;
// 3. examples: every ```js block of every README (the root one and each
//    published package's) runs there with plain node, and each console.log
//    line whose comment states numbers prints them, to the digits shown
//    (the rule: lib/expectations.mjs). A block fenced ```js no-run is a
//    fragment: counted and skipped. A file an example reads by a literal
//    name (readFileSync('HS21.QPS')) is copied in from ../shared/data.
//
//   node scripts/pack-check.mjs            builds first (pnpm build)
//   OPTNET_BUILT=1 node scripts/...        uses the dist/ already built
//   OPTNET_CHECKS_FILE=f                   also appends `pass<TAB>name` /
//                                          `fail<TAB>name` lines to f
//
// Prints `pack-check: ok`, or `pack-check: FAILED ...` lines and exits 1.
// Temp dirs are removed.
import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packedProblems } from './lib/packed-manifest.mjs';
import { filesRead, jsBlocks } from './lib/readme-examples.mjs';
import { runExample } from './lib/run-example.mjs';
import { readTarball } from './lib/tarball.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sharedData =
  process.env.OPTNET_SHARED_DATA ?? join(root, '..', 'shared', 'data');
const INSTALL_TIMEOUT_MS = 600_000;
const CHECKS = {
  manifests:
    'pack: packed manifests are clean (no source condition; LICENSE, CHANGELOG and every exports/types/bin target in the tarball)',
  install: 'pack: the tarballs install into an empty project',
  examples:
    'pack: every README js example runs from the tarballs and prints what its comments state',
};

class CheckError extends Error {}

/** Run a command; throw CheckError with its output if it fails. */
function run(what, cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    ...opts,
  });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.error || r.status !== 0) {
    const why = r.error
      ? r.error.message
      : r.signal
        ? `killed by ${r.signal}`
        : `exit ${r.status}`;
    throw new CheckError(`${what} failed (${why}):\n${out.trimEnd()}`);
  }
  return r;
}

/** Packages that `pnpm pack` publishes, lowest layer first: { name, dir }. */
function publishedPackages() {
  const order = ['tensor', 'autograd', 'gpu', 'nn', 'optnet'];
  const rank = (d) => (order.includes(d) ? order.indexOf(d) : order.length);
  const dirs = readdirSync(join(root, 'packages'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const pkgs = [];
  for (const d of dirs) {
    const dir = join(root, 'packages', d);
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8'));
    if (!pkg.private) pkgs.push({ name: pkg.name, dir });
  }
  return pkgs;
}

function packAll(dest) {
  // packages/ only: bench/peers is a private workspace package of the
  // benchmarks (TF.js, jax-js), never published
  const args = ['-r', '--filter', './packages/*', 'pack'];
  run('pnpm -r pack', 'pnpm', [...args, '--pack-destination', dest], {
    cwd: root,
  });
  const tarballs = readdirSync(dest).filter((f) => f.endsWith('.tgz'));
  if (tarballs.length === 0)
    throw new CheckError(`pnpm -r pack wrote no tarball to ${dest}`);
  return tarballs.map((f) => join(dest, f));
}

/** Problems of every tarball, and a tarball per published package. */
function checkManifests(tarballs, pkgs) {
  const license = readFileSync(join(root, 'LICENSE'), 'utf8');
  const problems = [];
  const packedNames = new Set();
  for (const t of tarballs) {
    const files = readTarball(t);
    const name = JSON.parse(files.get('package.json') ?? '{}').name;
    packedNames.add(name);
    for (const p of packedProblems(files, { license }))
      problems.push(`${basename(t)}: ${p}`);
  }
  for (const { name } of pkgs)
    if (!packedNames.has(name)) problems.push(`${name}: no tarball`);
  if (problems.length > 0)
    throw new CheckError(`packed manifests:\n  ${problems.join('\n  ')}`);
}

function installInto(app, tarballs) {
  const pkg = {
    name: 'optnet-pack-check',
    version: '0.0.0',
    private: true,
    type: 'module',
  };
  writeFileSync(join(app, 'package.json'), JSON.stringify(pkg, null, 2));
  const args = [
    'install',
    '--no-audit',
    '--no-fund',
    '--loglevel=error',
    ...tarballs,
  ];
  run(`npm install of ${tarballs.length} tarballs`, 'npm', args, {
    cwd: app,
    timeout: INSTALL_TIMEOUT_MS,
  });
  // Every @optnet/* package must come from a tarball, never the registry
  // (a nested copy would mean a workspace:^ range the tarballs don't meet).
  const lock = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8'));
  for (const [path, entry] of Object.entries(lock.packages ?? {})) {
    if (!/(^|\/)node_modules\/@optnet\//.test(path)) continue;
    if (!String(entry.resolved ?? '').startsWith('file:')) {
      throw new CheckError(
        `${path} was installed from ${entry.resolved ?? 'nowhere'}, ` +
          'not from a local tarball',
      );
    }
  }
}

/** The path under sharedData of a file named `name` (or at that path). */
function findSharedFile(name) {
  const direct = join(sharedData, name);
  if (existsSync(direct)) return direct;
  if (!existsSync(sharedData)) return null;
  const hits = readdirSync(sharedData, { recursive: true }).filter(
    (p) => basename(String(p)) === basename(name),
  );
  return hits.length > 0 ? join(sharedData, String(hits[0])) : null;
}

/** Copy the files an example reads into the app; returns their names. */
function provideFiles(app, code, where) {
  const names = filesRead(code);
  for (const name of names) {
    const src = findSharedFile(name);
    if (src === null)
      throw new CheckError(
        `${where}: the example reads ${name}, which is not under ${sharedData}`,
      );
    mkdirSync(dirname(join(app, name)), { recursive: true });
    copyFileSync(src, join(app, name));
  }
  return names;
}

/** The READMEs whose examples run: the root one, then each package's. */
function readmes(pkgs) {
  const files = [join(root, 'README.md')];
  for (const { name, dir } of pkgs) {
    const f = join(dir, 'README.md');
    if (!existsSync(f)) throw new CheckError(`${name}: no README.md in ${dir}`);
    files.push(f);
  }
  return files;
}

/** Run one block; returns failure lines ([] when it passed). */
function checkBlock(app, block, where, id) {
  const reads = provideFiles(app, block.code, where);
  const r = runExample({ code: block.code, dir: app, name: id });
  const note = reads.length > 0 ? ` (reads ${reads.join(', ')})` : '';
  console.log(`--- ${where}${note}: ${r.checked} commented lines ---`);
  console.log(r.output.trimEnd());
  const failures = r.mismatches.map(
    (m) =>
      `${where.replace(/:\d+$/, '')}:${block.line + m.index}: ${m.problem}`,
  );
  if (r.failure !== null)
    failures.unshift(`${where}: the example failed (${r.failure})`);
  return { failures, checked: r.checked };
}

function runExamples(app, pkgs) {
  const tally = { ran: 0, skipped: 0, checked: 0 };
  const failures = [];
  for (const readme of readmes(pkgs)) {
    const rel = relative(root, readme);
    jsBlocks(readFileSync(readme, 'utf8')).forEach((block, i) => {
      const where = `${rel}:${block.line}`;
      if (!block.run) {
        tally.skipped += 1;
        console.log(`--- ${where}: skipped (${block.info}) ---`);
        return;
      }
      const id = `example-${rel.replace(/[^a-z0-9]+/gi, '-')}-${i + 1}`;
      const r = checkBlock(app, block, where, id);
      tally.ran += 1;
      tally.checked += r.checked;
      failures.push(...r.failures);
    });
  }
  console.log(
    `README examples: ${tally.ran} ran (${tally.checked} printed lines ` +
      `checked against their comments), ${tally.skipped} skipped as no-run`,
  );
  if (failures.length > 0)
    throw new CheckError(`README examples:\n  ${failures.join('\n  ')}`);
}

/**
 * Run the stages; each needs the one before to have produced its output
 * (tarballs, an installed app), not to have passed: a manifest problem
 * does not stop the examples from running.
 */
function runStages(tmp) {
  const results = {};
  const stage = (key, needs, fn) => {
    results[key] = false;
    if (!needs) return;
    try {
      fn();
      results[key] = true;
    } catch (e) {
      if (!(e instanceof CheckError)) throw e;
      console.error(`pack-check: FAILED: ${e.message}`);
    }
  };
  const pkgs = publishedPackages();
  const app = join(tmp, 'app');
  let tarballs = [];
  let installed = false;
  stage('manifests', true, () => {
    if (process.env.OPTNET_BUILT !== '1')
      run('pnpm build', 'pnpm', ['run', 'build'], { cwd: root });
    tarballs = packAll(join(tmp, 'tarballs'));
    console.log(`packed: ${tarballs.map((t) => basename(t)).join(', ')}`);
    checkManifests(tarballs, pkgs);
  });
  stage('install', tarballs.length > 0, () => {
    mkdirSync(app);
    installInto(app, tarballs);
    installed = true;
    console.log('installed the tarballs into an empty ESM project');
  });
  stage('examples', installed, () => runExamples(app, pkgs));
  return results;
}

function main() {
  const tmp = mkdtempSync(join(tmpdir(), 'optnet-pack-'));
  const cleanup = () => rmSync(tmp, { recursive: true, force: true });
  process.once('SIGINT', () => (cleanup(), process.exit(130)));
  process.once('SIGTERM', () => (cleanup(), process.exit(143)));
  try {
    const results = runStages(tmp);
    const file = process.env.OPTNET_CHECKS_FILE;
    for (const [key, ok] of Object.entries(results))
      if (file)
        appendFileSync(file, `${ok ? 'pass' : 'fail'}\t${CHECKS[key]}\n`);
    const ok = Object.values(results).every(Boolean);
    if (ok) console.log('pack-check: ok');
    return ok ? 0 : 1;
  } finally {
    cleanup();
  }
}

process.exitCode = main();
