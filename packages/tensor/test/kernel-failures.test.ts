// Data-dependent kernel failures, the one route on every backend: the CPU
// throws from the op; a device records a KernelFailure, leaves the outputs
// NaN and rejects the next read with op.failure(record), which words it
// exactly as the CPU does.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '@optnet/tensor';
import { GpuLikeBackend } from '@optnet/tensor/testing';

interface Failing {
  readonly what: string;
  readonly op: T.KernelOp<never>;
  readonly attrs: unknown;
  /** The inputs (made on the current backend). */
  readonly inputs: () => T.Tensor[];
  /** The record a device kernel would write for this failure. */
  readonly record: T.KernelFailure;
  readonly code: string;
  readonly message: RegExp;
}

const P = T.primitives;
const none = {};
const rec = (
  code: T.ErrorCode,
  input: number,
  index: number,
  pivot: number,
  value: number,
): T.KernelFailure => ({ code, input, index, pivot, value });
const spd = [
  [4, 1],
  [1, 3],
];

const cases: Failing[] = [
  {
    what: 'cholesky: not positive definite (batch item 1, pivot 1)',
    op: P.cholesky,
    attrs: none,
    inputs: () => [
      T.tensor([
        spd,
        [
          [1, 2],
          [2, 1],
        ],
      ]),
    ],
    record: rec('NOT_POSITIVE_DEFINITE', 0, 1, 1, -3),
    code: 'NOT_POSITIVE_DEFINITE',
    message: /^cholesky: .*batch item 1 at pivot 1 \(-3\.00\)/,
  },
  {
    what: 'cholesky: NaN in A',
    op: P.cholesky,
    attrs: none,
    inputs: () => [
      T.tensor([
        [4, 0],
        [NaN, 3],
      ]),
    ],
    record: rec('NON_FINITE', 0, 2, 0, NaN),
    code: 'NON_FINITE',
    message: /^cholesky: A must be finite; got NaN at \[1, 0\]/,
  },
  {
    what: 'solve: singular A (batch item 0, pivot 1)',
    op: P.solve,
    attrs: none,
    inputs: () => [
      T.tensor([
        [1, 2],
        [2, 4],
      ]),
      T.ones([2, 1]),
    ],
    record: rec('SINGULAR', 0, 0, 1, 0),
    code: 'SINGULAR',
    message: /^solve: .*singular matrix at batch item 0 \(pivot 1 is 0\)/,
  },
  {
    what: 'solve: Infinity in B',
    op: P.solve,
    attrs: none,
    inputs: () => [T.eye(2), T.tensor([[1], [Infinity]])],
    record: rec('NON_FINITE', 1, 1, 0, Infinity),
    code: 'NON_FINITE',
    message: /^solve: B must be finite; got Infinity at \[1, 0\]/,
  },
  {
    what: 'triangularSolve: -Infinity in L',
    op: P.triangularSolve,
    attrs: { lower: true, transpose: false, unitDiagonal: false },
    inputs: () => [
      T.tensor([
        [1, 0],
        [-Infinity, 1],
      ]),
      T.ones([2, 1]),
    ],
    record: rec('NON_FINITE', 0, 2, 0, -Infinity),
    code: 'NON_FINITE',
    message: /^triangularSolve: L must be finite; got -Infinity at \[1, 0\]/,
  },
  {
    what: 'gather: index out of range',
    op: P.gather,
    attrs: { axis: 1 },
    inputs: () => [
      T.zeros([2, 3]),
      T.tensor(
        [
          [0, 1],
          [5, 0],
        ],
        { dtype: 'int32' },
      ),
    ],
    record: rec('BAD_ARGUMENT', 1, 2, 0, 5),
    code: 'BAD_ARGUMENT',
    message:
      /^gather: index 5 at position \[1, 0\] is out of range for axis 1 of size 3/,
  },
  {
    what: 'scatterAdd: negative index',
    op: P.scatterAdd,
    attrs: { axis: 0, shape: [2, 2] },
    inputs: () => [T.ones([1, 2]), T.tensor([[0, -1]], { dtype: 'int32' })],
    record: rec('BAD_ARGUMENT', 1, 1, 0, -1),
    code: 'BAD_ARGUMENT',
    message:
      /^scatterAdd: index -1 at position \[0, 1\] is out of range for axis 0 of size 2/,
  },
  {
    what: 'softmaxCrossEntropy: label out of range',
    op: P.softmaxCrossEntropy,
    attrs: none,
    inputs: () => [T.zeros([3, 4]), T.tensor([0, 3, 4], { dtype: 'int32' })],
    record: rec('BAD_ARGUMENT', 1, 2, 0, 4),
    code: 'BAD_ARGUMENT',
    message:
      /^softmaxCrossEntropy: labels must lie in \[0, 4\) .*; got 4 at row 2\./,
  },
  {
    what: 'softmaxCrossEntropyGrad: negative label',
    op: P.softmaxCrossEntropyGrad,
    attrs: none,
    inputs: () => [
      T.zeros([2, 4]),
      T.tensor([-2, 0], { dtype: 'int32' }),
      T.ones([2]),
    ],
    record: rec('BAD_ARGUMENT', 1, 0, 0, -2),
    code: 'BAD_ARGUMENT',
    message:
      /^softmaxCrossEntropyGrad: labels must lie in \[0, 4\) .*; got -2 at row 0\./,
  },
];

function errorOf(fn: () => unknown): T.OptnetError {
  try {
    fn();
  } catch (e) {
    return e as T.OptnetError;
  }
  throw new Error('expected an error');
}

for (const c of cases) {
  test(`CPU: ${c.what} is thrown by the op; op.failure(record) words it the same`, () => {
    const ins = c.inputs();
    const e = errorOf(() => T.apply1(c.op, ins, c.attrs as never));
    assert.is(e.code, c.code);
    assert.match(e.message, c.message);
    const worded = c.op.failure!(c.record, ins, c.attrs as never);
    assert.is(worded.constructor, e.constructor);
    assert.is(worded.code, e.code);
    assert.is(worded.message, e.message);
  });

  test(`GPU-like: ${c.what} reaches the next read, once; the outputs are NaN`, async () => {
    const prev = T.getBackend();
    const be = new GpuLikeBackend();
    T.setBackend(be);
    try {
      const y = T.apply1(c.op, c.inputs(), c.attrs as never); // no throw
      const other = T.ones([2]);
      let seen: T.OptnetError | null = null;
      try {
        await other.data(); // any read on the backend reports it
      } catch (e) {
        seen = e as T.OptnetError;
      }
      assert.ok(seen !== null, 'the read rejected');
      assert.is(seen!.code, c.code);
      assert.match(seen!.message, c.message);
      const values = Array.from(await y.data()); // reported once only
      if (y.dtype === 'float32')
        assert.ok(values.every(Number.isNaN), 'outputs are NaN');
      assert.equal(await other.toArray(), [1, 1]);
    } finally {
      T.setBackend(prev);
    }
  });
}

test('GPU-like: the first failure since the last read is the one reported', async () => {
  const prev = T.getBackend();
  T.setBackend(new GpuLikeBackend());
  try {
    const bad = T.tensor([
      [1, 2],
      [2, 1],
    ]);
    T.cholesky(bad);
    T.solve(T.zeros([2, 2]), T.ones([2, 1]));
    let code = '';
    await T.ones([1])
      .data()
      .catch((e: T.OptnetError) => (code = e.code));
    assert.is(code, 'NOT_POSITIVE_DEFINITE');
  } finally {
    T.setBackend(prev);
  }
});

test.run();
