// $dgemm and $dgemmPanels (B packed by packDgemmPanels), the
// register-blocked float64 products other packages call from their own
// WebAssembly functions: the bits of the plain loop
// s += A[i,p]·B[p,j] (p in order, from 0) at every tile shape it has,
// strided operands included, and nothing written outside C.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '@optnet/tensor';
import { DGEMM_PANEL, packDgemmPanels, wasmKernels } from '@optnet/tensor/wasm';

interface Shape {
  m: number;
  k: number;
  n: number;
  /** Row strides (≥ k, n, n). */
  lda: number;
  ldb: number;
  ldc: number;
}

/**
 * Runs $dgemm (or $dgemmPanels on packDgemmPanels' B) on random data; the
 * count of entries that differ from the loop, and of writes past column n.
 */
function mismatches(
  s: Shape,
  rng: T.Rng,
  panels = false,
): { bad: number; outside: number } {
  const k = wasmKernels();
  assert.ok(k !== null, 'WebAssembly kernels present');
  const { m, n, lda, ldb, ldc } = s;
  const kk = s.k;
  const A = Float64Array.from({ length: m * lda }, () => rng() - 0.5);
  const B = Float64Array.from({ length: kk * ldb }, () => rng() * 3 - 1);
  k.begin();
  const Bin = panels ? packDgemmPanels(B, kk, n, ldb) : B;
  const [a, b, c] = [A.length, Bin.length, m * ldc].map((len) =>
    k.alloc(len * 8),
  );
  const pk = k.alloc(Math.max(1, kk) * DGEMM_PANEL * 8);
  let mem = k.f64();
  mem.set(A, a >> 3);
  mem.set(Bin, b >> 3);
  mem.fill(NaN, c >> 3, (c >> 3) + m * ldc);
  if (panels) k.fn.dgemmPanels(a, lda, b, 0, c, ldc, m, kk, n, 0);
  else k.fn.dgemm(a, lda, b, ldb, c, ldc, m, kk, n, pk);
  mem = k.f64();
  let bad = 0;
  let outside = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < ldc; j++) {
      const got = mem[(c >> 3) + i * ldc + j];
      if (j >= n) {
        if (!Number.isNaN(got)) outside++;
        continue;
      }
      let want = 0;
      for (let p = 0; p < kk; p++) want += A[i * lda + p] * B[p * ldb + j];
      if (!Object.is(got, want)) bad++;
    }
  }
  return { bad, outside };
}

test('dgemm and dgemmPanels: the plain loop’s bits at every tile shape (4 × 4, 4 × 2, 4 × 1, single rows; several panels), strided operands', () => {
  const rng = T.makeRng(21);
  const shapes: Shape[] = [];
  for (const m of [1, 3, 4, 5, 9])
    for (const n of [1, 2, 3, 4, 7, DGEMM_PANEL, DGEMM_PANEL + 5, 75])
      for (const k of [1, 2, 17])
        shapes.push({ m, k, n, lda: k, ldb: n, ldc: n });
  shapes.push({ m: 6, k: 5, n: 10, lda: 9, ldb: 13, ldc: 11 });
  shapes.push({ m: 150, k: 64, n: 820, lda: 64, ldb: 820, ldc: 820 });
  for (const s of shapes) {
    for (const panels of [false, true]) {
      const { bad, outside } = mismatches(s, rng, panels);
      const what = `${JSON.stringify(s)}${panels ? ', B in panels' : ''}`;
      assert.is(bad, 0, `${what}: entries off the loop's bits`);
      assert.is(outside, 0, `${what}: writes past column n`);
    }
  }
});

test.run();
