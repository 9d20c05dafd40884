/** Forward cases for the matmul primitives (see op-suite.ts). */
import * as T from '../index.js';
import { assertClose, assertThrowsCode } from './assert.js';
import { unlike, wide, wideFloat } from './suite-dtype.js';
import type { OpCase } from './op-suite.js';

/** Deterministic values in [-1, 1]. */
function vals(size: number, seed: number): number[] {
  return Array.from(
    { length: size },
    (_, i) => Math.sin(seed * 1.7 + i * 0.73) * Math.cos(i * 0.19 + seed),
  );
}
function make(
  shape: number[],
  seed: number,
  dtype: T.DType = wideFloat(),
): { t: T.Tensor; d: number[] } {
  const d = vals(
    shape.reduce((p, q) => p * q, 1),
    seed,
  );
  return { t: T.reshape(T.tensor(d, { dtype }), shape), d };
}

/** Naive batched matmul with NumPy batch broadcasting on flat arrays. */
function matmulRef(
  a: number[],
  as: number[],
  b: number[],
  bs: number[],
): { d: number[]; s: number[] } {
  const m = as[as.length - 2],
    k = as[as.length - 1],
    n = bs[bs.length - 1];
  const ab = as.slice(0, -2),
    bb = bs.slice(0, -2);
  const r = Math.max(ab.length, bb.length);
  const pa = [...Array(r - ab.length).fill(1), ...ab],
    pb = [...Array(r - bb.length).fill(1), ...bb];
  const ob = pa.map((x, i) => Math.max(x, pb[i]));
  const total = ob.reduce((p, q) => p * q, 1);
  const out: number[] = [];
  for (let t = 0; t < total; t++) {
    let rem = t,
      ia = 0,
      ib = 0,
      sa = 1,
      sb = 1;
    for (let ax = r - 1; ax >= 0; ax--) {
      const c = rem % ob[ax];
      rem = Math.floor(rem / ob[ax]);
      if (pa[ax] !== 1) ia += c * sa;
      if (pb[ax] !== 1) ib += c * sb;
      sa *= pa[ax];
      sb *= pb[ax];
    }
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++)
          s += a[ia * m * k + i * k + p] * b[ib * k * n + p * n + j];
        out.push(s);
      }
  }
  return { d: out, s: [...ob, m, n] };
}

/** Naive direct conv2d (NCHW, groups, stride, padding, dilation). */
function conv2dRef(
  x: number[],
  xs: number[],
  w: number[],
  ws: number[],
  st: [number, number],
  pd: [number, number],
  dl: [number, number],
  groups: number,
): { d: number[]; s: number[] } {
  const [N, C, H, W] = xs;
  const [O, Cg, KH, KW] = ws;
  const Ho = Math.floor((H + 2 * pd[0] - dl[0] * (KH - 1) - 1) / st[0]) + 1;
  const Wo = Math.floor((W + 2 * pd[1] - dl[1] * (KW - 1) - 1) / st[1]) + 1;
  const Og = O / groups;
  const out: number[] = [];
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++)
      for (let oh = 0; oh < Ho; oh++)
        for (let ow = 0; ow < Wo; ow++) {
          const g = Math.floor(o / Og);
          let s = 0;
          for (let c = 0; c < Cg; c++)
            for (let i = 0; i < KH; i++)
              for (let j = 0; j < KW; j++) {
                const ih = oh * st[0] - pd[0] + i * dl[0],
                  iw = ow * st[1] - pd[1] + j * dl[1];
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                s +=
                  x[((n * C + g * Cg + c) * H + ih) * W + iw] *
                  w[((o * Cg + c) * KH + i) * KW + j];
              }
          out.push(s);
        }
  return { d: out, s: [N, O, Ho, Wo] };
}

