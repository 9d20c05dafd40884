/**
 * Forward cases for the broadcasts that backends give their own fast
 * paths: same shapes, a scalar, a row repeated over rows, a column [r, 1]
 * across a row, and a column against a row (an outer pattern), on either
 * side, for the binary ops and the comparisons. Values are halves and
 * repeat, so comparisons see ties and every result is exact in float32.
 */
import * as T from '../index.js';
import { assertClose } from './assert.js';
import { wide } from './suite-dtype.js';
import type { OpCase } from './op-suite.js';

type Pair = readonly [readonly number[], readonly number[]];

/** The operand shapes of each pattern (output [5, 7], or [5] for 1-D). */
const PATTERNS: readonly Pair[] = [
  [
    [5, 7],
    [5, 7],
  ],
  [[5, 7], []],
  [[], [5, 7]],
  [[5, 7], [7]],
  [[7], [5, 7]],
  [
    [5, 7],
    [5, 1],
  ],
  [
    [5, 1],
    [5, 7],
  ],
  [[5, 1], [7]],
  [[9], [9]],
];

/** Values k/2 − 2 cycling over −2 … 2 (offset by `shift`). */
function halves(shape: readonly number[], shift: number): number[] {
  const n = shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: n }, (_, i) => (((i * 3 + shift) % 9) - 4) / 2);
}

/** Element i of an operand of `shape` read at output [r, c] (or [c]). */
function at(v: number[], shape: readonly number[], r: number, c: number) {
  if (shape.length === 0) return v[0];
  const last = shape[shape.length - 1];
  const col = last === 1 ? 0 : c;
  const row = shape.length === 2 ? r : 0;
  return v[row * last + col];
}

/** f applied with NumPy broadcasting over the pattern's output shape. */
function reference(
  [sa, sb]: Pair,
  a: number[],
  b: number[],
  f: (x: number, y: number) => number,
): number[] {
  const twoD = sa.length === 2 || sb.length === 2;
  const rows = twoD ? 5 : 1;
  const cols = twoD ? 7 : sa[0];
  const out: number[] = [];
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++)
      out.push(f(at(a, sa, r, c), at(b, sb, r, c)));
  return out;
}

type Binary = (a: T.Tensor, b: T.Tensor) => T.Tensor;

const ARITH: readonly [string, Binary, (x: number, y: number) => number][] = [
  ['add', T.add, (x, y) => x + y],
  ['sub', T.sub, (x, y) => x - y],
  ['mul', T.mul, (x, y) => x * y],
  ['maximum', T.maximum, Math.max],
  ['minimum', T.minimum, Math.min],
];

const COMPARE: readonly [string, Binary, (x: number, y: number) => boolean][] =
  [
    ['equal', T.equal, (x, y) => x === y],
    ['notEqual', T.notEqual, (x, y) => x !== y],
    ['less', T.less, (x, y) => x < y],
    ['lessEqual', T.lessEqual, (x, y) => x <= y],
    ['greater', T.greater, (x, y) => x > y],
    ['greaterEqual', T.greaterEqual, (x, y) => x >= y],
  ];

/** Runs `check` on every pattern with float (and int32) operands. */
async function eachPattern(
  check: (p: Pair, a: number[], b: number[], dt: T.DType) => Promise<void>,
): Promise<void> {
  for (const p of PATTERNS) {
    const a = halves(p[0], 0);
    const b = halves(p[1], 4);
    await check(p, a, b, wide.dtype);
    const ai = a.map(Math.round);
    const bi = b.map(Math.round);
    await check(p, ai, bi, 'int32');
  }
}

export const broadcastCases: OpCase[] = [
  {
    name: 'add/sub/mul/maximum/minimum: same shapes, scalar, row, column and outer broadcasts, either side',
    run: () =>
      eachPattern(async (p, a, b, dtype) => {
        const ta = T.tensor(a, { dtype }).reshape([...p[0]]);
        const tb = T.tensor(b, { dtype }).reshape([...p[1]]);
        for (const [name, op, f] of ARITH) {
          const want = reference(p, a, b, f);
          await assertClose(op(ta, tb).reshape([-1]), want, {
            rtol: 0,
            atol: 0,
          }).catch((e: Error) => {
            throw new Error(
              `${name} ${dtype} [${p[0]}] [${p[1]}]: ${e.message}`,
            );
          });
        }
      }),
  },
  {
    name: 'comparisons: same shapes, scalar, row, column and outer broadcasts, either side, with ties',
    run: () =>
      eachPattern(async (p, a, b, dtype) => {
        const ta = T.tensor(a, { dtype }).reshape([...p[0]]);
        const tb = T.tensor(b, { dtype }).reshape([...p[1]]);
        for (const [name, op, f] of COMPARE) {
          const want = reference(p, a, b, (x, y) => (f(x, y) ? 1 : 0));
          const got = op(ta, tb);
          if (got.dtype !== 'bool') throw new Error(`${name}: not bool`);
          await assertClose(got.reshape([-1]), want, {
            rtol: 0,
            atol: 0,
          }).catch((e: Error) => {
            throw new Error(
              `${name} ${dtype} [${p[0]}] [${p[1]}]: ${e.message}`,
            );
          });
        }
      }),
  },
];
