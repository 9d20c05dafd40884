/** Forward cases for the nn primitives (see op-suite.ts). */
import * as T from '../index.js';
import { assertClose, assertThrowsCode } from './assert.js';
import { wide, wideFloat } from './suite-dtype.js';
import type { OpCase } from './op-suite.js';

/** Naive softmax of each row of a 2-d array (rows = slices along the axis). */
function refSoftmax(row: number[]): number[] {
  const e = row.map(Math.exp);
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/**
 * Naive NCHW pooling: reduce each window's in-bounds values and its padded
 * size.
 */
function refPool(
  x: number[][][][],
  [kh, kw]: [number, number],
  [sh, sw]: [number, number],
  [ph, pw]: [number, number],
  f: (vals: number[]) => number,
): number[][][][] {
  const h = x[0][0].length;
  const w = x[0][0][0].length;
  const ho = Math.floor((h + 2 * ph - kh) / sh) + 1;
  const wo = Math.floor((w + 2 * pw - kw) / sw) + 1;
  return x.map((img) =>
    img.map((plane) => {
      const out: number[][] = [];
      for (let i = 0; i < ho; i++) {
        const r: number[] = [];
        for (let j = 0; j < wo; j++) {
          const vals: number[] = [];
          for (let a = 0; a < kh; a++) {
            for (let b = 0; b < kw; b++) {
              const y = i * sh - ph + a;
              const z = j * sw - pw + b;
              if (y >= 0 && y < h && z >= 0 && z < w) vals.push(plane[y][z]);
            }
          }
          r.push(f(vals));
        }
        out.push(r);
      }
      return out;
    }),
  );
}

function nchw(
  n: number,
  c: number,
  h: number,
  w: number,
  seed: number,
): number[][][][] {
  const rng = T.makeRng(seed);
  return Array.from({ length: n }, () =>
    Array.from({ length: c }, () =>
      Array.from({ length: h }, () =>
        Array.from({ length: w }, () => Math.round(rng() * 1000) / 100),
      ),
    ),
  );
}

export const nnCases: OpCase[] = [
  {
    name: 'softmax/logSoftmax: match a naive reference along each axis',
    run: async () => {
      const v = [
        [1, 2, 3, 0.5],
        [-1, 0, 4, 2],
        [3, 3, 3, 3],
      ];
      const x = T.tensor(v, wide);
      await assertClose(T.softmax(x), v.map(refSoftmax), {
        rtol: 1e-12,
        shape: [3, 4],
      });
      await assertClose(
        T.logSoftmax(x, 1),
        v.map((r) => refSoftmax(r).map(Math.log)),
        { rtol: 1e-12 },
      );
      const cols = v[0].map((_, j) => refSoftmax(v.map((r) => r[j])));
      await assertClose(
        T.softmax(x, 0),
        v.map((_, i) => cols.map((c) => c[i])),
        { rtol: 1e-12 },
      );
      await assertClose(x.softmax(0).sum(0), [1, 1, 1, 1], { rtol: 1e-12 });
      // 3-d, middle axis: compare with the composite formula
      const y = T.randn([2, 3, 4], { dtype: wideFloat(), rng: T.makeRng(3) });
      const e = T.exp(y);
      await assertClose(T.softmax(y, 1), T.div(e, T.sum(e, 1, true)), {
        rtol: 1e-12,
      });
      await assertClose(T.logSoftmax(y, -2), T.log(T.softmax(y, 1)), {
        rtol: 1e-12,
        atol: 1e-12,
      });
    },
  },
  {
    name: 'softmax/logSoftmax: stable for large logits; float only; bad axis',
    run: async () => {
      const x = T.tensor([1000, 1001, -Infinity]);
      await assertClose(
        T.softmax(x),
        [1 / (1 + Math.E), Math.E / (1 + Math.E), 0],
        { rtol: 1e-6 },
      );
      await assertClose(
        T.logSoftmax(x),
        [-Math.log1p(Math.E), -Math.log1p(1 / Math.E), -Infinity],
        { rtol: 1e-6 },
      );
      await assertClose(
        T.softmax(T.tensor([-800, -801], wide)),
        refSoftmax([0, -1]),
        { rtol: 1e-12 },
      );
      await assertThrowsCode(
        () => T.softmax(T.tensor([1, 2], { dtype: 'int32' })),
        'DTYPE_MISMATCH',
        /^softmax: x must be float/,
      );
      await assertThrowsCode(
        () => T.logSoftmax(T.zeros([2, 3]), 2),
        'BAD_AXIS',
        /^logSoftmax: axis must be an integer in \[-2, 1\]; got 2/,
      );
    },
  },
  {
    name: 'logsumexp: matches log(sum(exp)), stable, keepdims, -Inf rows',
    run: async () => {
      const x = T.randn([2, 3, 4], { dtype: wideFloat(), rng: T.makeRng(5) });
      await assertClose(
        T.logsumexp(x, [0, 2]),
        T.log(T.sum(T.exp(x), [0, 2])),
        { rtol: 1e-12, shape: [3] },
      );
      await assertClose(
        x.logsumexp(-1, true),
        T.log(T.sum(T.exp(x), -1, true)),
        { rtol: 1e-12, shape: [2, 3, 1] },
      );
      await assertClose(T.logsumexp(x), T.log(T.sum(T.exp(x))), {
        rtol: 1e-12,
        shape: [],
      });
      await assertClose(
        T.logsumexp(T.tensor([1000, 1000])),
        [1000 + Math.LN2],
        { rtol: 1e-7 },
      );
      await assertClose(
        T.logsumexp(
          T.tensor(
            [
              [-Infinity, -Infinity],
              [0, 0],
            ],
            wide,
          ),
          1,
        ),
        [-Infinity, Math.LN2],
        { rtol: 1e-12 },
      );
      await assertThrowsCode(
        () => T.logsumexp(T.tensor([1], { dtype: 'int32' })),
        'BAD_ARGUMENT',
        /^logsumexp: /,
      );
    },
  },
  {
    name: 'variance: population and sample, any axes, keepdims',
    run: async () => {
      const v = [
        [1, 2, 3, 4],
        [2, 4, 6, 9],
      ];
      const x = T.tensor(v, wide);
      const varOf = (r: number[], c: number) => {
        const m = r.reduce((a, b) => a + b, 0) / r.length;
        return r.reduce((a, b) => a + (b - m) ** 2, 0) / (r.length - c);
      };
      await assertClose(
        T.variance(x, 1),
        v.map((r) => varOf(r, 0)),
        { rtol: 1e-12, shape: [2] },
      );
      await assertClose(
        x.variance(1, { correction: 1, keepdims: true }),
        v.map((r) => [varOf(r, 1)]),
        { rtol: 1e-12, shape: [2, 1] },
      );
      await assertClose(T.variance(x), [varOf(v.flat(), 0)], {
        rtol: 1e-12,
        shape: [],
      });
      await assertClose(
        T.variance(x, 0, { correction: 1 }),
        [0.5, 2, 4.5, 12.5],
        { rtol: 1e-12 },
      );
      await assertThrowsCode(
        () => T.variance(T.tensor([1], wide), 0, { correction: 1 }),
        'BAD_ARGUMENT',
        /^variance: correction/,
      );
    },
  },
  {
    name: 'maxPool2d/avgPool2d: match a naive reference (stride, padding, rectangular)',
    run: async () => {
      const v = nchw(2, 3, 5, 6, 11);
      const x = T.tensor(v, wide);
      const maxOf = (a: number[]) => Math.max(...a);
      const configs: [[number, number], [number, number], [number, number]][] =
        [
          [
            [2, 2],
            [2, 2],
            [0, 0],
          ],
          [
            [3, 3],
            [1, 1],
            [1, 1],
          ],
          [
            [3, 2],
            [2, 1],
            [1, 0],
          ],
          [
            [2, 3],
            [1, 2],
            [0, 1],
          ],
        ];
      for (const [kernel, stride, padding] of configs) {
        const want = refPool(v, kernel, stride, padding, maxOf);
        const shape = [2, 3, want[0][0].length, want[0][0][0].length];
        await assertClose(T.maxPool2d(x, { kernel, stride, padding }), want, {
          shape,
          rtol: 0,
        });
        const avg = refPool(
          v,
          kernel,
          stride,
          padding,
          (a) => a.reduce((s, b) => s + b, 0) / (kernel[0] * kernel[1]),
        );
        await assertClose(T.avgPool2d(x, { kernel, stride, padding }), avg, {
          shape,
          rtol: 1e-12,
        });
      }
      // defaults: stride = kernel, padding 0; odd sizes drop the remainder
      await assertClose(
        x.maxPool2d({ kernel: 2 }),
        refPool(v, [2, 2], [2, 2], [0, 0], maxOf),
        { shape: [2, 3, 2, 3] },
      );
    },
  },
  {
    name: 'maxPool2d: padding is ignored for negative inputs; NaN propagates',
    run: async () => {
      const x = T.tensor(
        [
          [
            [
              [-1, -2],
              [-3, -4],
            ],
          ],
        ],
        wide,
      );
      await assertClose(T.maxPool2d(x, { kernel: 2, stride: 1, padding: 1 }), [
        [
          [
            [-1, -1, -2],
            [-1, -1, -2],
            [-3, -3, -4],
          ],
        ],
      ]);
      await assertClose(T.avgPool2d(x, { kernel: 2, stride: 1, padding: 1 }), [
        [
          [
            [-0.25, -0.75, -0.5],
            [-1, -2.5, -1.5],
            [-0.75, -1.75, -1],
          ],
        ],
      ]);
      await assertClose(
        T.maxPool2d(
          T.tensor(
            [
              [
                [
                  [1, NaN],
                  [3, 4],
                ],
              ],
            ],
            wide,
          ),
          { kernel: 2 },
        ),
        [NaN],
      );
    },
  },
  {
    name: 'pool2d backward kernels: route to the first maximum / spread g/k²',
    run: async () => {
      const x = T.tensor(
        [
          [
            [
              [1, 5, 5, 0],
              [2, 3, 1, 0],
              [0, 0, 7, 7],
              [0, 0, 7, 7],
            ],
          ],
        ],
        wide,
      );
      const attrs = {
        kernel: [2, 2],
        stride: [2, 2],
        padding: [0, 0],
      } as const;
      const g = T.tensor(
        [
          [
            [
              [10, 20],
              [30, 40],
            ],
          ],
        ],
        wide,
      );
      await assertClose(T.maxPool2dGrad(x, g, attrs), [
        [
          [
            [0, 10, 20, 0],
            [0, 0, 0, 0],
            [30, 0, 40, 0],
            [0, 0, 0, 0],
          ],
        ],
      ]);
      await assertClose(T.avgPool2dGrad(x, g, attrs), [
        [
          [
            [2.5, 2.5, 5, 5],
            [2.5, 2.5, 5, 5],
            [7.5, 7.5, 10, 10],
            [7.5, 7.5, 10, 10],
          ],
        ],
      ]);
      // overlapping windows accumulate
      const o = { kernel: [2, 2], stride: [1, 1], padding: [0, 0] } as const;
      const x3 = T.tensor(
        [
          [
            [
              [0, 0, 0],
              [0, 9, 0],
              [0, 0, 0],
            ],
          ],
        ],
        wide,
      );
      await assertClose(T.maxPool2dGrad(x3, T.ones([1, 1, 2, 2], wide), o), [
        [
          [
            [0, 0, 0],
            [0, 4, 0],
            [0, 0, 0],
          ],
        ],
      ]);
      await assertThrowsCode(
        () => T.maxPool2dGrad(x, T.ones([1, 1, 3, 3], wide), attrs),
        'SHAPE_MISMATCH',
        /^maxPool2dGrad: g must have the pooled shape/,
      );
    },
  },
  {
    name: 'pool2d: errors name the op and the rule',
    run: async () => {
      const x = T.zeros([1, 1, 4, 4]);
      await assertThrowsCode(
        () => T.maxPool2d(T.zeros([4, 4]), { kernel: 2 }),
        'SHAPE_MISMATCH',
        /^maxPool2d: x must be NCHW \(rank 4\); got \[4, 4\]/,
      );
      await assertThrowsCode(
        () => T.avgPool2d(x, { kernel: 0 }),
        'BAD_ARGUMENT',
        /^avgPool2d: kernel and stride must be positive/,
      );
      await assertThrowsCode(
        () => T.avgPool2d(x, { kernel: 2, stride: 1.5 }),
        'BAD_ARGUMENT',
        /^avgPool2d: /,
      );
      await assertThrowsCode(
        () => T.maxPool2d(x, { kernel: 2, padding: 2 }),
        'BAD_ARGUMENT',
        /^maxPool2d: padding must be at most half the kernel/,
      );
      await assertThrowsCode(
        () => T.maxPool2d(x, { kernel: 5 }),
        'SHAPE_MISMATCH',
        /^maxPool2d: the padded input must be at least the kernel size/,
      );
      await assertThrowsCode(
        () =>
          T.maxPool2d(T.zeros([1, 1, 2, 2], { dtype: 'int32' }), { kernel: 2 }),
        'DTYPE_MISMATCH',
        /^maxPool2d: x must be float/,
      );
    },
  },
];
