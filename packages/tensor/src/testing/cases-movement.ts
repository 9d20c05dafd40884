/** Forward cases for the movement primitives (see op-suite.ts). */
import * as T from '../index.js';
import { assertClose, assertThrowsCode } from './assert.js';
import type { OpCase } from './op-suite.js';

const f64 = { dtype: 'float64' } as const;

/** Naive flip of a row-major [a,b,c] array along the given axes. */
function refFlip(data: number[], shape: [number, number, number], axes: number[]): number[] {
  const [A, B, C] = shape;
  const out: number[] = [];
  for (let i = 0; i < A; i++) for (let j = 0; j < B; j++) for (let k = 0; k < C; k++) {
    const si = axes.includes(0) ? A - 1 - i : i;
    const sj = axes.includes(1) ? B - 1 - j : j;
    const sk = axes.includes(2) ? C - 1 - k : k;
    out.push(data[(si * B + sj) * C + sk]);
  }
  return out;
}

export const movementCases: OpCase[] = [
  {
    name: 'flip: matches a naive loop on [2,3,4] for every axis subset, negative axes',
    run: async () => {
      const data = Array.from({ length: 24 }, (_, i) => i * 1.5 - 7);
      const x = T.tensor(data, f64).reshape([2, 3, 4]);
      for (const axes of [[], [0], [1], [2], [0, 1], [0, 2], [1, 2], [0, 1, 2]]) {
        await assertClose(T.flip(x, axes), refFlip(data, [2, 3, 4], axes), { rtol: 0, atol: 0 });
      }
      await assertClose(x.flip(-1), refFlip(data, [2, 3, 4], [2]), { rtol: 0, atol: 0 });
      await assertClose(x.flip(), refFlip(data, [2, 3, 4], [0, 1, 2]), { rtol: 0, atol: 0 });
    },
  },
  {
    name: 'flip: int32, scalar and empty tensors; twice is identity',
    run: async () => {
      const xi = T.tensor([[1, 2], [3, 4]], { dtype: 'int32' });
      const y = T.flip(xi, 1);
      if (y.dtype !== 'int32') throw new Error(`flip: dtype changed to ${y.dtype}`);
      await assertClose(y, [2, 1, 4, 3], { rtol: 0, atol: 0 });
      await assertClose(T.flip(T.tensor(5, f64)), [5]);
      const e = T.zeros([0, 3], f64).flip(0);
      if (e.shape.join(',') !== '0,3') throw new Error(`flip: empty shape ${e.shape.join(',')}`);
      const x = T.tensor([[1, 2, 3], [4, 5, 6]], f64);
      await assertClose(x.flip([0, 1]).flip([1, 0]), [1, 2, 3, 4, 5, 6]);
    },
  },
  {
    name: 'flip: bad or repeated axes → BAD_AXIS',
    run: async () => {
      const x = T.zeros([2, 3], f64);
      await assertThrowsCode(() => T.flip(x, 2), 'BAD_AXIS');
      await assertThrowsCode(() => T.flip(x, [0, -2]), 'BAD_AXIS');
    },
  },
];