function mmCase(
  name: string,
  as: number[],
  bs: number[],
  fixed?: T.DType,
): OpCase {
  return {
    name: `matmul: ${name}`,
    run: async () => {
      const dtype = fixed ?? wideFloat();
      const a = make(as, 1, dtype),
        b = make(bs, 2, dtype);
      const ref = matmulRef(a.d, as, b.d, bs);
      const tol =
        dtype === 'float32'
          ? { rtol: 1e-5, atol: 1e-5 }
          : { rtol: 1e-12, atol: 1e-12 };
      const y = T.matmul(a.t, b.t);
      if (y.dtype !== dtype) throw new Error(`dtype ${y.dtype}`);
      await assertClose(y, ref.d, { ...tol, shape: ref.s });
    },
  };
}

function convCase(
  name: string,
  xs: number[],
  ws: number[],
  opts: {
    stride?: [number, number];
    padding?: [number, number];
    dilation?: [number, number];
    groups?: number;
  },
  fixed?: T.DType,
): OpCase {
  return {
    name: `conv2d: ${name}`,
    run: async () => {
      const dtype = fixed ?? wideFloat();
      const x = make(xs, 3, dtype),
        w = make(ws, 4, dtype);
      const ref = conv2dRef(
        x.d,
        xs,
        w.d,
        ws,
        opts.stride ?? [1, 1],
        opts.padding ?? [0, 0],
        opts.dilation ?? [1, 1],
        opts.groups ?? 1,
      );
      const tol =
        dtype === 'float32'
          ? { rtol: 1e-5, atol: 1e-5 }
          : { rtol: 1e-12, atol: 1e-12 };
      await assertClose(T.conv2d(x.t, w.t, opts), ref.d, {
        ...tol,
        shape: ref.s,
      });
    },
  };
}

