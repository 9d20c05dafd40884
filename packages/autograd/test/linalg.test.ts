import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '@optnet/tensor';
import type { Tensor } from '@optnet/tensor';
import { grad } from '@optnet/autograd';
import { checkShapes } from './gradcheck-helper.js';

const f64 = { dtype: 'float64' } as const;

/** Batched a·b as mul + sum (matmul may not exist in @optnet/tensor yet). */
const mm = (a: Tensor, b: Tensor): Tensor => T.matmul(a, b);
const mT = (x: Tensor): Tensor => T.transpose(x, -2, -1);
/** M·Mᵀ + n·I: SPD for any M. */
function spd(m: Tensor): Tensor {
  const n = m.shape[m.rank - 1];
  return T.add(mm(m, mT(m)), T.mul(T.eye(n, f64), n));
}
const sym = (a: Tensor): Tensor => T.mul(T.add(a, mT(a)), 0.5);
/** Well-conditioned general matrix M + 3n·I (diagonal dominant-ish). */
function wellConditioned(m: Tensor): Tensor {
  const n = m.shape[m.rank - 1];
  return T.add(m, T.mul(T.eye(n, f64), 3));
}

const check = checkShapes;

test('cholesky: gradcheck of cholesky(sym(M·Mᵀ + n·I)), single, batched and 1×1', () => {
  const f = (m: Tensor): Tensor => T.cholesky(sym(spd(m)));
  check('cholesky [3,3]', f, [[3, 3]], 1);
  check('cholesky [2,3,4,4]', f, [[2, 3, 4, 4]], 2);
  check('cholesky [1,1]', f, [[1, 1]], 3);
  check('cholesky [5,5]', f, [[5, 5]], 4);
});

test('regularizedCholesky: gradcheck of A and unit at levels 0 and 2, zero for an item that broke down', () => {
  // Item 0 SPD (level 0); item 1 = SPD − 6·I, indefinite, factored at
  // unit·4 = 8 (level 2); item 2 has −1e9 on its diagonal (level −1).
  const shift = T.tensor([0, -6, -1e9], f64).reshape([3, 1, 1]);
  const f = (m: Tensor, u: Tensor): Tensor => {
    const a = T.add(sym(spd(m)), T.mul(T.eye(3, f64), shift));
    const unit = T.add(T.mul(u, 0.01), 2).reshape([3, 1]);
    const [l, level] = T.regularizedCholesky(a, unit, [0, 1, 4]);
    assert.equal(Array.from(level.dataSync()), [0, 2, -1]);
    return l;
  };
  check('regularizedCholesky [3,3,3], unit [3]', f, [[3, 3, 3], [3]], 5);
  const g = grad((m: Tensor) => T.sum(f(m, T.zeros([3], f64))))(
    T.randn([3, 3, 3], { ...f64, rng: T.makeRng(3) }),
  ) as Tensor;
  const item2 = Array.from(g.dataSync()).slice(18);
  assert.ok(
    item2.every((v) => v === 0),
    `item 2: ${item2}`,
  );
});

test('cholesky: symmetric gradient, equal to the one through sym(A)', async () => {
  const a = spd(T.randn([3, 3], { ...f64, rng: T.makeRng(7) }));
  const w = T.randn([3, 3], { ...f64, rng: T.makeRng(8) });
  const g = grad((x: Tensor) => T.sum(T.mul(T.cholesky(x), w)))(a) as Tensor;
  const gs = grad((x: Tensor) => T.sum(T.mul(T.cholesky(sym(x)), w)))(
    a,
  ) as Tensor;
  const d = await g.data();
  const ds = await gs.data();
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      assert.ok(
        Math.abs(d[i * 3 + j] - d[j * 3 + i]) < 1e-12,
        'gradient must be symmetric',
      );
      assert.ok(
        Math.abs(d[i * 3 + j] - ds[i * 3 + j]) < 1e-12,
        'must match the gradient through sym',
      );
    }
  }
});

test('triangularSolve: gradcheck for lower/upper × transpose × unitDiagonal', () => {
  let seed = 10;
  for (const lower of [true, false]) {
    for (const transpose of [true, false]) {
      for (const unitDiagonal of [true, false]) {
        const f = (l: Tensor, b: Tensor): Tensor =>
          T.triangularSolve(wellConditioned(l), b, {
            lower,
            transpose,
            unitDiagonal,
          });
        check(
          `triangularSolve lower=${lower} transpose=${transpose} unit=${unitDiagonal}`,
          f,
          [
            [4, 4],
            [4, 3],
          ],
          seed++,
        );
      }
    }
  }
});

