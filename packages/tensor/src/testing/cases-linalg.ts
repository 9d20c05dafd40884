/** Forward cases for the linalg primitives (see op-suite.ts). */
import * as T from '../index.js';
import { assertClose, assertThrowsCode } from './assert.js';
import { unlike, wide, wideFloat } from './suite-dtype.js';
import type { OpCase } from './op-suite.js';

type Mat = number[][];

// Naive reference loops on plain arrays.
function matmulRef(a: Mat, b: Mat): Mat {
  return a.map((row) =>
    b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)),
  );
}
function transposeRef(a: Mat): Mat {
  return a[0].map((_, j) => a.map((r) => r[j]));
}
/** A deterministic SPD matrix M·Mᵀ + n·I. */
function spdRef(n: number, seed: number): Mat {
  const m: Mat = [];
  for (let i = 0; i < n; i++)
    m.push(Array.from({ length: n }, (_, j) => Math.sin(seed + 3 * i + 7 * j)));
  const a = matmulRef(m, transposeRef(m));
  for (let i = 0; i < n; i++) a[i][i] += n;
  return a;
}
function randMat(rows: number, cols: number, seed: number): Mat {
  const m: Mat = [];
  for (let i = 0; i < rows; i++)
    m.push(
      Array.from({ length: cols }, (_, j) =>
        Math.cos(seed * 1.3 + 2 * i - 5 * j),
      ),
    );
  return m;
}
async function mats(t: T.Tensor): Promise<Mat[]> {
  const n = t.shape[t.rank - 2];
  const k = t.shape[t.rank - 1];
  const d = Array.from(await t.data());
  const out: Mat[] = [];
  for (let o = 0; o < d.length; o += n * k) {
    out.push(
      Array.from({ length: n }, (_, i) => d.slice(o + i * k, o + (i + 1) * k)),
    );
  }
  return out;
}

