// The PyTorch-shaped conveniences on Tensor: numel, requiresGrad_, detach,
// clone, and how a tensor prints (toString and Node's util.inspect).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { inspect } from 'node:util';
import * as T from '@optnet/tensor';
import { assertThrowsCode } from '@optnet/tensor/testing';

const META = 'dtype=float32, backend=cpu, requiresGrad=false';

test('numel counts the elements; requiresGrad_ chains and checks', async () => {
  assert.is(T.zeros([2, 3, 4]).numel(), 24);
  assert.is(T.scalar(1).numel(), 1);
  assert.is(T.zeros([0, 3]).numel(), 0);
  const w = T.randn([3, 2]);
  assert.is(w.requiresGrad_(), w, 'returns the same tensor');
  assert.ok(w.requiresGrad);
  assert.is(w.requiresGrad_(false).requiresGrad, false);
  await assertThrowsCode(
    () => T.tensor([1, 2], { dtype: 'int32' }).requiresGrad_(),
    'DTYPE_MISMATCH',
    /^requiresGrad_: only float tensors can require a gradient; got int32\[2\]/,
  );
  // A computed tensor (with a graph node) cannot drop out of its graph.
  const y = T.ones([2], { requiresGrad: true }).mul(2);
  await assertThrowsCode(
    () => y.requiresGrad_(false),
    'BAD_ARGUMENT',
    /got one computed by mul\. Use t\.detach\(\)/,
  );
  assert.is(y.requiresGrad_(true), y, 'true on a computed tensor is a no-op');
});

test('detach: same values, out of the graph, sharing the CPU buffer', () => {
  const x = T.tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
  const y = x.mul(2);
  const d = y.detach();
  assert.equal(Array.from(d.dataSync()), [2, 4, 6]);
  assert.is(d.requiresGrad, false);
  assert.is(d.node, null);
  assert.ok(d !== y && d.buffer === y.buffer, 'no copy on the CPU');
  // Disposing one holder leaves the other's values intact.
  y.dispose();
  assert.equal(Array.from(d.dataSync()), [2, 4, 6]);
  // assign gives the target a new buffer; the detached tensor keeps its own.
  const w = T.tensor([1, 2], { requiresGrad: true });
  const frozen = w.detach();
  w.assign(T.tensor([5, 6]));
  assert.equal(Array.from(frozen.dataSync()), [1, 2]);
  assert.equal(Array.from(w.dataSync()), [5, 6]);
});

test('data and dataSync copy; { copy: false } hands back the CPU storage itself', async () => {
  const t = T.tensor([1, 2, 3], { dtype: 'float64' });
  const copy = t.dataSync();
  copy[0] = 99; // the caller's to change
  assert.equal(Array.from(t.dataSync()), [1, 2, 3]);
  assert.is.not(t.dataSync(), t.dataSync(), 'each default read is a new array');
  const view = t.dataSync({ copy: false });
  assert.ok(view instanceof Float64Array);
  assert.equal(Array.from(view), [1, 2, 3]);
  assert.is(t.dataSync({ copy: false }), view, 'no copy: the same storage');
  assert.is(await t.data({ copy: false }), view);
  assert.is.not(await t.data(), view);
  // the storage of a reshape is its source's (the CPU shares the buffer)
  assert.is(t.reshape([3, 1]).dataSync({ copy: false }), view);
});

test('clone: a new buffer with the same values, dtype and shape, in the graph', () => {
  for (const dtype of ['float32', 'float64', 'int32', 'bool'] as const) {
    const x = T.tensor(
      [
        [1, 0],
        [3, 4],
      ],
      { dtype },
    );
    const c = x.clone();
    assert.ok(c.buffer !== x.buffer, `${dtype}: a copy`);
    assert.is(c.dtype, dtype);
    assert.equal(c.shape, x.shape);
    assert.equal(c.arraySync(), x.arraySync());
  }
  const leaf = T.tensor([1, 2], { requiresGrad: true });
  const c = leaf.clone();
  assert.ok(c.requiresGrad && c.node !== null, 'recorded like any op');
});