test('triangularSolve: gradcheck with broadcast batch dims and edge shapes', () => {
  const f = (l: Tensor, b: Tensor): Tensor =>
    T.triangularSolve(wellConditioned(l), b);
  check(
    'L [2,1,3,3], B [4,3,2]',
    f,
    [
      [2, 1, 3, 3],
      [4, 3, 2],
    ],
    20,
  );
  check(
    'L [3,3], B [2,3,1]',
    f,
    [
      [3, 3],
      [2, 3, 1],
    ],
    21,
  );
  check(
    'L [1,1], B [1,5]',
    f,
    [
      [1, 1],
      [1, 5],
    ],
    22,
  );
  const ft = (l: Tensor, b: Tensor): Tensor =>
    T.triangularSolve(wellConditioned(l), b, { lower: false, transpose: true });
  check(
    'upper transpose, L [2,3,3], B [3,2]',
    ft,
    [
      [2, 3, 3],
      [3, 2],
    ],
    23,
  );
});

test('solve: gradcheck, single, batched, broadcast', () => {
  const f = (a: Tensor, b: Tensor): Tensor => T.solve(wellConditioned(a), b);
  check(
    'A [3,3], B [3,2]',
    f,
    [
      [3, 3],
      [3, 2],
    ],
    30,
  );
  check(
    'A [2,4,4], B [2,4,1]',
    f,
    [
      [2, 4, 4],
      [2, 4, 1],
    ],
    31,
  );
  check(
    'A [3,3], B [2,3,2]',
    f,
    [
      [3, 3],
      [2, 3, 2],
    ],
    32,
  );
  check(
    'A [2,1,3,3], B [3,3,1]',
    f,
    [
      [2, 1, 3, 3],
      [3, 3, 1],
    ],
    33,
  );
  check(
    'A [1,1], B [1,1]',
    f,
    [
      [1, 1],
      [1, 1],
    ],
    34,
  );
});

test('addDiagonal: gradcheck of A and d, with d and A batch dims broadcast', () => {
  check(
    'A [2,3,3], d [2,3]',
    (a: Tensor, d: Tensor) => T.addDiagonal(a, d),
    [
      [2, 3, 3],
      [2, 3],
    ],
    50,
  );
  check(
    'A [3,3] shared, d [4,3]',
    (a: Tensor, d: Tensor) => T.addDiagonal(a, d),
    [
      [3, 3],
      [4, 3],
    ],
    51,
  );
  check(
    'A [2,1,3,3], d [5,3]',
    (a: Tensor, d: Tensor) => T.addDiagonal(a, d).square(),
    [
      [2, 1, 3, 3],
      [5, 3],
    ],
    52,
  );
});

test('diagonal: gradcheck, batched', () => {
  check('A [2,3,3]', (a: Tensor) => T.diagonal(a), [[2, 3, 3]], 53);
  check(
    'A [4,4] through addDiagonal',
    (a: Tensor) => T.diagonal(T.addDiagonal(a, T.diagonal(a)).square()),
    [[4, 4]],
    54,
  );
});

test('choleskySolve and inverse: gradcheck of the composites', () => {
  check(
    'choleskySolve',
    (m: Tensor, b: Tensor) => T.choleskySolve(T.cholesky(sym(spd(m))), b),
    [
      [2, 3, 3],
      [3, 2],
    ],
    40,
  );
  check(
    'inverse',
    (a: Tensor) => T.inverse(wellConditioned(a)),
    [[2, 3, 3]],
    41,
  );
});

test('solve: gradient of B matches A⁻ᵀ·G exactly on a small case', async () => {
  const a = T.tensor(
    [
      [2, 1],
      [0, 4],
    ],
    f64,
  );
  const b = T.tensor([[1], [2]], f64);
  const [ga, gb] = grad((x: Tensor, y: Tensor) => T.sum(T.solve(x, y)))(
    a,
    b,
  ) as Tensor[];
  // A⁻ᵀ·1 = [[0.5, 0], [-0.125, 0.25]]·[1,1] = [0.5, 0.125]
  const dgb = Array.from(await gb.data());
  assert.ok(
    Math.abs(dgb[0] - 0.5) < 1e-14 && Math.abs(dgb[1] - 0.125) < 1e-14,
    `gb ${dgb}`,
  );
  // X = [0.25, 0.5]; dA = −gb·Xᵀ
  const dga = Array.from(await ga.data());
  const want = [-0.125, -0.25, -0.03125, -0.0625];
  want.forEach((v, i) => assert.ok(Math.abs(dga[i] - v) < 1e-14, `ga ${dga}`));
});

test.run();
