/**
 * Forward cases for the core primitives: elementwise, reductions,
 * reshape/permute/expand.
 */
import * as T from '../index.js';
import { assertClose, assertThrowsCode } from './assert.js';
import { unlike, wide } from './suite-dtype.js';
import type { OpCase } from './op-suite.js';

const x23 = (): T.Tensor =>
  T.tensor(
    [
      [1, -2, 3],
      [-4, 5, 0.5],
    ],
    wide,
  );

/** Same value, NaN equal to NaN and +0 unlike −0. */
function assertObjectIs(got: number, want: number, what: string): void {
  if (!Object.is(got, want))
    throw new Error(
      `${what}: got ${Object.is(got, -0) ? '-0' : got}, want ${want}`,
    );
}

function unaryCase(name: keyof typeof refs): OpCase {
  return {
    name: `${name}: matches Math on float64`,
    run: async () => {
      const vals =
        name === 'log' || name === 'sqrt' || name === 'rsqrt'
          ? [0.5, 1, 2, 9]
          : [-3, -0.5, 0, 0.7, 4];
      const x = T.tensor(vals, wide);
      const fn = T[name] as (t: T.Tensor) => T.Tensor;
      await assertClose(fn(x), vals.map(refs[name]), {
        rtol: 1e-12,
        atol: 1e-12,
      });
    },
  };
}

const refs = {
  neg: (v: number) => -v,
  abs: Math.abs,
  sign: Math.sign,
  square: (v: number) => v * v,
  exp: Math.exp,
  log: Math.log,
  log1p: Math.log1p,
  sqrt: Math.sqrt,
  rsqrt: (v: number) => 1 / Math.sqrt(v),
  reciprocal: (v: number) => 1 / v,
  sin: Math.sin,
  cos: Math.cos,
  tanh: Math.tanh,
  sigmoid: (v: number) => 1 / (1 + Math.exp(-v)),
  softplus: (v: number) => Math.log(1 + Math.exp(v)),
  relu: (v: number) => Math.max(v, 0),
};

