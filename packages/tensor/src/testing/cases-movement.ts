/** Forward cases for the movement primitives (see op-suite.ts). */
import * as T from '../index.js';
import { assertClose, assertThrowsCode } from './assert.js';
import { unlike, wide, wideFloat } from './suite-dtype.js';
import type { OpCase } from './op-suite.js';

/** Naive flip of a row-major [a,b,c] array along the given axes. */
function refFlip(
  data: number[],
  shape: [number, number, number],
  axes: number[],
): number[] {
  const [A, B, C] = shape;
  const out: number[] = [];
  for (let i = 0; i < A; i++)
    for (let j = 0; j < B; j++)
      for (let k = 0; k < C; k++) {
        const si = axes.includes(0) ? A - 1 - i : i;
        const sj = axes.includes(1) ? B - 1 - j : j;
        const sk = axes.includes(2) ? C - 1 - k : k;
        out.push(data[(si * B + sj) * C + sk]);
      }
  return out;
}

/**
 * Naive NumPy slice of one axis: the indices range(n)[start:stop:step] would
 * pick.
 */
function refIndices(n: number, s: T.SliceSpec): number[] {
  const step = s.step ?? 1;
  const out: number[] = [];
  const norm = (v: number): number => (v < 0 ? v + n : v);
  if (step > 0) {
    const a = Math.max(0, Math.min(n, s.start == null ? 0 : norm(s.start)));
    const b = Math.max(0, Math.min(n, s.stop == null ? n : norm(s.stop)));
    for (let i = a; i < b; i += step) out.push(i);
  } else {
    const a = Math.max(
      -1,
      Math.min(n - 1, s.start == null ? n - 1 : norm(s.start)),
    );
    const b = Math.max(-1, Math.min(n - 1, s.stop == null ? -1 : norm(s.stop)));
    for (let i = a; i > b; i += step) out.push(i);
  }
  return out;
}

/** Naive slice of a row-major [A,B,C] array. */
function refSlice(
  data: number[],
  [A, B, C]: [number, number, number],
  specs: T.SliceSpec[],
): { shape: number[]; out: number[] } {
  const [I, J, K] = [
    refIndices(A, specs[0] ?? {}),
    refIndices(B, specs[1] ?? {}),
    refIndices(C, specs[2] ?? {}),
  ];
  const out: number[] = [];
  for (const i of I)
    for (const j of J) for (const k of K) out.push(data[(i * B + j) * C + k]);
  return { shape: [I.length, J.length, K.length], out };
}

const sameShape = (t: T.Tensor, shape: number[], what: string): void => {
  if (t.shape.join(',') !== shape.join(','))
    throw new Error(
      `${what}: shape [${t.shape.join(',')}], expected [${shape.join(',')}]`,
    );
};

const i32 = { dtype: 'int32' } as const;

