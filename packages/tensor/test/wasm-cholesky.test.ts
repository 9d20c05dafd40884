// The WebAssembly Cholesky functions other packages call through
// wasmKernels(): cholShiftedBatch against cholBatch on a copy of the
// shifted matrix, bit for bit, failures included; and regularizedCholesky's
// WebAssembly path (whole items copied in, the upper triangle never read).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '@optnet/tensor';
import { wasmKernels, type WasmKernels } from '@optnet/tensor/wasm';

/** count symmetric positive definite n×n matrices, row-major. */
function spdItems(rng: T.Rng, n: number, count: number): Float64Array {
  const a = T.randn([count, n, n], { rng, dtype: 'float64' });
  const s = a.matmul(a, { transB: true }).add(T.eye(n, { dtype: 'float64' }));
  return Float64Array.from(s.dataSync() as Float64Array);
}

interface Case {
  n: number;
  count: number;
  /** One A shared by the items, or one per item. */
  a: Float64Array;
  d: Float64Array;
  shifts: Float64Array;
}

/**
 * cholShiftedBatch on `c` (A's upper triangle NaN: it must not be read)
 * and cholBatch on copies of A + diag(d) + shift: their results and, on a failure, the item,
 * pivot and value they report; then whether A was left as it was.
 */
function both(k: WasmKernels, c: Case, what: string): void {
  const { n, count, a, d, shifts } = c;
  const nn = n * n;
  const shared = a.length === nn;
  const src = a.map((v, i) => (i % n > Math.floor(i / n) % n ? NaN : v));
  k.begin();
  const aAt = k.alloc(src.length * 8);
  const [dAt, shAt] = [k.alloc(d.length * 8), k.alloc(count * 8)];
  const [got, want] = [k.alloc(count * nn * 8), k.alloc(count * nn * 8)];
  let mem = k.f64();
  mem.set(src, aAt >> 3);
  mem.set(d, dAt >> 3);
  mem.set(shifts, shAt >> 3);
  mem.fill(NaN, got >> 3, (got >> 3) + count * nn); // all overwritten
  for (let t = 0; t < count; t++) {
    const o = (want >> 3) + t * nn;
    mem.set(src.subarray(shared ? 0 : t * nn, (shared ? 1 : t + 1) * nn), o);
    for (let i = 0; i < n; i++) {
      mem[o + i * (n + 1)] += d[t * n + i];
      mem[o + i * (n + 1)] += shifts[t];
    }
  }
  const stride = shared ? 0 : nn * 8;
  const args = [got, aAt, stride, n, dAt, shAt, count];
  const r = k.fn.cholShiftedBatch(...args);
  mem = k.f64();
  const reported = () => [mem[0], new Int32Array(mem.buffer, 8, 1)[0]];
  const gotFail = reported();
  const w = k.fn.cholBatch(want, n, count);
  mem = k.f64();
  assert.is(r, w, `${what}: the failing item`);
  if (r >= 0) {
    const [gv, gi] = gotFail;
    const [wv, wi] = reported();
    assert.is(gi, wi, `${what}: the failing pivot`);
    assert.ok(Object.is(gv, wv), `${what}: its value ${gv} vs ${wv}`);
  } else {
    for (let i = 0; i < count * nn; i++) {
      const [g, x] = [mem[(got >> 3) + i], mem[(want >> 3) + i]];
      if (!Object.is(g, x))
        assert.unreachable(`${what}: entry ${i} ${g} ≠ ${x}`);
      if (i % n > Math.floor(i / n) % n) assert.is(g, 0, `${what}: upper`);
    }
  }
  const kept = mem.subarray(aAt >> 3, (aAt >> 3) + src.length);
  assert.ok(
    kept.every((v, i) => Object.is(v, src[i])),
    `${what}: A untouched`,
  );
}