export const coreCases: OpCase[] = [
  ...(Object.keys(refs) as (keyof typeof refs)[]).map(unaryCase),
  {
    name: 'relu: NaN stays NaN, −0 and negatives give +0 (float32, float64, int32)',
    run: async () => {
      const vals = [-2, -0, 0, 3, NaN, -Infinity, Infinity, -1e-30];
      for (const opts of [{ dtype: 'float32' as const }, wide]) {
        const y = await T.relu(T.tensor(vals, opts)).data();
        const want = [0, 0, 0, 3, NaN, 0, Infinity, 0];
        want.forEach((w, i) =>
          assertObjectIs(y[i], w, `relu(${vals[i]}) ${opts.dtype}`),
        );
      }
      const i = await T.relu(T.tensor([-5, 0, 7], { dtype: 'int32' })).data();
      [0, 0, 7].forEach((w, k) => assertObjectIs(i[k], w, `relu int32 [${k}]`));
    },
  },
  {
    name: 'sigmoid/softplus: stable at ±800 in float32',
    run: async () => {
      const x = T.tensor([-800, 800]);
      await assertClose(T.sigmoid(x), [0, 1]);
      await assertClose(T.softplus(x), [0, 800], { rtol: 1e-6 });
    },
  },
  {
    name: 'add/sub/mul/div/pow/maximum/minimum: broadcast [2,1,3] with [4,3]',
    run: async () => {
      const a = T.tensor([[[1, 2, 3]], [[4, 5, 6]]], wide);
      const b = T.tensor(
        [
          [1, 2, 3],
          [0.5, 1, 2],
          [-1, 0, 1],
          [2, 2, 2],
        ],
        wide,
      );
      const av = [
        [1, 2, 3],
        [4, 5, 6],
      ];
      const bv = [
        [1, 2, 3],
        [0.5, 1, 2],
        [-1, 0, 1],
        [2, 2, 2],
      ];
      const ops: [
        (a: T.Tensor, b: T.Tensor) => T.Tensor,
        (x: number, y: number) => number,
      ][] = [
        [T.add, (x, y) => x + y],
        [T.sub, (x, y) => x - y],
        [T.mul, (x, y) => x * y],
        [T.div, (x, y) => x / y],
        [T.pow, Math.pow],
        [T.maximum, Math.max],
        [T.minimum, Math.min],
      ];
      for (const [op, f] of ops) {
        const want = av.map((r) =>
          bv.map((br) => br.map((y, k) => f(r[k], y))),
        );
        await assertClose(op(a, b), want, { shape: [2, 4, 3], rtol: 1e-14 });
      }
    },
  },
  {
    name: 'sub/where: a column [.., 1] against a full operand, either side (the row-by-row path)',
    run: async () => {
      const x = T.tensor(
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        wide,
      );
      const col = T.tensor([[10], [20]], wide);
      await assertClose(
        T.sub(x, col),
        [
          [-9, -8, -7],
          [-16, -15, -14],
        ],
        { shape: [2, 3] },
      );
      await assertClose(
        T.sub(col, x),
        [
          [9, 8, 7],
          [16, 15, 14],
        ],
        { shape: [2, 3] },
      );
      const x3 = T.reshape(T.arange(0, 12, 1, wide), [2, 2, 3]);
      await assertClose(
        T.mul(
          x3,
          T.tensor(
            [
              [[1], [0]],
              [[2], [-1]],
            ],
            wide,
          ),
        ),
        [
          [
            [0, 1, 2],
            [0, 0, 0],
          ],
          [
            [12, 14, 16],
            [-9, -10, -11],
          ],
        ],
      );
      const cond = T.tensor([[true], [false]]);
      await assertClose(T.where(T.greater(x, 2), x, col), [
        [10, 10, 3],
        [4, 5, 6],
      ]);
      await assertClose(T.where(cond, x, col), [
        [1, 2, 3],
        [20, 20, 20],
      ]);
      // One flag a row over whole rows and a single value, either side
      // (the rows path); special values kept bit for bit.
      await assertClose(T.where(cond, x, 7), [
        [1, 2, 3],
        [7, 7, 7],
      ]);
      await assertClose(T.where(cond, -1, x), [
        [-1, -1, -1],
        [4, 5, 6],
      ]);
      const odd = T.tensor([NaN, -0, Infinity, 1, 2, 3], wide).reshape([2, 3]);
      const kept = await T.where(T.tensor([[true], [false]]), odd, -0).data();
      [NaN, -0, Infinity, -0, -0, -0].forEach((w, i) => {
        if (!Object.is(kept[i], w))
          throw new Error(`where rows [${i}]: got ${kept[i]}, want ${w}`);
      });
      // Rows of 20 (long enough to be copied whole), one flag a row, b a
      // broadcast row.
      const wideX = T.reshape(T.arange(0, 60, 1, wide), [3, 20]);
      const row = T.reshape(T.arange(100, 120, 1, wide), [1, 20]);
      const flags = T.tensor([[false], [true], [false]]);
      const from = (start: number) =>
        Array.from({ length: 20 }, (_, j) => start + j);
      await assertClose(T.where(flags, wideX, row), [
        from(100),
        from(20),
        from(100),
      ]);
    },
  },
  {
    name: 'add: a number takes the tensor dtype; mixed dtypes are refused',
    run: async () => {
      const y = T.add(T.tensor([1, 2], { dtype: 'int32' }), 3);
      if (y.dtype !== 'int32') throw new Error(`dtype ${y.dtype}`);
      await assertClose(y, [4, 5]);
      // A number an int32 operand would round is refused, not rounded:
      // i.less(2.5) would compare with 2.
      const i = T.tensor([1, 2, 3], { dtype: 'int32' });
      await assertThrowsCode(
        () => T.less(i, 2.5),
        'DTYPE_MISMATCH',
        /^less: a number takes the int32 tensor's dtype.*got 2\.5\. Cast/,
      );
      await assertThrowsCode(
        () => T.mul(0.5, i),
        'DTYPE_MISMATCH',
        /^mul: .*got 0\.5/,
      );
      await assertThrowsCode(
        () => T.full([2], 2.5, { dtype: 'int32' }),
        'BAD_ARGUMENT',
        /^full: int32 holds integers .*got 2\.5/,
      );
      await assertThrowsCode(
        () => T.tensor([1, 3e9], { dtype: 'int32' }),
        'BAD_ARGUMENT',
        /^tensor: int32 holds integers .*got 3000000000 at index 1/,
      );
      await assertThrowsCode(
        () => T.add(T.tensor([1]), T.tensor([1], { dtype: unlike('float32') })),
        'DTYPE_MISMATCH',
        new RegExp(`^add: .*float32.*${unlike('float32')}`),
      );
      await assertThrowsCode(
        () => T.mul(T.zeros([2, 3]), T.zeros([4, 3])),
        'SHAPE_MISMATCH',
        /axis -2: 2 vs 4/,
      );
    },
  },
  {
    name: "PyTorch-style arguments get the op's own error: keyword axes, a bare reshape size, mean of int32",
    run: async () => {
      const x = T.ones([2, 3], wide);
      await assertThrowsCode(
        () => T.sum(x, { dim: 1, keepdim: true } as never),
        'BAD_ARGUMENT',
        /^sum: axes must be a number or an array.*x\.sum\(1, true\)/,
      );
      await assertThrowsCode(
        () => T.reshape(x, 6 as never),
        'BAD_ARGUMENT',
        /^reshape: shape must be an array of sizes; got 6\. Write x\.reshape\(\[6\]\)/,
      );
      await assertThrowsCode(
        () => T.mean(T.tensor([1, 2], { dtype: 'int32' })),
        'DTYPE_MISMATCH',
        /^mean: x must be float; got int32/,
      );
    },
  },
  {
    name: 'maximum/max: NaN propagates',
    run: async () => {
      const x = T.tensor([1, NaN, 3], wide);
      await assertClose(T.maximum(x, 2), [2, NaN, 3]);
      await assertClose(T.max(x), [NaN]);
    },
  },
  {
    name: 'comparisons and where',
    run: async () => {
      const x = x23();
      const g = T.greater(x, 0);
      if (g.dtype !== 'bool') throw new Error('comparison must return bool');
      await assertClose(g, [1, 0, 1, 0, 1, 1]);
      await assertClose(T.lessEqual(x, 0.5), [0, 1, 0, 1, 0, 1]);
      await assertClose(
        T.equal(x, T.tensor([1, 5, 0.5], wide)),
        [1, 0, 0, 0, 1, 1],
      );
      await assertClose(T.where(g, x, T.tensor([10, 20, 30], wide)), [
        [1, 20, 3],
        [10, 5, 0.5],
      ]);
      await assertThrowsCode(
        () => T.where(x, x, x),
        'DTYPE_MISMATCH',
        /cond must be bool/,
      );
    },
  },
  {
    name: 'where: every value kept as it is (NaN, ±0, ±Inf), a single-value branch on either side, float32, float64, int32, bool',
    run: async () => {
      const rng = T.makeRng(5);
      const n = 1000;
      const cond = T.greater(T.rand([n], { rng }), 0.5);
      const flags = Array.from(await cond.data());
      const special = [NaN, -0, 0, Infinity, -Infinity, 0.1, -3.5];
      const vals = Array.from({ length: n }, (_, i) =>
        i % 3 === 0 ? special[i % special.length] : i - 500,
      );
      const alt = vals.map((v, i) => (i % 2 ? -v : 7 + i));
      for (const dtype of ['float32', wide.dtype, 'int32'] as const) {
        const int = dtype === 'int32';
        const fix = (v: number) => (int ? (Number.isFinite(v) ? v | 0 : 3) : v);
        const a = vals.map(fix);
        const b = alt.map(fix);
        const round = (v: number) => (dtype === 'float32' ? Math.fround(v) : v);
        const cases: [T.Tensor, T.Tensor, (i: number) => number][] = [
          [
            T.tensor(a, { dtype }),
            T.tensor(b, { dtype }),
            (i) => (flags[i] ? a[i] : b[i]),
          ],
          [
            T.tensor(a, { dtype }),
            T.scalar(-0, dtype),
            (i) => (flags[i] ? a[i] : -0),
          ],
          [
            T.scalar(int ? 9 : NaN, dtype),
            T.tensor(b, { dtype }),
            (i) => (flags[i] ? (int ? 9 : NaN) : b[i]),
          ],
        ];
        for (const [x, y, want] of cases) {
          const got = await T.where(cond, x, y).data();
          for (let i = 0; i < n; i++) {
            const w = int ? want(i) | 0 : round(want(i));
            if (!Object.is(got[i], w))
              throw new Error(
                `where ${dtype} [${i}]: got ${got[i]}, want ${w}`,
              );
          }
        }
      }
      // A flag byte other than 1 (fromTypedArray does not check) is true.
      const odd = T.fromTypedArray(new Uint8Array([2, 255, 1, 0]), [4]);
      const picked = await T.where(
        odd,
        T.scalar(1.5, 'float32'),
        T.tensor([0.1, 0.1, 0.1, 0.1], { dtype: 'float32' }),
      ).data();
      const wantPicked = [1.5, 1.5, 1.5, Math.fround(0.1)];
      wantPicked.forEach((w, i) => {
        if (picked[i] !== w)
          throw new Error(
            `where with flag byte ${[2, 255, 1, 0][i]}: got ${picked[i]}`,
          );
      });
      const bools = T.where(cond, T.tensor([true]), T.tensor([false]));
      const bv = Array.from(await bools.data());
      if (bv.some((v, i) => v !== flags[i]))
        throw new Error('where on bool values: not the mask');
    },
  },
  {
    name: 'cast: float → int truncates, to bool is nonzero',
    run: async () => {
      const x = T.tensor([-1.7, 0, 2.9], wide);
      await assertClose(x.cast('int32'), [-1, 0, 2]);
      await assertClose(x.cast('bool'), [1, 0, 1]);
      await assertClose(x.cast('float32'), [-1.7, 0, 2.9], { rtol: 1e-7 });
    },
  },
  {
    name: 'sum/prod/max/min/mean: any axes, keepdims',
    run: async () => {
      const x = T.arange(24, undefined, 1, wide).reshape([2, 3, 4]);
      await assertClose(T.sum(x), [276]);
      await assertClose(T.sum(x, [0, 2]), [60, 92, 124]);
      await assertClose(
        T.sum(x, -1, true),
        [
          [[6], [22], [38]],
          [[54], [70], [86]],
        ],
        { shape: [2, 3, 1] },
      );
      await assertClose(T.max(x, 1), [
        [8, 9, 10, 11],
        [20, 21, 22, 23],
      ]);
      await assertClose(T.min(x, [0, 1]), [0, 1, 2, 3]);
      await assertClose(
        T.prod(
          T.tensor(
            [
              [1, 2],
              [3, 4],
            ],
            wide,
          ),
          0,
        ),
        [3, 8],
      );
      await assertClose(T.mean(x, [1, 2]), [5.5, 17.5]);
      await assertClose(T.sum(T.zeros([0, 3], wide), 0), [0, 0, 0]);
      await assertThrowsCode(
        () => T.sum(x, 3),
        'BAD_AXIS',
        /axis must be an integer in \[-3, 2\]; got 3/,
      );
    },
  },
  {
    name: 'argmax/argmin: first index wins ties; int32 result',
    run: async () => {
      const x = T.tensor(
        [
          [1, 5, 5],
          [7, 0, -1],
        ],
        wide,
      );
      const am = T.argmax(x, 1);
      if (am.dtype !== 'int32') throw new Error('argmax must return int32');
      await assertClose(am, [1, 0]);
      await assertClose(T.argmin(x, 0), [0, 1, 1]);
      await assertClose(T.argmax(x), [3]);
      await assertClose(T.argmax(x, -1, true), [[1], [0]], { shape: [2, 1] });
    },
  },
  {
    name: 'reshape/permute/transpose/expand/squeeze/unsqueeze',
    run: async () => {
      const x = T.arange(6, undefined, 1, wide);
      await assertClose(
        x.reshape([2, -1]),
        [
          [0, 1, 2],
          [3, 4, 5],
        ],
        { shape: [2, 3] },
      );
      await assertClose(
        x.reshape([2, 3]).transpose(),
        [
          [0, 3],
          [1, 4],
          [2, 5],
        ],
        { shape: [3, 2] },
      );
      // the last two axes of a batch, 7 rows: a block of four and a tail
      for (const [r, c] of [
        [7, 5],
        [4, 3],
      ]) {
        const t = T.arange(2 * r * c, undefined, 1, wide).reshape([2, r, c]);
        const want = [0, 1].map((b) =>
          Array.from({ length: c }, (_, j) =>
            Array.from({ length: r }, (_, i) => b * r * c + i * c + j),
          ),
        );
        await assertClose(t.transpose(-2, -1), want, { shape: [2, c, r] });
      }
      const p = T.arange(24, undefined, 1, wide)
        .reshape([2, 3, 4])
        .permute([2, 0, 1]);
      await assertClose(p.sum([1, 2]), [60, 66, 72, 78], { shape: [4] });
      if (p.shape.join() !== '4,2,3')
        throw new Error(`permute shape ${p.shape}`);
      await assertClose(T.tensor([1, 2], wide).reshape([2, 1]).expand([2, 3]), [
        [1, 1, 1],
        [2, 2, 2],
      ]);
      await assertClose(x.reshape([1, 6, 1]).squeeze(), [0, 1, 2, 3, 4, 5], {
        shape: [6],
      });
      await assertClose(x.unsqueeze(-1), [[0], [1], [2], [3], [4], [5]], {
        shape: [6, 1],
      });
      await assertThrowsCode(
        () => x.reshape([4, -1]),
        'SHAPE_MISMATCH',
        /^reshape: /,
      );
      await assertThrowsCode(
        () => x.expand([3, 2]),
        'SHAPE_MISMATCH',
        /^expand: /,
      );
      await assertThrowsCode(() => x.permute([0, 0]), 'BAD_AXIS', /^permute: /);
    },
  },
];
