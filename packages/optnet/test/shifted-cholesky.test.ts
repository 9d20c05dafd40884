// qpShiftedCholesky's WebAssembly path against its definition,
// regularizedCholesky(addDiagonal(K, d), unit, boosts), bit for bit: over
// several chunks of items, with runs of active items across their border;
// in float32 to float32 rounding (the diagonal sum is kept in float64).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  eye,
  full,
  makeRng,
  matmul,
  rand,
  randn,
  regularizedCholesky,
  tensor,
  where,
  type Tensor,
} from '@optnet/tensor';
import { shiftedCholesky } from '../src/kernels/shifted-cholesky-kernel.js';

const arr = (t: Tensor): number[] => Array.from(t.dataSync());

/** shiftedCholesky against its definition, bit for bit. */
function sameAsDefinition(
  k: Tensor,
  d: Tensor,
  unit: Tensor,
  active: Tensor | null,
  what: string,
): void {
  const boosts = [0, 1e3];
  const [l, level] = shiftedCholesky(k, d, unit, boosts, active);
  let [wl, wlevel] = regularizedCholesky(k.addDiagonal(d), unit, boosts);
  if (active !== null) {
    const m = d.shape[1];
    wl = where(active.unsqueeze(-1), wl, eye(m, { dtype: wl.dtype }));
    wlevel = where(active, wlevel, 0);
  }
  const [g, w] = [arr(l), arr(wl)];
  const i = g.findIndex((v, j) => !Object.is(v, w[j]));
  assert.is(i, -1, `${what}: entry ${i}: ${g[i]} vs ${w[i]}`);
  assert.equal(arr(level), arr(wlevel), `${what}: levels`);
}

test('qpShiftedCholesky over several WebAssembly chunks (K shared, and per item too big for a mirror; runs of active items across the border): the bits of its definition', () => {
  const rng = makeRng(16);
  const [B, m] = [520, 64]; // (m² + m + 1)·8 bytes an item: 504 items a chunk
  const f64 = 'float64' as const;
  const d = rand([B, m], { rng, dtype: f64 }).add(0.01);
  const unit = full([B, 1], 1e-3, { dtype: f64 });
  const on = (i: number) => (i >= 495 && i < 515) || i % 7 === 0;
  const active = tensor(Array.from({ length: B }, (_, i) => [on(i)]));
  for (const lead of [[], [B]]) {
    const x = randn([...lead, m, m], { rng, dtype: f64 });
    const k = matmul(x, x, { transB: true }).div(m);
    for (const act of [null, active])
      sameAsDefinition(
        k,
        d,
        unit,
        act,
        `K[${[...lead, m, m]}] ${act !== null}`,
      );
  }
});

test('qpShiftedCholesky in float32: its definition to float32 rounding, and a diagonal sum past the float32 range still factors (kept in float64, as an item diverging towards an infeasibility certificate needs)', () => {
  const rng = makeRng(17);
  const f32 = 'float32' as const;
  const [B, m] = [6, 9];
  const spd = (lead: number[]) => {
    const x = randn([...lead, m, m], { rng, dtype: 'float64' });
    return matmul(x, x, { transB: true }).div(m).cast(f32);
  };
  const k = spd([B]);
  const d = rand([B, m], { rng, dtype: f32 }).mul(3).add(1e-3);
  const unit = full([B, 1], 1e-4, { dtype: f32 });
  const active = tensor([[true], [false], [true], [true], [false], [true]]);
  for (const kk of [k, spd([])]) {
    for (const act of [null, active]) {
      const what = `float32 K[${kk.shape}] ${act !== null}`;
      const [l, level] = shiftedCholesky(kk, d, unit, [0, 1e3], act);
      let [wl, wlevel] = regularizedCholesky(kk.addDiagonal(d), unit, [0, 1e3]);
      if (act !== null) {
        wl = where(act.unsqueeze(-1), wl, eye(m, { dtype: f32 }));
        wlevel = where(act, wlevel, 0);
      }
      const [g, w] = [arr(l), arr(wl)];
      g.forEach((v, i) =>
        assert.ok(Math.abs(v - w[i]) <= 1e-5 * (1 + Math.abs(w[i])), what),
      );
      assert.equal(arr(level), arr(wlevel), `${what}: levels`);
    }
  }
  // Item 2: K ~ 1e32 and d at float32's largest value; their sum
  // overflows float32 (addDiagonal's Inf fails every try of the
  // definition) but not float64.
  const big = k.mul(
    tensor([1, 1, 1e32, 1, 1, 1], { dtype: f32 }).reshape([B, 1, 1]),
  );
  const huge = d
    .mul(0)
    .add(
      tensor([[0], [0], [3.4028234663852886e38], [0], [0], [0]], {
        dtype: f32,
      }),
    )
    .add(d);
  const [, wlevel] = regularizedCholesky(big.addDiagonal(huge), unit, [0, 1e3]);
  assert.is(arr(wlevel)[2], -1, 'the definition fails item 2');
  const [l, level] = shiftedCholesky(big, huge, unit, [0, 1e3]);
  assert.is(arr(level)[2], 0, 'it factors here');
  assert.ok(arr(l).every(Number.isFinite), 'finite');
});

test.run();
