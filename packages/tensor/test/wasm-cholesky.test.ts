// The WebAssembly Cholesky functions other packages call through
// wasmKernels(): cholShiftedBatch against cholBatch on a copy of the
// shifted matrix, bit for bit.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '@optnet/tensor';
import { wasmKernels } from '@optnet/tensor/wasm';

/** count symmetric positive definite n×n matrices, row-major. */
function spdItems(rng: T.Rng, n: number, count: number): Float64Array {
  const a = T.randn([count, n, n], { rng, dtype: 'float64' });
  const s = a
    .matmul(a, { transB: true })
    .add(T.eye(n, { dtype: 'float64' }).mul(0.5));
  return Float64Array.from(s.dataSync() as Float64Array);
}

test('cholShiftedBatch: the factor of A + diag(d) + shift·I from A where it is (shared or per item), bit for bit as cholBatch on a copy, upper triangle zeroed, A untouched; a failing item is reported', () => {
  const k = wasmKernels();
  assert.ok(k !== null, 'the WebAssembly kernels load here');
  const rng = T.makeRng(21);
  // n from 1 to 13: every remainder of the four-row and two-row blocks.
  for (let n = 1; n <= 13; n++) {
    for (const shared of [true, false]) {
      const count = 5;
      const nn = n * n;
      const a = spdItems(rng, n, shared ? 1 : count);
      const d = Float64Array.from({ length: count * n }, () => rng() * 2);
      const shifts = Float64Array.from({ length: count }, () => rng() * 1e-3);
      k.begin();
      const aAt = k.alloc(a.length * 8);
      const [dAt, shAt] = [k.alloc(d.length * 8), k.alloc(count * 8)];
      const [got, want] = [k.alloc(count * nn * 8), k.alloc(count * nn * 8)];
      const mem = k.f64();
      mem.set(a, aAt >> 3);
      mem.set(d, dAt >> 3);
      mem.set(shifts, shAt >> 3);
      mem.fill(NaN, got >> 3, (got >> 3) + count * nn); // all overwritten
      for (let t = 0; t < count; t++) {
        const o = (want >> 3) + t * nn;
        mem.set(a.subarray(shared ? 0 : t * nn, (shared ? 1 : t + 1) * nn), o);
        for (let i = 0; i < n; i++) {
          mem[o + i * (n + 1)] += d[t * n + i];
          mem[o + i * (n + 1)] += shifts[t];
        }
      }
      const stride = shared ? 0 : nn * 8;
      const r = k.fn.cholShiftedBatch(got, aAt, stride, n, dAt, shAt, count);
      assert.is(r, -1, `n ${n} shared ${shared}: factors`);
      assert.is(k.fn.cholBatch(want, n, count), -1);
      const view = k.f64();
      for (let i = 0; i < count * nn; i++) {
        const [g, w] = [view[(got >> 3) + i], view[(want >> 3) + i]];
        if (!Object.is(g, w))
          assert.unreachable(`n ${n} shared ${shared}: entry ${i} ${g} ≠ ${w}`);
      }
      const kept = view.subarray(aAt >> 3, (aAt >> 3) + a.length);
      assert.ok(
        kept.every((v, i) => Object.is(v, a[i])),
        'A untouched',
      );
    }
  }
  // Item 2 of 4 indefinite: reported, as cholBatch reports it.
  const n = 6;
  const a = spdItems(rng, n, 4);
  a[2 * n * n + 3 * (n + 1)] = -50;
  k.begin();
  const aAt = k.alloc(a.length * 8);
  const [dAt, shAt, at] = [
    k.alloc(4 * n * 8),
    k.alloc(32),
    k.alloc(a.length * 8),
  ];
  const mem = k.f64();
  mem.set(a, aAt >> 3);
  mem.fill(0, dAt >> 3, (dAt >> 3) + 4 * n);
  mem.fill(0, shAt >> 3, (shAt >> 3) + 4);
  assert.is(k.fn.cholShiftedBatch(at, aAt, n * n * 8, n, dAt, shAt, 4), 2);
  assert.is(new Int32Array(mem.buffer, 8, 1)[0], 3, 'the failing pivot');
});

test.run();