const firstLinalgCases: OpCase[] = [
  {
    name: 'diagonal: [..., n, n] → [..., n], batched; 1×1; non-square refused',
    run: async () => {
      const a = T.tensor(
        [
          [
            [1, 2],
            [3, 4],
          ],
          [
            [5, 6],
            [7, 8],
          ],
        ],
        wide,
      );
      await assertClose(
        T.diagonal(a),
        [
          [1, 4],
          [5, 8],
        ],
        { shape: [2, 2] },
      );
      await assertClose(T.tensor([[[[9]]]]).diagonal(), [[[9]]], {
        shape: [1, 1, 1],
      });
      assertThrowsCode(
        () => T.diagonal(T.tensor([[1, 2, 3]], wide)),
        'SHAPE_MISMATCH',
      );
    },
  },
  {
    name: 'addDiagonal: A + diag(d) with broadcast batch dims; float32; shape errors',
    run: async () => {
      const a = T.tensor(
        [
          [
            [1, 2],
            [3, 4],
          ],
          [
            [5, 6],
            [7, 8],
          ],
        ],
        wide,
      );
      await assertClose(
        T.addDiagonal(a, T.tensor([10, 20], wide)),
        [
          [
            [11, 2],
            [3, 24],
          ],
          [
            [15, 6],
            [7, 28],
          ],
        ],
        { shape: [2, 2, 2] },
      );
      const d = T.tensor(
        [
          [1, 1],
          [2, 2],
          [3, 3],
        ],
        wide,
      ); // [3, 2] against a shared A [2, 2]
      await assertClose(
        a
          .slice([{ start: 0, stop: 1 }])
          .squeeze(0)
          .addDiagonal(d),
        [
          [
            [2, 2],
            [3, 5],
          ],
          [
            [3, 2],
            [3, 6],
          ],
          [
            [4, 2],
            [3, 7],
          ],
        ],
      );
      await assertClose(
        T.addDiagonal(
          T.tensor([
            [1, 0],
            [0, 1],
          ]),
          T.tensor([0.5, 0.25]),
        ),
        [
          [1.5, 0],
          [0, 1.25],
        ],
      );
      assertThrowsCode(
        () => T.addDiagonal(a, T.tensor([1, 2, 3], wide)),
        'SHAPE_MISMATCH',
      );
      assertThrowsCode(
        () => T.addDiagonal(T.tensor([[1, 2, 3]], wide), T.tensor([1], wide)),
        'SHAPE_MISMATCH',
      );
    },
  },
  {
    name: 'cholesky: L·Lᵀ ≈ A, L lower with positive diagonal, batched [2,3,4,4]',
    run: async () => {
      const as = Array.from({ length: 6 }, (_, i) => spdRef(4, i));
      const a = T.reshape(T.tensor(as, wide), [2, 3, 4, 4]);
      const l = T.cholesky(a);
      if (l.shape.join() !== '2,3,4,4' || l.dtype !== wideFloat())
        throw new Error(`shape ${l.shape}`);
      const ls = await mats(l);
      for (let b = 0; b < 6; b++) {
        for (let i = 0; i < 4; i++) {
          if (!(ls[b][i][i] > 0)) throw new Error('diagonal must be positive');
          for (let j = i + 1; j < 4; j++)
            if (ls[b][i][j] !== 0) throw new Error('upper triangle must be 0');
        }
        await assertClose(
          matmulRef(ls[b], transposeRef(ls[b])).flat(),
          as[b].flat(),
          { rtol: 1e-12, atol: 1e-12 },
        );
      }
    },
  },
  {
    name: 'cholesky: reads only the lower triangle; float32; 1×1 and method form',
    run: async () => {
      const a = spdRef(3, 5);
      const junk = a.map((r, i) => r.map((v, j) => (j > i ? 1e6 : v)));
      const l32 = T.tensor(junk).cholesky();
      if (l32.dtype !== 'float32') throw new Error(l32.dtype);
      const [l] = await mats(l32);
      await assertClose(matmulRef(l, transposeRef(l)).flat(), a.flat(), {
        rtol: 1e-5,
        atol: 1e-5,
      });
      await assertClose(T.cholesky(T.tensor([[[4]]], wide)), [[[2]]], {
        shape: [1, 1, 1],
      });
    },
  },
  {
    name: 'cholesky: errors (not PD names batch item and pivot, non-square, int)',
    run: async () => {
      const good = spdRef(3, 1);
      const bad = [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, -2],
      ];
      const a = T.tensor([good, good, bad], wide);
      await assertThrowsCode(
        () => T.cholesky(a).data(),
        'NOT_POSITIVE_DEFINITE',
        /^cholesky: .*batch item 2 at pivot 2 \(-2/,
      );
      await assertThrowsCode(
        () => T.cholesky(T.zeros([2, 3])),
        'SHAPE_MISMATCH',
        /^cholesky: .*square/,
      );
      await assertThrowsCode(
        () => T.cholesky(T.zeros([3])),
        'SHAPE_MISMATCH',
        /^cholesky:/,
      );
      await assertThrowsCode(
        () => T.cholesky(T.zeros([2, 2], { dtype: 'int32' })),
        'DTYPE_MISMATCH',
        /^cholesky:/,
      );
    },
  },
  {
    name: 'regularizedCholesky: per item, the first boost that factors; level −1 and L = I where none does',
    run: async () => {
      // Item 0 is SPD (level 0, the plain factor); item 1 has eigenvalue
      // −0.5 (needs 0.5 < unit·boost: 1·1 fails, 1·10 works: level 2);
      // item 2 holds a NaN (every try fails, only there).
      const good = spdRef(3, 2);
      const indef = [
        [1, 0, 0],
        [0, -0.5, 0],
        [0, 0, 2],
      ];
      const nan = [
        [1, 0, 0],
        [0, NaN, 0],
        [0, 0, 1],
      ];
      const a = T.tensor([good, indef, nan], wide);
      const unit = T.tensor([[1], [1], [1]], wide);
      const [l, level] = T.regularizedCholesky(a, unit, [0, 0.25, 10, 100]);
      await assertClose(level, [[0], [2], [-1]], { shape: [3, 1] });
      const ls = await mats(l);
      const want = await mats(T.cholesky(T.tensor([good], wide)));
      await assertClose(ls[0].flat(), want[0].flat(), { rtol: 1e-14 });
      const shifted = indef.map((r, i) =>
        r.map((v, j) => v + (i === j ? 10 : 0)),
      );
      await assertClose(
        matmulRef(ls[1], transposeRef(ls[1])).flat(),
        shifted.flat(),
        { rtol: 1e-12, atol: 1e-12 },
      );
      await assertClose(ls[2].flat(), [1, 0, 0, 0, 1, 0, 0, 0, 1]);
    },
  },
  {
    name: 'regularizedCholesky: a shared A broadcasts against a unit per item; float32; errors',
    run: async () => {
      const a = [
        [1, 2],
        [2, 1],
      ]; // eigenvalues 3 and −1
      const unit = T.tensor([[0.5], [2]]);
      const [l, level] = T.regularizedCholesky(T.tensor(a), unit, [0, 1, 4]);
      if (l.shape.join() !== '2,2,2' || l.dtype !== 'float32')
        throw new Error(`shape ${l.shape} ${l.dtype}`);
      // 1 + 0.5·4 = 3 > 2 (item 0: level 2); 1 + 2·1 = 3 (item 1: level 1).
      await assertClose(level, [[2], [1]], { shape: [2, 1] });
      const ls = await mats(l);
      await assertClose(
        matmulRef(ls[0], transposeRef(ls[0])).flat(),
        [3, 2, 2, 3],
        { rtol: 1e-6 },
      );
      await assertThrowsCode(
        () => T.regularizedCholesky(T.tensor(a), T.tensor([1, 1])),
        'SHAPE_MISMATCH',
        /^regularizedCholesky: unit must be \[\.\.\., 1\]/,
      );
      await assertThrowsCode(
        () => T.regularizedCholesky(T.tensor(a), T.tensor([1]), [-1]),
        'BAD_ARGUMENT',
        /^regularizedCholesky: boosts/,
      );
    },
  },
  {
    name: 'triangularSolve: op(L)·X ≈ B for lower/upper × transpose × unitDiagonal, few and many columns',
    run: async () => {
      // Odd and even column counts (the kernel solves two columns at a time).
      for (const [n, k] of [
        [4, 3],
        [7, 6],
        [7, 1],
        [9, 3],
        [6, 1],
      ])
        await triangularCase(randMat(n, n, 2), randMat(n, k, 3));
    },
  },
  {
    name: 'triangularSolve with checkFinite false: a NaN in B stays in its own item (and column), no throw',
    run: async () => {
      const l = T.tensor(randMat(6, 6, 4), wide)
        .matmul(T.tensor(randMat(6, 6, 4), wide), { transB: true })
        .addDiagonal(T.full([6], 6, wide))
        .cholesky();
      const good = randMat(6, 2, 5);
      const bad = randMat(6, 2, 6);
      bad[3][1] = NaN;
      const b = T.tensor([good, bad], wide);
      for (const transpose of [false, true]) {
        await assertThrowsCode(
          () => T.triangularSolve(l, b, { transpose }).data(),
          'NON_FINITE',
          /^triangularSolve: B must be finite/,
        );
        const x = await mats(
          T.triangularSolve(l, b, { transpose, checkFinite: false }),
        );
        const want = await mats(
          T.triangularSolve(l, T.tensor([good], wide), { transpose }),
        );
        await assertClose(x[0].flat(), want[0].flat(), { rtol: 1e-14 });
        // Item 1: column 0 is untouched by the NaN in column 1.
        if (!x[1].every((r) => Number.isFinite(r[0])))
          throw new Error(`column 0 of item 1 not finite: ${x[1]}`);
        if (!x[1].some((r) => Number.isNaN(r[1])))
          throw new Error(`column 1 of item 1 lost its NaN: ${x[1]}`);
      }
    },
  },
  {
    name: 'triangularSolve: a batch of right-hand sides with a shared L equals one solve per item',
    run: async () => {
      const l = T.tensor(randMat(9, 9, 4), wide)
        .matmul(T.tensor(randMat(9, 9, 4), wide), { transB: true })
        .addDiagonal(T.full([9], 9, wide))
        .cholesky();
      const b = T.tensor([randMat(9, 5, 5), randMat(9, 5, 6)], wide);
      const x = T.triangularSolve(l, b, { transpose: true });
      for (let i = 0; i < 2; i++) {
        const xi = T.triangularSolve(
          l,
          b.slice([{ start: i, stop: i + 1 }]).reshape([9, 5]),
          { transpose: true },
        );
        await assertClose(
          x.slice([{ start: i, stop: i + 1 }]).reshape([9, 5]),
          await xi.data(),
          { rtol: 1e-12, atol: 1e-12 },
        );
      }
    },
  },
];

