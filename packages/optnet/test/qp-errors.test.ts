// Bad input and unsolvable problems: typed errors naming the argument,
// the batch item and the fix; infeasible and unbounded problems detected
// with a certificate, never returned as a silent wrong answer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { eye, tensor, zeros, type Tensor } from '@optnet/tensor';
import { qp, solveQp, QpError } from '../src/index.js';
import { checkSymmetric, finiteAbsMax } from '../src/api/validate.js';

const f64 = { dtype: 'float64' as const };

function throwsCode(fn: () => unknown, code: string, ...parts: string[]): void {
  try {
    fn();
  } catch (e) {
    const err = e as { code?: string; message: string };
    assert.is(err.code, code, err.message);
    for (const p of parts)
      assert.ok(
        err.message.includes(p),
        `message lacks "${p}": ${err.message}`,
      );
    return;
  }
  assert.unreachable(`expected ${code}`);
}

const Q = eye(3, f64);
const p = tensor([1, -1, 0.5], f64);
const G = tensor(
  [
    [1, 0, 0],
    [0, 1, 0],
  ],
  f64,
);
const h = tensor([1, 1], f64);

test('shapes: the argument, its expected batched shape and the sizes are named', () => {
  throwsCode(
    () => qp(Q, tensor([1, 2], f64)),
    'SHAPE_MISMATCH',
    'p',
    '[nz] or [nBatch, nz]',
    'nz = 3',
    'p[2]',
  );
  throwsCode(
    () => qp(Q, p, tensor([[1, 0]], f64), tensor([1], f64)),
    'SHAPE_MISMATCH',
    'G',
    'nIneq = 1, nz = 3',
  );
  throwsCode(
    () => qp(Q, p, G, tensor([1, 2, 3], f64)),
    'SHAPE_MISMATCH',
    'h',
    'nIneq = 2',
  );
  throwsCode(() => qp(zeros([3, 2], f64), p), 'SHAPE_MISMATCH', 'Q');
  throwsCode(() => qp(Q, p, G, null), 'BAD_ARGUMENT', 'G and h come together');
  // A rank-1 A that is not empty (size 0 means none, as qpth's): the
  // message says what a matrix looks like.
  throwsCode(
    () =>
      qp(
        Q,
        p,
        G,
        tensor([1, 1], f64),
        tensor([1, 0, 0], f64),
        tensor([1], f64),
      ),
    'SHAPE_MISMATCH',
    'A[3]',
    'one row per constraint',
  );
  const Qb = Q.unsqueeze(0).expand([2, 3, 3]).mul(1);
  const pb = p.unsqueeze(0).expand([4, 3]).mul(1);
  throwsCode(
    () => qp(Qb, pb),
    'SHAPE_MISMATCH',
    'same nBatch',
    'Q[2, 3, 3]',
    'p[4, 3]',
  );
});

test('dtypes: mixed or integer arguments are refused with a cast hint', () => {
  throwsCode(
    () => qp(Q, p.cast('float32')),
    'DTYPE_MISMATCH',
    'one dtype',
    'float64',
    'float32',
  );
  throwsCode(
    () => qp(Q, tensor([1, 2, 3], { dtype: 'int32' })),
    'DTYPE_MISMATCH',
    'float32 or float64',
  );
});

test('non-finite entries are refused, naming the argument and the index', () => {
  throwsCode(
    () => qp(Q, p, G, tensor([1, Infinity], f64)),
    'NON_FINITE',
    'h',
    'flat index 1',
  );
  throwsCode(() => qp(Q, tensor([NaN, 0, 0], f64)), 'NON_FINITE', 'p', 'NaN');
  // Q's check shares a pass with its scale (finiteAbsMax)
  for (const [i, v] of [
    [4, NaN],
    [8, -Infinity],
  ] as const) {
    const bad = Array.from(Q.dataSync());
    bad[i] = v;
    throwsCode(
      () => qp(tensor(bad, f64).reshape(Q.shape), p),
      'NON_FINITE',
      'Q',
      `flat index ${i}`,
    );
  }
});

test('finiteAbsMax: max |x| while every entry is finite, NaN for any NaN or ±Inf wherever it is', () => {
  const xs = [0.5, -7, 3, 2, -1, 6.5, 0];
  assert.is(finiteAbsMax(new Float64Array(xs)), 7);
  assert.is(finiteAbsMax(new Float32Array([-2, 1])), 2);
  assert.is(finiteAbsMax(new Float64Array(0)), 0);
  // huge but finite: no overflow in the finiteness check
  assert.is(
    finiteAbsMax(new Float64Array([1e308, 0, 0, 1e308, -1e308])),
    1e308,
  );
  // in the four-wide part (index < 4) and in the tail (index ≥ 4)
  for (let i = 0; i < xs.length; i++)
    for (const bad of [NaN, Infinity, -Infinity]) {
      const d = new Float64Array(xs);
      d[i] = bad;
      assert.ok(Number.isNaN(finiteAbsMax(d)), `${bad} at ${i}`);
    }
});