export const movementCases: OpCase[] = [
  {
    name: 'gather: matches a naive take_along_axis on [3,4] for both axes (repeats, smaller index shape)',
    run: async () => {
      const data = Array.from({ length: 12 }, (_, i) => i * 1.25 - 4);
      const x = T.tensor(data, wide).reshape([3, 4]);
      const idx1 = [
        [3, 3, 0],
        [1, 2, 1],
      ]; // axis 1, shape [2,3]
      const ref1 = idx1.flatMap((row, i) => row.map((k) => data[i * 4 + k]));
      await assertClose(T.gather(x, T.tensor(idx1, i32), 1), ref1, {
        rtol: 0,
        atol: 0,
      });
      const idx0 = [
        [2, 0, 2, 1],
        [0, 0, 1, 2],
      ]; // axis 0 (also as -2), shape [2,4]
      const ref0 = idx0.flatMap((row) => row.map((k, j) => data[k * 4 + j]));
      await assertClose(T.gather(x, T.tensor(idx0, i32), -2), ref0, {
        rtol: 0,
        atol: 0,
      });
    },
  },
  {
    name: 'scatterAdd: repeated indices accumulate; indexSelect and oneHot',
    run: async () => {
      const src = T.tensor(
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        wide,
      );
      const y = T.scatterAdd(
        src,
        T.tensor(
          [
            [0, 0, 2],
            [1, 1, 1],
          ],
          i32,
        ),
        1,
        [2, 3],
      );
      await assertClose(y, [3, 0, 3, 0, 15, 0], { rtol: 0, atol: 0 });
      const x = T.tensor(
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        wide,
      );
      const s = T.indexSelect(x, 1, T.tensor([2, 2, 0], i32));
      sameShape(s, [2, 3], 'indexSelect');
      await assertClose(s, [3, 3, 1, 6, 6, 4], { rtol: 0, atol: 0 });
      await assertClose(T.indexSelect(x, 0, T.tensor([1], i32)), [4, 5, 6], {
        rtol: 0,
        atol: 0,
      });
      const oh = T.oneHot(T.tensor([2, 0, 1], i32), 4, wide);
      sameShape(oh, [3, 4], 'oneHot');
      if (oh.dtype !== wideFloat())
        throw new Error(`oneHot: dtype ${oh.dtype}`);
      await assertClose(oh, [0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0], {
        rtol: 0,
        atol: 0,
      });
    },
  },
  {
    name: 'gather/scatterAdd/indexSelect: out-of-range index → BAD_ARGUMENT naming it; bad dtype/shape',
    run: async () => {
      const x = T.zeros([2, 3], wide);
      await assertThrowsCode(
        () => T.gather(x, T.tensor([[0, 3]], i32), 1).data(),
        'BAD_ARGUMENT',
        /index 3/,
      );
      await assertThrowsCode(
        () => T.gather(x, T.tensor([[-1]], i32), 0).data(),
        'BAD_ARGUMENT',
        /index -1/,
      );
      await assertThrowsCode(
        () =>
          T.scatterAdd(
            T.ones([1, 1], wide),
            T.tensor([[5]], i32),
            0,
            [2, 3],
          ).data(),
        'BAD_ARGUMENT',
        /index 5/,
      );
      await assertThrowsCode(
        () => T.indexSelect(x, 0, T.tensor([0, 2], i32)).data(),
        'BAD_ARGUMENT',
        /index 2/,
      );
      await assertThrowsCode(
        () => T.gather(x, T.tensor([[0]], wide), 0),
        'DTYPE_MISMATCH',
      );
      await assertThrowsCode(
        () => T.gather(x, T.tensor([0], i32), 0),
        'SHAPE_MISMATCH',
      );
      await assertThrowsCode(
        () => T.gather(x, T.zeros([3, 4], i32), 0),
        'SHAPE_MISMATCH',
      );
    },
  },
  {
    name: 'slice: matches naive NumPy slicing on [4,5,6] (negative indices/steps, clamping, empty)',
    run: async () => {
      const data = Array.from({ length: 120 }, (_, i) => i * 0.5 - 30);
      const x = T.tensor(data, wide).reshape([4, 5, 6]);
      const specSets: T.SliceSpec[][] = [
        [],
        [{ start: 1 }],
        [{}, { start: -3, stop: -1 }],
        [{}, {}, { step: 2 }],
        [{ step: -1 }],
        [
          { start: 3, stop: 0, step: -2 },
          { step: -3 },
          { start: -2, step: -1 },
        ],
        [{ start: -10, stop: 10 }, { start: 7 }],
        [{ start: 2, stop: 2 }],
        [{}, { start: 4, stop: 1 }],
        [
          { stop: -5, step: -1 },
          { start: 1, stop: 5, step: 3 },
          { start: 5, stop: -7, step: -4 },
        ],
      ];
      for (const specs of specSets) {
        const { shape, out } = refSlice(data, [4, 5, 6], specs);
        const y = x.slice(specs);
        sameShape(y, shape, `slice ${JSON.stringify(specs)}`);
        await assertClose(y, out, { rtol: 0, atol: 0 });
      }
    },
  },
  {
    name: 'slice: step 0, fractional bounds, too many specs → BAD_ARGUMENT',
    run: async () => {
      const x = T.zeros([3, 4], wide);
      await assertThrowsCode(() => T.slice(x, [{ step: 0 }]), 'BAD_ARGUMENT');
      await assertThrowsCode(
        () => T.slice(x, [{ start: 0.5 }]),
        'BAD_ARGUMENT',
      );
      await assertThrowsCode(() => T.slice(x, [{}, {}, {}]), 'BAD_ARGUMENT');
    },
  },
  {
    name: 'sliceScatter: places g at the sliced positions of zeros; slice(sliceScatter(g)) = g',
    run: async () => {
      const g = T.tensor(
        [
          [1, 2],
          [3, 4],
        ],
        wide,
      );
      const y = T.sliceScatter(
        g,
        [3, 4],
        [{ step: 2 }, { start: -1, step: -2 }],
      );
      await assertClose(y, [0, 2, 0, 1, 0, 0, 0, 0, 0, 4, 0, 3], {
        rtol: 0,
        atol: 0,
      });
      await assertClose(
        T.slice(y, [{ step: 2 }, { start: -1, step: -2 }]),
        [1, 2, 3, 4],
      );
      await assertThrowsCode(
        () => T.sliceScatter(g, [3, 4], [{ step: 1 }]),
        'SHAPE_MISMATCH',
      );
    },
  },
  {
    name: 'pad: constant value, zero pads, int32; bad pads → BAD_ARGUMENT',
    run: async () => {
      const x = T.tensor(
        [
          [1, 2],
          [3, 4],
        ],
        wide,
      );
      const y = x.pad(
        [
          [1, 0],
          [0, 2],
        ],
        -1,
      );
      sameShape(y, [3, 4], 'pad');
      await assertClose(y, [-1, -1, -1, -1, 1, 2, -1, -1, 3, 4, -1, -1], {
        rtol: 0,
        atol: 0,
      });
      await assertClose(
        T.pad(x, [
          [0, 0],
          [0, 0],
        ]),
        [1, 2, 3, 4],
      );
      const yi = T.pad(T.tensor([5], { dtype: 'int32' }), [[2, 1]]);
      if (yi.dtype !== 'int32') throw new Error(`pad: dtype ${yi.dtype}`);
      await assertClose(yi, [0, 0, 5, 0], { rtol: 0, atol: 0 });
      await assertThrowsCode(() => T.pad(x, [[1, 1]]), 'BAD_ARGUMENT');
      await assertThrowsCode(
        () =>
          T.pad(x, [
            [0, -1],
            [0, 0],
          ]),
        'BAD_ARGUMENT',
      );
    },
  },
  {
    name: 'concat/stack: along each axis (negative too); mismatches → SHAPE_MISMATCH / DTYPE_MISMATCH',
    run: async () => {
      const a = T.tensor(
        [
          [1, 2],
          [3, 4],
        ],
        wide,
      );
      const b = T.tensor([[5, 6]], wide);
      const c = T.tensor([[7], [8]], wide);
      await assertClose(T.concat([a, b], 0), [1, 2, 3, 4, 5, 6], {
        rtol: 0,
        atol: 0,
      });
      const ac = T.concat([a, c, a], -1);
      sameShape(ac, [2, 5], 'concat axis -1');
      await assertClose(ac, [1, 2, 7, 1, 2, 3, 4, 8, 3, 4], {
        rtol: 0,
        atol: 0,
      });
      const s = T.stack([a, a.neg()], 1);
      sameShape(s, [2, 2, 2], 'stack');
      await assertClose(s, [1, 2, -1, -2, 3, 4, -3, -4], { rtol: 0, atol: 0 });
      sameShape(T.stack([a, a], -1), [2, 2, 2], 'stack -1');
      await assertThrowsCode(() => T.concat([a, c], 0), 'SHAPE_MISMATCH');
      await assertThrowsCode(
        () => T.concat([a, a.cast(unlike(a.dtype))], 0),
        'DTYPE_MISMATCH',
      );
      await assertThrowsCode(() => T.concat([a, b], 2), 'BAD_AXIS');
    },
  },
  {
    name: 'flip: matches a naive loop on [2,3,4] for every axis subset, negative axes',
    run: async () => {
      const data = Array.from({ length: 24 }, (_, i) => i * 1.5 - 7);
      const x = T.tensor(data, wide).reshape([2, 3, 4]);
      for (const axes of [
        [],
        [0],
        [1],
        [2],
        [0, 1],
        [0, 2],
        [1, 2],
        [0, 1, 2],
      ]) {
        await assertClose(T.flip(x, axes), refFlip(data, [2, 3, 4], axes), {
          rtol: 0,
          atol: 0,
        });
      }
      await assertClose(x.flip(-1), refFlip(data, [2, 3, 4], [2]), {
        rtol: 0,
        atol: 0,
      });
      await assertClose(x.flip(), refFlip(data, [2, 3, 4], [0, 1, 2]), {
        rtol: 0,
        atol: 0,
      });
    },
  },
  {
    name: 'flip: int32, scalar and empty tensors; twice is identity',
    run: async () => {
      const xi = T.tensor(
        [
          [1, 2],
          [3, 4],
        ],
        { dtype: 'int32' },
      );
      const y = T.flip(xi, 1);
      if (y.dtype !== 'int32')
        throw new Error(`flip: dtype changed to ${y.dtype}`);
      await assertClose(y, [2, 1, 4, 3], { rtol: 0, atol: 0 });
      await assertClose(T.flip(T.tensor(5, wide)), [5]);
      const e = T.zeros([0, 3], wide).flip(0);
      if (e.shape.join(',') !== '0,3')
        throw new Error(`flip: empty shape ${e.shape.join(',')}`);
      const x = T.tensor(
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        wide,
      );
      await assertClose(x.flip([0, 1]).flip([1, 0]), [1, 2, 3, 4, 5, 6]);
    },
  },
  {
    name: 'flip: bad or repeated axes → BAD_AXIS',
    run: async () => {
      const x = T.zeros([2, 3], wide);
      await assertThrowsCode(() => T.flip(x, 2), 'BAD_AXIS');
      await assertThrowsCode(() => T.flip(x, [0, -2]), 'BAD_AXIS');
    },
  },
  {
    name: 'gather/indexSelect/oneHot: chainable methods match the functions',
    run: async () => {
      const x = T.tensor(
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        wide,
      );
      const idx = T.tensor(
        [
          [2, 0],
          [1, 1],
        ],
        { dtype: 'int32' },
      );
      await assertClose(x.gather(idx, 1), [
        [3, 1],
        [5, 5],
      ]);
      await assertClose(
        x.indexSelect(1, T.tensor([2, 0], { dtype: 'int32' })),
        [
          [3, 1],
          [6, 4],
        ],
      );
      await assertClose(T.tensor([1, 0], { dtype: 'int32' }).oneHot(3), [
        [0, 1, 0],
        [1, 0, 0],
      ]);
    },
  },
];
