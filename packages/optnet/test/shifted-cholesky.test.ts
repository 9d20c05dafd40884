// qpShiftedCholesky's WebAssembly path against its definition,
// regularizedCholesky(addDiagonal(K, d), unit, boosts), bit for bit: over
// several chunks of items, with runs of active items across their border,
// and in float32 (the diagonal rounded as addDiagonal rounds it).
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

test('qpShiftedCholesky in float32: the bits of its definition, and an item that needs a boost changes no other item', () => {
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
    for (const act of [null, active])
      sameAsDefinition(
        kk,
        d,
        unit,
        act,
        `float32 K[${kk.shape}] ${act !== null}`,
      );
  }
  // Item 3 indefinite: the whole call takes the fallback; item 0's factor
  // must not change with it.
  const bad = d.mul(tensor([[1], [1], [1], [-100], [1], [1]], { dtype: f32 }));
  const [l1] = shiftedCholesky(k, d, unit, [0, 1e3]);
  const [l2, level] = shiftedCholesky(k, bad, unit, [0, 1e3]);
  assert.is(arr(level)[3] !== 0, true, 'item 3 needed a boost');
  const item0 = (l: Tensor) => arr(l).slice(0, m * m);
  assert.equal(item0(l2), item0(l1));
});

test.run();