test('checkSymmetric: exactly symmetric items pass at once, a round-off asymmetry is accepted (not exact), a real one is named', () => {
  const sym = [2, 0.5, 0.5, 1];
  const off = (e: number) => [2, 0.5, 0.5 + e, 1];
  assert.is(checkSymmetric([...sym, ...sym], 2, false, true), true);
  assert.is(checkSymmetric([...sym, ...off(1e-12)], 2, false, true), false);
  assert.throws(
    () => checkSymmetric([...sym, ...sym, ...off(1e-3)], 2, false, true),
    (e: unknown) =>
      e instanceof QpError &&
      e.code === 'Q_NOT_SYMMETRIC' &&
      e.message.includes('Q[2][1][0]'),
  );
  // Not enforced (checkQ: false): only whether it is exact.
  assert.is(checkSymmetric([...sym, ...off(1e-3)], 2, false, false), false);
  // A signed-zero pair is exactly symmetric.
  assert.is(checkSymmetric([...sym, 2, 0, -0, 1], 2, false, true), true);
});

test('Q must be symmetric and positive semidefinite, naming the batch item', () => {
  throwsCode(
    () =>
      qp(
        tensor(
          [
            [1, 2, 0],
            [0, 1, 0],
            [0, 0, 1],
          ],
          f64,
        ),
        p,
      ),
    'Q_NOT_SYMMETRIC',
    'Q[0][1][0]',
  );
  const bad = tensor(
    [
      eye(3).arraySync(),
      [
        [1, 0, 0],
        [0, -1, 0],
        [0, 0, 1],
      ],
    ] as number[][][],
    f64,
  );
  throwsCode(() => qp(bad, p), 'Q_NOT_PSD', 'batch item 1', 'L·Lᵀ + εI');
  throwsCode(
    () => qp(eye(3, f64).mul(-1), p, null, null, null, null, { checkQ: true }),
    'Q_NOT_PSD',
    'batch item 0',
  );
});

test('an infeasible item is detected with a Farkas certificate and named', async () => {
  // Item 1 asks z1 ≤ −1 and z1 ≥ 1.
  const Gb = tensor(
    [
      [
        [1, 0, 0],
        [-1, 0, 0],
      ],
      [
        [1, 0, 0],
        [-1, 0, 0],
      ],
    ],
    f64,
  );
  const hb = tensor(
    [
      [1, 1],
      [-1, -1],
    ],
    f64,
  );
  const r = await solveQp(Q, p, Gb, hb);
  assert.equal(r.status, ['solved', 'infeasible']);
  throwsCode(
    () => qp(Q, p, Gb, hb),
    'QP_NOT_SOLVED',
    '1/2 problems',
    'item 1: infeasible',
    'Gz ≤ h',
  );
  const z = qp(Q, p, Gb, hb, null, null, { onNotSolved: 'return' });
  assert.equal(z.shape, [2, 3]);
});

test('infeasible equalities are detected too', async () => {
  const A = tensor(
    [
      [1, 1, 0],
      [1, 1, 0],
    ],
    f64,
  );
  const b = tensor([1, 2], f64);
  const r = await solveQp(Q, p, G, h, A, b);
  assert.equal(r.status, ['infeasible']);
});

test('an unbounded LP is detected: minimize −z1 with z1 ≥ 0', async () => {
  const r = await solveQp(
    zeros([2, 2], f64),
    tensor([-1, 0], f64),
    tensor(
      [
        [-1, 0],
        [0, -1],
        [0, 1],
      ],
      f64,
    ),
    tensor([0, 0, 1], f64),
  );
  assert.equal(r.status, ['unbounded']);
  throwsCode(
    () =>
      qp(
        zeros([2, 2], f64),
        tensor([-1, 0], f64),
        tensor(
          [
            [-1, 0],
            [0, -1],
            [0, 1],
          ],
          f64,
        ),
        tensor([0, 0, 1], f64),
      ),
    'QP_NOT_SOLVED',
    'unbounded',
  );
});

test('running out of iterations says max_iterations, with residuals in the error', async () => {
  // Polishing finishes this QP after one iteration (its test is elsewhere).
  const opts = { maxIter: 1, polish: false };
  const r = await solveQp(Q, p, G, h, null, null, opts);
  assert.equal(r.status, ['max_iterations']);
  throwsCode(
    () => qp(Q, p, G, h, null, null, opts),
    'QP_NOT_SOLVED',
    'max_iterations',
    'primal residual',
    'maxIter',
  );
});

test('QpError is exported and carries its code', () => {
  try {
    qp(
      Q,
      p,
      G,
      tensor([-1, -1], f64).add(tensor([0, 0], f64)),
      tensor(
        [
          [1, 0, 0],
          [-1, 0, 0],
        ],
        f64,
      ) as Tensor,
      tensor([1, -2], f64) as Tensor,
    );
  } catch (e) {
    assert.ok(e instanceof QpError);
    assert.is((e as QpError).code, 'QP_NOT_SOLVED');
    return;
  }
  assert.unreachable('an infeasible problem must throw');
});

test.run();
