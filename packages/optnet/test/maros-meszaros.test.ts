// All 44 problems of the Maros–Meszaros subset in ../shared: each must
// solve to a relative objective error ≤ 1e-6 against the published optimum
// (|f − f*| / max(1, |f*|)), with an honest 'solved' status.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseQps } from '../src/index.js';
import { solveDense } from '../src/io/solve-dense.js';

const dir = fileURLToPath(
  new URL('../../../../shared/data/maros_meszaros/', import.meta.url),
);
const rows = readFileSync(dir + 'objectives.csv', 'utf8')
  .trim()
  .split('\n');
const col = rows[0].split(',').indexOf('published_obj');
const published = new Map(
  rows.slice(1).map((r) => [r.split(',')[0], Number(r.split(',')[col])]),
);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.QPS'))
  .sort();

test('the data set is all there: 44 problems, each with a published objective', () => {
  assert.is(files.length, 44);
  for (const f of files) assert.ok(published.has(f.replace('.QPS', '')), f);
});

for (const f of files) {
  const name = f.replace('.QPS', '');
  test(`${name}: solved to 1e-6 of the published objective`, async () => {
    const r = await solveDense(
      parseQps(readFileSync(dir + f, 'utf8'), { name }),
    );
    const fStar = published.get(name)!;
    const rel = Math.abs(r.objective - fStar) / Math.max(1, Math.abs(fStar));
    assert.is(
      r.status,
      'solved',
      `${name}: ${r.status} after ${r.iterations} iterations`,
    );
    assert.ok(
      rel <= 1e-6,
      `${name}: objective ${r.objective} vs ${fStar} (rel ${rel.toExponential(2)})`,
    );
  });
}

test.run();
