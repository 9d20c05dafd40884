// A browser page served without cross-origin isolation has no
// SharedArrayBuffer at all (so no threads). The CPU backend must still run
// there: allocate, compute (WebAssembly kernels included), dispose and
// recycle, without touching the missing name. Run in a child process whose
// preload deletes the global before anything loads.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const register = fileURLToPath(
  new URL('../../../scripts/register.mjs', import.meta.url),
);
const index = fileURLToPath(new URL('../src/index.ts', import.meta.url));

test('tensors compute and dispose with no SharedArrayBuffer defined', () => {
  const dir = mkdtempSync(join(tmpdir(), 'optnet-nosab-'));
  const preload = join(dir, 'no-sab.mjs');
  writeFileSync(preload, 'delete globalThis.SharedArrayBuffer;\n');
  const script = join(dir, 'run.mjs');
  writeFileSync(
    script,
    `
    import * as T from ${JSON.stringify(index)};
    if (typeof SharedArrayBuffer !== 'undefined') throw new Error('still there');
    const rng = T.makeRng(1);
    let total = 0;
    for (let i = 0; i < 30; i++) {
      T.scope(() => {
        const a = T.randn([64, 8, 8], { rng, dtype: 'float64' });
        const spd = a.matmul(a, { transB: true }).add(T.eye(8, { dtype: 'float64' }));
        const l = spd.cholesky();
        const big = T.randn([300, 300], { rng }); // past the pools' size floors
        total += l.sum().itemSync() + big.matmul(big).mean().itemSync();
      });
    }
    console.log(JSON.stringify({ finite: Number.isFinite(total), live: T.memoryStats().tensors }));
    `,
  );
  const r = spawnSync(
    process.execPath,
    ['--conditions=source', '--import', register, '--import', preload, script],
    { encoding: 'utf8' },
  );
  assert.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(out, { finite: true, live: 0 });
});

test.run();
