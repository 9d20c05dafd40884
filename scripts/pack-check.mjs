// Checks what a user gets from npm: packs every workspace package with
// `pnpm -r pack`, installs all the tarballs together into an empty ESM
// project (so @optnet/autograd's dependency on @optnet/tensor, rewritten by
// pnpm from workspace:^ to ^<version>, resolves to the local tarball), then
// runs the first ```js block of each package's README there with plain node.
//
//   node scripts/pack-check.mjs            builds first (pnpm build)
//   OPTNET_BUILT=1 node scripts/...        uses the dist/ already built
//
// Exits 1 with a `pack-check: FAILED ...` line if packing, installing or any
// example fails, or if an example prints nothing. Temp dirs are removed.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
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

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const EXAMPLE_TIMEOUT_MS = 120_000;
const INSTALL_TIMEOUT_MS = 600_000;

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

/** The body of the first ```js (or ```javascript / ```mjs) block, or null. */
function firstJsBlock(markdown) {
  const m = /^```(?:js|javascript|mjs)[ \t]*\r?\n([\s\S]*?)^```[ \t]*$/m.exec(
    markdown,
  );
  return m ? m[1] : null;
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
  run('pnpm -r pack', 'pnpm', ['-r', 'pack', '--pack-destination', dest], {
    cwd: root,
  });
  const tarballs = readdirSync(dest).filter((f) => f.endsWith('.tgz'));
  if (tarballs.length === 0)
    throw new CheckError(`pnpm -r pack wrote no tarball to ${dest}`);
  return tarballs.map((f) => join(dest, f));
}

function installInto(app, tarballs) {
  mkdirSync(app);
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

/** Run one README example in the app; returns its stdout. */
function runExample(app, { name, dir }) {
  const readme = join(dir, 'README.md');
  if (!existsSync(readme))
    throw new CheckError(`${name}: no README.md in ${dir}`);
  const code = firstJsBlock(readFileSync(readme, 'utf8'));
  if (code === null)
    throw new CheckError(`${name}: README.md has no \`\`\`js code block`);
  const file = join(app, `example-${name.replace(/[^a-z0-9]+/gi, '-')}.mjs`);
  writeFileSync(file, code);
  // Plain node, no --conditions=source: exactly what an npm user runs.
  const r = run(`${name}: README example`, process.execPath, [file], {
    cwd: app,
    timeout: EXAMPLE_TIMEOUT_MS,
  });
  if (r.stdout.trim() === '')
    throw new CheckError(`${name}: README example printed nothing`);
  return r.stdout;
}

function main() {
  const tmp = mkdtempSync(join(tmpdir(), 'optnet-pack-'));
  const cleanup = () => rmSync(tmp, { recursive: true, force: true });
  process.once('SIGINT', () => (cleanup(), process.exit(130)));
  process.once('SIGTERM', () => (cleanup(), process.exit(143)));
  try {
    if (process.env.OPTNET_BUILT !== '1')
      run('pnpm build', 'pnpm', ['run', 'build'], { cwd: root });
    const tarballs = packAll(join(tmp, 'tarballs'));
    console.log(
      `packed: ${tarballs.map((t) => t.split('/').pop()).join(', ')}`,
    );
    const app = join(tmp, 'app');
    installInto(app, tarballs);
    console.log('installed the tarballs into an empty ESM project');
    for (const pkg of publishedPackages()) {
      const out = runExample(app, pkg);
      console.log(`--- ${pkg.name} README example ---\n${out.trimEnd()}`);
    }
    console.log('pack-check: ok');
    return 0;
  } catch (e) {
    if (!(e instanceof CheckError)) throw e;
    console.error(`pack-check: FAILED: ${e.message}`);
    return 1;
  } finally {
    cleanup();
  }
}

process.exitCode = main();
