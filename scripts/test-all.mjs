// Runs every package's uvu suite in its own process and ends with the line
// `N passed, N failed` that CI reads. Exit code 1 if any test failed or a
// suite crashed before reporting.
import { spawnSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
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
for (const p of pkgs) {
  const dir = join(root, 'packages', p);
  if (!existsSync(join(dir, 'test'))) continue;
  console.log(`\n=== @optnet/${p} ===`);
  const r = spawnSync('pnpm', ['run', 'test'], { cwd: dir, encoding: 'utf8' });
  const out = (r.stdout ?? '') + (r.stderr ?? '');
  process.stdout.write(out);
  const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
  const total = /Total:\s+(\d+)/.exec(plain);
  const ok = /Passed:\s+(\d+)/.exec(plain);
  if (!total || !ok) {
    console.log(`@optnet/${p}: the suite did not report (exit ${r.status})`);
    failed += 1;
    continue;
  }
  passed += Number(ok[1]);
  failed += Number(total[1]) - Number(ok[1]);
  if (r.status !== 0 && Number(total[1]) === Number(ok[1])) failed += 1;
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