export const matmulCases: OpCase[] = [
  mmCase('2-D [3,4]@[4,5] vs naive loops', [3, 4], [4, 5]),
  mmCase('odd sizes [7,9]@[9,5] (unroll tails)', [7, 9], [9, 5]),
  mmCase('batched [2,3,5,6]@[2,3,6,4]', [2, 3, 5, 6], [2, 3, 6, 4]),
  mmCase('batch broadcasting [2,1,3,4]@[5,4,2]', [2, 1, 3, 4], [5, 4, 2]),
  mmCase(
    'batch broadcasting [3,4]@[2,4,3] (matrix against a batch)',
    [3, 4],
    [2, 4, 3],
  ),
  mmCase('float32 [17,33]@[33,10]', [17, 33], [33, 10], 'float32'),
  mmCase('k = 1 and m = 1: [1,1]@[1,3]', [1, 1], [1, 3]),
  mmCase(
    'one product of 70 rows (split in row blocks) [70,33]@[33,20]',
    [70, 33],
    [33, 20],
  ),
  mmCase('float32, 130 rows [130,9]@[9,7]', [130, 9], [9, 7], 'float32'),
  {
    name: 'matmul: row blocks with transA/transB equal explicit transposes (2-D, 80 rows)',
    run: async () => {
      const a = make([80, 12], 14).t,
        b = make([12, 9], 15).t;
      const ref = await T.matmul(a, b).data();
      const aT = T.transpose(a).mul(1),
        bT = T.transpose(b).mul(1);
      await assertClose(T.matmul(aT, b, { transA: true }), ref, {
        rtol: 1e-12,
        atol: 1e-12,
        shape: [80, 9],
      });
      await assertClose(T.matmul(aT, bT, { transA: true, transB: true }), ref, {
        rtol: 1e-12,
        atol: 1e-12,
        shape: [80, 9],
      });
      const g = make([12, 80], 16).t; // gᵀg: 80 rows, the row path rather than the Gram path
      const gram = await T.matmul(g, g.mul(1), { transA: true }).data();
      await assertClose(T.matmul(g, g, { transA: true }), gram, {
        rtol: 1e-12,
        atol: 1e-12,
        shape: [80, 80],
      });
    },
  },
  {
    name: 'matmul: transA/transB flags equal explicit transposes, batched and broadcast',
    run: async () => {
      const a = make([2, 3, 5], 5).t,
        b = make([5, 4], 6).t;
      const ref = await T.matmul(a, b).data();
      const aT = T.transpose(a, -2, -1),
        bT = T.transpose(b, -2, -1);
      await assertClose(T.matmul(aT, b, { transA: true }), ref, {
        rtol: 1e-12,
        atol: 1e-12,
        shape: [2, 3, 4],
      });
      await assertClose(T.matmul(a, bT, { transB: true }), ref, {
        rtol: 1e-12,
        atol: 1e-12,
        shape: [2, 3, 4],
      });
      await assertClose(aT.matmul(bT, { transA: true, transB: true }), ref, {
        rtol: 1e-12,
        atol: 1e-12,
        shape: [2, 3, 4],
      });
    },
  },
  {
    name: 'matmul: aᵀ·a of one tensor (the symmetric Gram path) equals the general product; matrix-vector',
    run: async () => {
      for (const shape of [
        [2, 7, 5],
        [9, 3],
        [1, 1],
        [3, 6, 1],
      ]) {
        const a = make(shape, 7).t;
        const ref = await T.matmul(a, a.mul(1), { transA: true }).data(); // distinct buffers: general path
        await assertClose(T.matmul(a, a, { transA: true }), ref, {
          rtol: 1e-12,
          atol: 1e-12,
        });
      }
      // One buffer under two shapes (reshape shares it): not a Gram matrix.
      const x = make([2, 3, 4], 10).t;
      const [a1, a2] = [x.reshape([2, 1, 3, 4]), x.reshape([1, 2, 3, 4])];
      const general = await T.matmul(a1.mul(1), a2.mul(1), {
        transA: true,
      }).data();
      await assertClose(T.matmul(a1, a2, { transA: true }), general, {
        rtol: 1e-12,
        atol: 1e-12,
        shape: [2, 2, 4, 4],
      });
      // Matrix-vector paths (short and long rows, plain and transposed).
      for (const [r, c] of [
        [4, 6],
        [7, 17],
        [21, 50],
        [50, 3],
      ]) {
        const mm = make([3, r, c], 11).t,
          vv = make([3, c, 1], 12).t,
          ww = make([3, r, 1], 13).t;
        await assertClose(
          T.matmul(mm, vv),
          await T.matmul(mm, vv.expand([3, c, 2]))
            .slice([{}, {}, { stop: 1 }])
            .data(),
          { rtol: 1e-12, atol: 1e-12 },
        );
        await assertClose(
          T.matmul(mm, ww, { transA: true }),
          await T.matmul(mm.transpose(), ww.expand([3, r, 2]))
            .slice([{}, {}, { stop: 1 }])
            .data(),
          { rtol: 1e-12, atol: 1e-12 },
        );
      }
      const m = make([2, 4, 6], 8).t,
        v = make([2, 6, 1], 9).t;
      const mv = await T.matmul(m, v).data();
      await assertClose(T.matmul(m.transpose(), v, { transA: true }), mv, {
        rtol: 1e-12,
        atol: 1e-12,
        shape: [2, 4, 1],
      });
    },
  },
  {
    name: 'matmul: 1-D operands as in NumPy (vector·matrix, matrix·vector, dot)',
    run: async () => {
      const v = T.tensor([1, 2, 3], wide);
      const m = T.tensor(
        [
          [1, 0],
          [0, 1],
          [1, 1],
        ],
        wide,
      );
      await assertClose(T.matmul(v, m), [4, 5], { shape: [2] });
      await assertClose(T.matmul(T.transpose(m), v), [4, 5], { shape: [2] });
      await assertClose(T.matmul(v, v), [14], { shape: [] });
      const bm = T.reshape(
        T.tensor([1, 0, 0, 1, 1, 1, 2, 2, 2, 2, 2, 2], wide),
        [2, 3, 2],
      );
      await assertClose(T.matmul(v, bm), [4, 5, 12, 12], { shape: [2, 2] });
    },
  },
  {
    name: 'matmul: errors name both shapes (SHAPE_MISMATCH, DTYPE_MISMATCH)',
    run: async () => {
      await assertThrowsCode(
        () => T.matmul(T.zeros([2, 3]), T.zeros([4, 5])),
        'SHAPE_MISMATCH',
        /^matmul: inner dimensions must agree; got a\[2, 3\] and b\[4, 5\] /,
      );
      await assertThrowsCode(
        () => T.matmul(T.zeros([2, 2, 3]), T.zeros([3, 3, 4])),
        'SHAPE_MISMATCH',
        /^matmul: cannot broadcast/,
      );
      await assertThrowsCode(
        () => T.matmul(T.scalar(1), T.zeros([2, 2])),
        'SHAPE_MISMATCH',
        /^matmul:/,
      );
      await assertThrowsCode(
        () =>
          T.matmul(
            T.zeros([2, 2]),
            T.zeros([2, 2], { dtype: unlike('float32') }),
          ),
        'DTYPE_MISMATCH',
        /^matmul:/,
      );
    },
  },
  convCase('plain 3×3 [2,3,6,5]', [2, 3, 6, 5], [4, 3, 3, 3], {}),
  convCase('stride 2, padding 1', [1, 2, 7, 6], [3, 2, 3, 2], {
    stride: [2, 2],
    padding: [1, 1],
  }),
  convCase(
    'dilation 2, asymmetric stride/padding',
    [2, 2, 8, 7],
    [2, 2, 2, 3],
    { stride: [1, 2], padding: [2, 1], dilation: [2, 2] },
  ),
  convCase(
    'groups 2 with stride 2, padding 1, dilation 2',
    [2, 4, 7, 7],
    [6, 2, 3, 3],
    { stride: [2, 2], padding: [1, 1], dilation: [2, 2], groups: 2 },
  ),
  convCase(
    'depthwise (groups = C), float32',
    [1, 3, 5, 5],
    [3, 1, 3, 3],
    { padding: [1, 1], groups: 3 },
    'float32',
  ),
  {
    name: 'conv2d: gradient primitives are the adjoints of conv2d (⟨g, conv(x,w)⟩ = ⟨gradInput(g,w), x⟩ = ⟨gradWeight(x,g), w⟩)',
    run: async () => {
      const opts = { stride: 2, padding: 1, dilation: 2, groups: 2 } as const;
      const x = make([2, 4, 7, 6], 9).t,
        w = make([4, 2, 3, 2], 10).t;
      const y = T.conv2d(x, w, opts);
      const g = make([...y.shape], 11).t;
      const lhs = await T.sum(T.mul(g, y)).data();
      const gi = T.conv2dGradInput(g, w, [7, 6], opts);
      const gw = T.conv2dGradWeight(x, g, [3, 2], opts);
      await assertClose(T.sum(T.mul(gi, x)), lhs, { rtol: 1e-12, shape: [] });
      await assertClose(T.sum(T.mul(gw, w)), lhs, { rtol: 1e-12, shape: [] });
    },
  },
  {
    name: 'conv2d: errors (channels, 4-D, kernel too large, bad stride)',
    run: async () => {
      await assertThrowsCode(
        () => T.conv2d(T.zeros([1, 3, 5, 5]), T.zeros([2, 2, 3, 3])),
        'SHAPE_MISMATCH',
        /^conv2d: channels must agree/,
      );
      await assertThrowsCode(
        () => T.conv2d(T.zeros([3, 5, 5]), T.zeros([2, 3, 3, 3])),
        'SHAPE_MISMATCH',
        /^conv2d: x and w must be 4-D/,
      );
      await assertThrowsCode(
        () => T.conv2d(T.zeros([1, 1, 2, 2]), T.zeros([1, 1, 3, 3])),
        'SHAPE_MISMATCH',
        /^conv2d: the dilated kernel must fit/,
      );
      await assertThrowsCode(
        () =>
          T.conv2d(T.zeros([1, 1, 4, 4]), T.zeros([1, 1, 3, 3]), { stride: 0 }),
        'BAD_ARGUMENT',
        /^conv2d: stride/,
      );
      await assertThrowsCode(
        () =>
          T.conv2d(T.zeros([1, 4, 4, 4]), T.zeros([3, 2, 1, 1]), { groups: 2 }),
        'SHAPE_MISMATCH',
        /^conv2d: channels/,
      );
    },
  },
];