/**
 * op(L)·X ≈ B for every lower/upper × transpose × unitDiagonal, with junk in
 * the unread triangle.
 */
async function triangularCase(m: number[][], b: number[][]): Promise<void> {
  for (const lower of [true, false]) {
    for (const transpose of [true, false]) {
      for (const unitDiagonal of [true, false]) {
        const l = m.map((r, i) =>
          r.map((v, j) =>
            i === j
              ? unitDiagonal
                ? 99
                : 2 + v
              : (lower ? i > j : i < j)
                ? v
                : 77,
          ),
        );
        const eff = l.map((r, i) =>
          r.map((v, j) =>
            i === j ? (unitDiagonal ? 1 : v) : (lower ? i > j : i < j) ? v : 0,
          ),
        );
        const x = T.triangularSolve(T.tensor(l, wide), T.tensor(b, wide), {
          lower,
          transpose,
          unitDiagonal,
        });
        const [xs] = await mats(x);
        const op = transpose ? transposeRef(eff) : eff;
        await assertClose(matmulRef(op, xs).flat(), b.flat(), {
          rtol: 1e-12,
          atol: 1e-12,
        });
      }
    }
  }
}

const moreLinalgCases: OpCase[] = [
  {
    name: 'triangularSolve/choleskySolve: batch dims broadcast ([2,1,3,3] with [4,3,2])',
    run: async () => {
      const as = [spdRef(3, 0), spdRef(3, 1)];
      const bs = Array.from({ length: 4 }, (_, i) => randMat(3, 2, i + 10));
      const a = T.tensor(
        as.map((x) => [x]),
        wide,
      );
      const b = T.tensor(bs, wide);
      const l = T.cholesky(a);
      const x = T.choleskySolve(l, b);
      if (x.shape.join() !== '2,4,3,2') throw new Error(`shape ${x.shape}`);
      const xs = await mats(x);
      for (let i = 0; i < 2; i++) {
        for (let j = 0; j < 4; j++) {
          await assertClose(
            matmulRef(as[i], xs[i * 4 + j]).flat(),
            bs[j].flat(),
            { rtol: 1e-12, atol: 1e-12 },
          );
        }
      }
      const y = l.triangularSolve(b);
      if (y.shape.join() !== '2,4,3,2') throw new Error(`shape ${y.shape}`);
    },
  },
  {
    name: 'triangularSolve: errors (row mismatch, batch mismatch, dtype)',
    run: async () => {
      const l = T.eye(3, wide);
      await assertThrowsCode(
        () => T.triangularSolve(l, T.zeros([4, 2], wide)),
        'SHAPE_MISMATCH',
        /^triangularSolve: .*n = 3/,
      );
      await assertThrowsCode(
        () =>
          T.triangularSolve(T.zeros([2, 3, 3], wide), T.zeros([5, 3, 1], wide)),
        'SHAPE_MISMATCH',
        /^triangularSolve: cannot broadcast/,
      );
      await assertThrowsCode(
        () => T.triangularSolve(l, T.zeros([3, 1], { dtype: unlike(l.dtype) })),
        'DTYPE_MISMATCH',
        new RegExp(`^triangularSolve: .*${l.dtype}.*${unlike(l.dtype)}`),
      );
    },
  },
  {
    name: 'solve: A·X ≈ B with pivoting, batched and broadcast; inverse',
    run: async () => {
      // zero leading entry forces a row swap
      const a0 = [
        [0, 2, 1],
        [1, 1, 1],
        [2, 0, 3],
      ];
      const a1 = randMat(3, 3, 4).map((r, i) =>
        r.map((v, j) => v + (i === j ? 3 : 0)),
      );
      const bs = [randMat(3, 2, 5)];
      const x = T.solve(T.tensor([a0, a1], wide), T.tensor(bs, wide));
      if (x.shape.join() !== '2,3,2') throw new Error(`shape ${x.shape}`);
      const xs = await mats(x);
      await assertClose(matmulRef(a0, xs[0]).flat(), bs[0].flat(), {
        rtol: 1e-12,
        atol: 1e-12,
      });
      await assertClose(matmulRef(a1, xs[1]).flat(), bs[0].flat(), {
        rtol: 1e-12,
        atol: 1e-12,
      });
      const inv = await mats(T.tensor([a0, a1], wide).inverse());
      await assertClose(
        matmulRef(a0, inv[0]).flat(),
        [1, 0, 0, 0, 1, 0, 0, 0, 1],
        { rtol: 1e-12, atol: 1e-12 },
      );
      await assertClose(
        matmulRef(inv[1], a1).flat(),
        [1, 0, 0, 0, 1, 0, 0, 0, 1],
        { rtol: 1e-12, atol: 1e-12 },
      );
      const x32 = await mats(T.solve(T.tensor(a0), T.tensor(bs[0])));
      await assertClose(matmulRef(a0, x32[0]).flat(), bs[0].flat(), {
        rtol: 1e-4,
        atol: 1e-5,
      });
    },
  },
  {
    name: 'solve: errors (singular names the batch item, shapes)',
    run: async () => {
      const sing = [
        [1, 2],
        [2, 4],
      ];
      const a = T.tensor(
        [
          [
            [1, 0],
            [0, 1],
          ],
          sing,
        ],
        wide,
      );
      await assertThrowsCode(
        () => T.solve(a, T.ones([2, 1], wide)).data(),
        'SINGULAR',
        /^solve: .*batch item 1/,
      );
      await assertThrowsCode(
        () => T.inverse(T.zeros([3, 3], wide)).data(),
        'SINGULAR',
        /batch item 0/,
      );
      await assertThrowsCode(
        () => T.inverse(T.zeros([3, 2], wide)),
        'SHAPE_MISMATCH',
        /^inverse: /,
      );
      await assertThrowsCode(
        () => T.solve(T.eye(2, wide), T.zeros([3, 1], wide)),
        'SHAPE_MISMATCH',
        /^solve: /,
      );
    },
  },
  {
    name: 'cholesky/solve/triangularSolve: NaN or Inf input is a NON_FINITE error naming the entry',
    run: async () => {
      const b = T.ones([2, 1], wide);
      await assertThrowsCode(
        () =>
          T.cholesky(
            T.tensor(
              [
                [NaN, 0],
                [0, 1],
              ],
              wide,
            ),
          ).data(),
        'NON_FINITE',
        /^cholesky: A must be finite; got NaN at \[0, 0\]/,
      );
      await assertThrowsCode(
        () =>
          T.solve(
            T.tensor(
              [
                [1, 0],
                [0, NaN],
              ],
              wide,
            ),
            b,
          ).data(),
        'NON_FINITE',
        /^solve: A must be finite; got NaN at \[1, 1\]/,
      );
      await assertThrowsCode(
        () =>
          T.solve(T.eye(2, wide), T.tensor([[1], [-Infinity]], wide)).data(),
        'NON_FINITE',
        /^solve: B must be finite; got -Infinity at \[1, 0\]/,
      );
      await assertThrowsCode(
        () =>
          T.triangularSolve(
            T.tensor(
              [
                [1, 0],
                [Infinity, 1],
              ],
              wide,
            ),
            b,
          ).data(),
        'NON_FINITE',
        /^triangularSolve: L must be finite; got Infinity at \[1, 0\]/,
      );
    },
  },
];

export const linalgCases: OpCase[] = [...firstLinalgCases, ...moreLinalgCases];
