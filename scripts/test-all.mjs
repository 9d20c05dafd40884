// Runs every package's uvu suite in its own process, then the suite of the
// repository scripts (scripts/test: the README-example rule, the packed
// manifests, sideEffects), then the named checks (pack-check's, and any that
// .ci/run reports), and ends with the line `N passed, N failed` that CI
// reads. Exit code 1 if any test or check failed or a suite crashed before
// reporting.
//
// Named checks count one each:
// - pack-check's three (scripts/pack-check.mjs: packed manifests, install,
//   README examples; it builds first unless OPTNET_BUILT=1), or one failure
//   if it crashes before reporting them. Skip them with OPTNET_SKIP_PACK=1.
// - OPTNET_CI_CHECKS: lines `pass<TAB>name` / `fail<TAB>name` from steps that
//   ran before the tests (.ci/run puts typecheck and build there).
//
// scripts/test/docs.test.mjs checks the API reference: the one in docs/api
// with OPTNET_DOCS_BUILT=1 (.ci/run built it just before), else one it
// builds (TypeDoc, about 40 s on 2 cores); OPTNET_SKIP_DOCS=1 skips it.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const order = ['tensor', 'autograd', 'gpu', 'nn', 'optnet'];
const present = readdirSync(join(root, 'packages'));
const pkgs = [
  ...order.filter((p) => present.includes(p)),
  ...present.filter((p) => !order.includes(p)).sort(),
];
let passed = 0;
let failed = 0;
const checks = [];

/** Run one uvu suite and add its counts (a crash counts one failure). */
function runSuite(title, cwd, cmd, args) {
  console.log(`\n=== ${title} ===`);
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
  const out = (r.stdout ?? '') + (r.stderr ?? '');
  process.stdout.write(out);
  // eslint-disable-next-line no-control-regex -- strips ANSI colour codes
  const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
  const total = /Total:\s+(\d+)/.exec(plain);
  const ok = /Passed:\s+(\d+)/.exec(plain);
  if (!total || !ok) {
    console.log(`${title}: the suite did not report (exit ${r.status})`);
    failed += 1;
    return;
  }
  passed += Number(ok[1]);
  failed += Number(total[1]) - Number(ok[1]);
  if (r.status !== 0 && Number(total[1]) === Number(ok[1])) failed += 1;
}

for (const p of pkgs) {
  const dir = join(root, 'packages', p);
  if (!existsSync(join(dir, 'test'))) continue;
  runSuite(`@optnet/${p}`, dir, 'pnpm', ['run', 'test']);
}
runSuite('scripts', root, process.execPath, [
  join(root, 'node_modules', 'uvu', 'bin.js'),
  join('scripts', 'test'),
  '\\.test\\.mjs$',
]);

/** Checks from `pass<TAB>name` / `fail<TAB>name` lines. */
function parseChecks(text) {
  const out = [];
  for (const line of text.split('\n')) {
    const [status, ...name] = line.split('\t');
    if (status === 'pass' || status === 'fail')
      out.push({ name: name.join(' '), ok: status === 'pass' });
  }
  return out;
}

checks.push(...parseChecks(process.env.OPTNET_CI_CHECKS ?? ''));

if (process.env.OPTNET_SKIP_PACK !== '1') {
  console.log('\n=== pack-check ===');
  const tmp = mkdtempSync(join(tmpdir(), 'optnet-checks-'));
  const file = join(tmp, 'checks.tsv');
  const r = spawnSync(
    process.execPath,
    [join(root, 'scripts', 'pack-check.mjs')],
    {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 64 << 20,
      env: { ...process.env, OPTNET_CHECKS_FILE: file },
    },
  );
  process.stdout.write((r.stdout ?? '') + (r.stderr ?? ''));
  const reported = existsSync(file)
    ? parseChecks(readFileSync(file, 'utf8'))
    : [];
  rmSync(tmp, { recursive: true, force: true });
  checks.push(...reported);
  if (reported.length === 0 || (r.status !== 0 && reported.every((c) => c.ok)))
    checks.push({
      name: `pack: pack-check ran to the end (exit ${r.status})`,
      ok: false,
    });
}

if (checks.length > 0) console.log('\n=== checks ===');
for (const c of checks) {
  console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}`);
  if (c.ok) passed += 1;
  else failed += 1;
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