test('toString: values, shape, dtype, backend and grad flag, PyTorch style', () => {
  const x = T.tensor([
    [1, -2.5],
    [3, 4],
  ]);
  assert.is(
    x.toString(),
    'tensor([[ 1.0000, -2.5000],\n' +
      '        [ 3.0000,  4.0000]],\n' +
      `       shape=[2, 2], ${META})`,
  );
  assert.is(
    String(T.tensor([1, 2, 3])),
    `tensor([1., 2., 3.], shape=[3], ${META})`,
  );
  assert.is(
    String(T.scalar(0.5, 'float64').requiresGrad_()),
    'tensor(0.5000, shape=[], dtype=float64, backend=cpu, requiresGrad=true)',
  );
  assert.match(String(T.tensor([true, false])), /^tensor\(\[ true, false\]/);
  assert.match(
    String(T.tensor([7, -12], { dtype: 'int32' })),
    /^tensor\(\[ {2}7, -12\], shape=\[2\], dtype=int32/,
  );
  assert.match(
    String(T.tensor([NaN, Infinity, -Infinity, 1])),
    /\[ nan, {2}inf, -inf, {3}1\.\]/,
  );
  // Values spanning more than three decades switch to scientific notation.
  assert.match(String(T.tensor([1e-5, 1])), /\[1\.0000e-5, 1\.0000e\+0\]/);
  assert.is(String(T.zeros([0, 3])), `tensor([], shape=[0, 3], ${META})`);
  const rank3 = String(
    T.arange(0, 8, 1, { dtype: 'int32' }).reshape([2, 2, 2]),
  );
  assert.match(
    rank3,
    /^tensor\(\[\[\[0, 1\],\n {9}\[2, 3\]\],\n\n {8}\[\[4, 5\],/,
  );
  const gone = T.ones([2]);
  gone.dispose();
  assert.match(String(gone), /^tensor\(<disposed>, shape=\[2\]/);
});

test('long rows wrap at 80 columns; the metadata moves to its own line', () => {
  const lines = String(T.arange(0, 30, 1, { dtype: 'float32' }).mul(1.5)).split(
    '\n',
  );
  assert.ok(lines.length > 2, lines.join('\n'));
  assert.ok(
    lines.every((l) => l.length <= 80),
    lines.join('\n'),
  );
  assert.match(lines[1], /^ {8}\d/, 'continuation rows align under the first');
  assert.match(lines[lines.length - 1], /^ {7}shape=\[30\]/);
});

test('more than 1000 elements: each long axis shows its first and last 3', () => {
  const x = T.arange(0, 40 * 50, 1, { dtype: 'int32' }).reshape([40, 50]);
  const text = String(x);
  const rows = text.split('\n');
  assert.is(rows[0], 'tensor([[   0,    1,    2,  ...,   47,   48,   49],');
  assert.is(rows[1], '        [  50,   51,   52,  ...,   97,   98,   99],');
  assert.is(rows[3], '        ...,');
  assert.is(rows[6], '        [1950, 1951, 1952,  ..., 1997, 1998, 1999]],');
  assert.match(rows[7], /shape=\[40, 50\], dtype=int32/);
  assert.match(
    String(T.zeros([1001])),
    /^tensor\(\[0\., 0\., 0\., {2}\.\.\., 0\., 0\., 0\.\]/,
  );
  // Exactly 1000 elements print in full.
  assert.not.match(String(T.zeros([1000])), /\.\.\./);
});

test('util.inspect and console.log show the same text', () => {
  const x = T.tensor([1, 2]);
  assert.is(inspect(x), x.toString());
  assert.match(inspect({ w: x }), /w: tensor\(\[1\., 2\.\], shape=\[2\]/);
});

test('a backend without synchronous reads prints a note, not values', () => {
  class AsyncOnly extends T.CpuBackend {
    override readonly name: string = 'async-test';
    override readonly canReadSync: boolean = false;
  }
  const prev = T.getBackend();
  T.setBackend(new AsyncOnly());
  try {
    const x = T.ones([2, 3]);
    assert.is(
      String(x),
      'tensor(<values not read: the async-test backend reads asynchronously; ' +
        'use await t.toArray()>,\n' +
        '       shape=[2, 3], dtype=float32, backend=async-test, requiresGrad=false)',
    );
    assert.is(inspect(x), String(x));
  } finally {
    T.setBackend(prev);
  }
});

test('ndim, flatten, clamp, zerosLike / onesLike / fullLike', async () => {
  const x = T.arange(0, 24, 1).reshape([2, 3, 4]);
  assert.is(x.ndim, 3);
  assert.is(T.scalar(1).ndim, 0);
  assert.equal(x.flatten().shape, [24]);
  assert.equal(x.flatten(1).shape, [2, 12]);
  assert.equal(T.flatten(x, 0, 1).shape, [6, 4]);
  assert.equal(x.flatten(-2, -1).arraySync(), x.reshape([2, 12]).arraySync());
  assert.ok(x.flatten(1).buffer === x.buffer, 'a reshape: no copy');
  assert.equal(T.scalar(5).flatten().shape, [1]);
  await assertThrowsCode(
    () => x.flatten(2, 1),
    'BAD_ARGUMENT',
    /^flatten: startAxis must not come after endAxis; got 2 and 1 for rank 3/,
  );
  const v = T.tensor([-2, -0.5, 0.5, 2]);
  assert.equal(v.clamp(-1, 1).arraySync(), [-1, -0.5, 0.5, 1]);
  assert.equal(v.clamp(0).arraySync(), [0, 0, 0.5, 2]);
  assert.equal(T.clamp(v, null, 0).arraySync(), [-2, -0.5, 0, 0]);
  const w = T.randn([2, 3], { dtype: 'float64' });
  const z = T.zerosLike(w);
  assert.equal([z.shape, z.dtype, z.backend], [w.shape, w.dtype, w.backend]);
  assert.ok(Array.from(z.dataSync()).every((a) => a === 0));
  assert.equal(T.onesLike(w, { dtype: 'int32' }).arraySync(), [
    [1, 1, 1],
    [1, 1, 1],
  ]);
  const f = T.fullLike(w, 0.5, { requiresGrad: true });
  assert.ok(f.requiresGrad && f.dtype === 'float64');
  assert.ok(Array.from(f.dataSync()).every((a) => a === 0.5));
});

test('toBackend copies to another backend (the fix BACKEND_MISMATCH names)', async () => {
  const a = T.tensor([1, 2, 3], { requiresGrad: true });
  const other = new T.CpuBackend();
  assert.is(await T.toBackend(a, a.backend), a, 'already there: the same');
  const b = await T.toBackend(a, other);
  assert.is(b.backend, other);
  assert.equal(b.arraySync(), [1, 2, 3]);
  assert.is(b.requiresGrad, false, 'a new leaf');
  const prev = T.getBackend();
  T.setBackend(other);
  const c = T.ones([3]);
  T.setBackend(prev);
  await assertThrowsCode(
    () => T.add(a, c),
    'BACKEND_MISMATCH',
    /Move one with await t\.to\(backend\)/,
  );
  assert.equal(T.add(b, c).arraySync(), [2, 3, 4]);
  assert.is(T.zerosLike(c).backend, other, 'the like tensor decides');
});

test.run();