test('cholShiftedBatch: the factor of A + diag(d) + shift·I from A where it is (shared or per item, its upper triangle never read), bit for bit as cholBatch on a copy; failures (A, d or the shift; in a pair of items or the odd last one) reported as cholBatch reports them', () => {
  const k = wasmKernels();
  assert.ok(k !== null, 'the WebAssembly kernels load here');
  const rng = T.makeRng(21);
  const count = 5;
  // n from 1 to 13: every remainder of the four-row and two-row blocks.
  for (let n = 1; n <= 13; n++) {
    for (const shared of [true, false]) {
      const c: Case = {
        n,
        count,
        a: spdItems(rng, n, shared ? 1 : count),
        d: Float64Array.from({ length: count * n }, () => rng() * 2),
        shifts: Float64Array.from({ length: count }, () => rng() * 1e-3),
      };
      both(k, c, `n ${n} shared ${shared}`);
    }
  }
  const n = 6;
  const base = (): Case => ({
    n,
    count: 4,
    a: spdItems(rng, n, 4),
    d: new Float64Array(4 * n),
    shifts: new Float64Array(4),
  });
  const indefinite = base();
  indefinite.a[2 * n * n + 3 * (n + 1)] = -50;
  both(k, indefinite, 'item 2 indefinite');
  const nanD = base();
  nanD.d[1 * n + 4] = NaN;
  both(k, nanD, 'a NaN in d of item 1');
  const shift = base();
  shift.shifts[3] = -1e6;
  both(k, shift, 'item 3 shifted below zero');
  const lower = base();
  lower.a[0 * n * n + 5 * n + 2] = Infinity;
  both(k, lower, 'an Inf below the diagonal of item 0');
  // Items go in pairs, then an odd last one alone: a failure in the last,
  // and in both items of a pair (the first is reported).
  const odd = { ...base(), count: 5, a: spdItems(rng, n, 5) };
  odd.d = new Float64Array(5 * n);
  odd.shifts = new Float64Array(5);
  odd.a[4 * n * n + 2 * (n + 1)] = -50;
  both(k, odd, 'item 4 (alone) indefinite');
  const pair = base();
  pair.a[2 * n * n + 4 * (n + 1)] = -50;
  pair.a[3 * n * n + 1 * (n + 1)] = -50;
  both(k, pair, 'items 2 and 3 (one pair) indefinite');
});

test('regularizedCholesky through WebAssembly: the upper triangle never read (NaN there changes nothing), per-item, consecutive and shared A, boosted and broken items; levels as the JS kernel gives them', () => {
  const rng = T.makeRng(21);
  const n = 7;
  const f64 = { dtype: 'float64' as const };
  const items = spdItems(rng, n, 6);
  // item 2 indefinite (a boost makes it factor), item 4 NaN below the
  // diagonal (every try fails: level −1, the identity)
  for (let i = 0; i < n; i++) items[2 * n * n + i * n + i] -= 40;
  items[4 * n * n + 3 * n + 1] = NaN;
  const upperNaN = items.map((v, i) =>
    i % n > Math.floor(i / n) % n ? NaN : v,
  );
  const lowerOnly = items.map((v, i) =>
    i % n > Math.floor(i / n) % n ? 0 : v,
  );
  const unit = T.tensor([1, 2, 3, 1, 2, 3], f64).reshape([6, 1]);
  const boosts = [1e-3, 10, 100]; // the first try shifted too
  const run = (a: Float64Array, shape: number[], wasm: boolean) => {
    const was = T.setWasmKernels(wasm);
    try {
      const [l, level] = T.regularizedCholesky(
        T.tensor(a, f64).reshape(shape),
        unit,
        boosts,
      );
      return [Array.from(l.dataSync()), Array.from(level.dataSync())];
    } finally {
      T.setWasmKernels(was);
    }
  };
  for (const [what, a, shape] of [
    ['per item', upperNaN, [6, n, n]],
    ['shared', upperNaN.subarray(0, n * n), [n, n]],
  ] as const) {
    const clean = shape.length === 3 ? lowerOnly : lowerOnly.subarray(0, n * n);
    const [l, level] = run(a, [...shape], true);
    const [l0, level0] = run(clean, [...shape], true);
    assert.equal(l, l0, `${what}: the upper triangle is not read`);
    assert.equal(level, level0, `${what}: levels`);
    const [lJs, levelJs] = run(clean, [...shape], false);
    assert.equal(level, levelJs, `${what}: levels as the JS kernel's`);
    if (shape.length === 3) {
      assert.ok(level[2] > 0, 'item 2 boosted');
      assert.is(level[4], -1, 'item 4 broken');
      assert.equal(
        [0, 1, 3, 5].map((i) => level[i]),
        [0, 0, 0, 0],
      );
    }
    for (let i = 0; i < l.length; i++)
      assert.ok(
        Math.abs(l[i] - lJs[i]) <= 1e-12 * (1 + Math.abs(lJs[i])),
        `${what}: entry ${i}`,
      );
    // every factor lower triangular
    for (let i = 0; i < l.length; i++)
      if (i % n > Math.floor(i / n) % n)
        assert.is(l[i], 0, `${what}: upper ${i}`);
  }
});

test.run();
