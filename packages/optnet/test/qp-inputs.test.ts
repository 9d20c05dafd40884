// What qp / solveQp accept besides tensors: constraint pairs without rows
// (qpth's G [0, nz], h [0]) mean "none of that kind", with the result and
// gradients of passing null; plain nested arrays are converted (dtype of
// the first tensor argument, else float64); anything else is refused with
// a line naming the argument, never a TypeError from inside.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { makeRng, randn, tensor, zeros, type Tensor } from '@optnet/tensor';
import '@optnet/autograd';
import { qp, solveQp, type QpArg } from '../src/index.js';

const f64 = { dtype: 'float64' as const };
const rng = makeRng(11);
const nz = 4;
const L = randn([nz, nz], { rng, ...f64 });
const Q = L.matmul(L, { transB: true }).addDiagonal(tensor([1, 1, 1, 1], f64));
const p = randn([3, nz], { rng, ...f64 });
const G = randn([5, nz], { rng, ...f64 });
const h = randn([5], { rng, ...f64 })
  .abs()
  .add(0.1);
const A = randn([2, nz], { rng, ...f64 });
const b = randn([2], { rng, ...f64 }).mul(0.1);

function caught(fn: () => unknown): { code?: string; message: string } {
  try {
    fn();
  } catch (e) {
    return e as { code?: string; message: string };
  }
  assert.unreachable('expected an error');
  throw new Error('unreachable');
}

const leaf = (t: Tensor): Tensor => {
  const c = t.mul(1);
  c.requiresGrad = true;
  return c;
};

/** z and the gradients of (z·w).sum() for every tensor argument. */
function solveWithGrads(
  args: (Tensor | null)[],
): [number[], (number[] | null)[], Tensor[]] {
  const leaves = args.map((t) => (t === null ? null : leaf(t)));
  const [q, pp, g, hh, a, bb] = leaves;
  const z = qp(q!, pp!, g, hh, a, bb);
  const w = randn(z.shape, { rng: makeRng(3), ...f64 });
  z.mul(w).sum().backward();
  const grads = leaves.map((t) =>
    t === null ? null : Array.from(t.grad!.dataSync() as Float64Array),
  );
  const present = leaves.filter((t): t is Tensor => t !== null);
  return [Array.from(z.dataSync() as Float64Array), grads, present];
}

test('empty G [0, nz], h [0]: z and the gradients of Q and p are those of null; G, h get empty gradients', () => {
  const [z0, g0] = solveWithGrads([Q, p, null, null, A, b]);
  const Ge = zeros([0, nz], f64);
  const he = zeros([0], f64);
  const [z1, g1, leaves] = solveWithGrads([Q, p, Ge, he, A, b]);
  assert.equal(z1, z0);
  assert.equal(g1[0], g0[0]);
  assert.equal(g1[1], g0[1]);
  assert.equal(g1[4], g0[4]);
  assert.equal(g1[5], g0[5]);
  assert.equal(leaves[2].grad!.shape, [0, nz]);
  assert.equal(leaves[3].grad!.shape, [0]);
});

test('empty batched A [nBatch, 0, nz], b [nBatch, 0] next to real inequalities, and both pairs empty', () => {
  const [z0, g0] = solveWithGrads([Q, p, G, h, null, null]);
  const Ae = zeros([3, 0, nz], f64);
  const be = zeros([3, 0], f64);
  const [z1, g1, leaves] = solveWithGrads([Q, p, G, h, Ae, be]);
  assert.equal(z1, z0);
  for (const i of [0, 1, 2, 3]) assert.equal(g1[i], g0[i]);
  assert.equal(leaves[4].grad!.shape, [3, 0, nz]);
  assert.equal(leaves[5].grad!.shape, [3, 0]);
  const [zu] = solveWithGrads([Q, p, null, null, null, null]);
  const [ze] = solveWithGrads([Q, p, zeros([0, nz], f64), zeros([0], f64)]);
  assert.equal(ze, zu);
});

test("qpth's empty tensors (rank 1, size 0) for A and b mean no equalities: z and gradients of null; A gets an empty gradient of its own shape", () => {
  const [z0, g0] = solveWithGrads([Q, p, G, h, null, null]);
  const [z1, g1, leaves] = solveWithGrads([
    Q,
    p,
    G,
    h,
    zeros([0], f64),
    zeros([0], f64),
  ]);
  assert.equal(z1, z0);
  for (const i of [0, 1, 2, 3]) assert.equal(g1[i], g0[i]);
  assert.equal(leaves[4].grad!.shape, [0]);
  // And for G and h, with no equalities either.
  const [zu] = solveWithGrads([Q, p, null, null, null, null]);
  const [ze] = solveWithGrads([Q, p, zeros([0], f64), zeros([0], f64)]);
  assert.equal(ze, zu);
});

test('solveQp with empty pairs: same solution, status and iterations as null; duals of shape [nBatch, 0]', async () => {
  const r0 = await solveQp(Q, p, G, h);
  const r1 = await solveQp(Q, p, G, h, zeros([0, nz], f64), zeros([0], f64));
  assert.equal(r1.z.arraySync(), r0.z.arraySync());
  assert.equal(r1.iterations, r0.iterations);
  assert.equal(r1.status, r0.status);
  assert.equal(r1.nu.shape, [3, 0]);
});

test('an empty pair is still shape-checked: its batch size must agree', () => {
  const e = caught(() => qp(Q, p, zeros([2, 0, nz], f64), zeros([2, 0], f64)));
  assert.is(e.code, 'SHAPE_MISMATCH');
  assert.ok(e.message.includes('same nBatch'), e.message);
});

test('plain nested arrays: float64 when no argument is a tensor; the same z as tensors', async () => {
  const arr = (t: Tensor): QpArg => t.arraySync() as QpArg;
  const z0 = qp(Q, p, G, h, A, b);
  const z1 = qp(arr(Q), arr(p), arr(G), arr(h), arr(A), arr(b));
  assert.is(z1.dtype, 'float64');
  assert.equal(z1.arraySync(), z0.arraySync());
  const r = await solveQp(arr(Q), arr(p), [], [], arr(A), arr(b));
  const z2 = qp(Q, p, null, null, A, b);
  assert.equal(r.z.arraySync(), z2.arraySync());
  const pv = Float64Array.from(p.dataSync() as Float64Array).subarray(0, nz);
  const z3 = qp(arr(Q), pv, arr(G), arr(h));
  assert.equal(z3.arraySync(), qp(Q, tensor(pv, f64), G, h).arraySync());
});

test('arrays take the dtype of the first tensor argument; gradients reach the tensors', () => {
  const Q32 = leaf(Q.cast('float32'));
  const z = qp(
    Q32,
    p.arraySync() as QpArg,
    G.arraySync() as QpArg,
    h.arraySync() as QpArg,
  );
  assert.is(z.dtype, 'float32');
  const want = qp(
    Q.cast('float32'),
    p.cast('float32'),
    G.cast('float32'),
    h.cast('float32'),
  );
  assert.equal(z.arraySync(), want.arraySync());
  z.sum().backward();
  assert.equal(Q32.grad!.shape, [nz, nz]);
});

test('anything else is refused with a line naming the argument', async () => {
  const cases: [() => unknown, string, string[]][] = [
    [
      () => qp(Q, p, G, 'h' as never),
      'BAD_ARGUMENT',
      [
        "qp: h must be a Tensor or a nested array of numbers; got the string 'h'",
      ],
    ],
    [
      () => qp(Q, 3 as never),
      'BAD_ARGUMENT',
      ['qp: p must be', 'got number 3'],
    ],
    [
      () => qp(Q, undefined as never),
      'BAD_ARGUMENT',
      ['qp: p must be', 'got undefined'],
    ],
    [
      () => qp({ shape: [4, 4] } as never, p),
      'BAD_ARGUMENT',
      ['qp: Q must be', 'an object (Object)'],
    ],
    [
      () => qp([[1, 0], [0]], [1, 1]),
      'SHAPE_MISMATCH',
      ['qp: Q as an array: nested arrays must be rectangular'],
    ],
    [
      () =>
        qp(
          [
            [1, 0],
            [0, 1],
          ],
          [1, 'x'] as never,
        ),
      'SHAPE_MISMATCH',
      ['qp: p as an array', 'string'],
    ],
  ];
  for (const [fn, code, parts] of cases) {
    const e = caught(fn);
    assert.is(e.code, code, e.message);
    assert.not.instance(e, TypeError);
    for (const part of parts)
      assert.ok(e.message.includes(part), `"${part}" missing: ${e.message}`);
  }
  try {
    await solveQp(Q, p, G, {} as never);
    assert.unreachable('expected a rejection');
  } catch (e) {
    assert.is((e as { code?: string }).code, 'BAD_ARGUMENT');
    assert.ok((e as Error).message.startsWith('solveQp: h must be'));
  }
});

test('no variables (nz = 0) with inequalities 0 ≤ h: solved, for a shared and a per-item G, float64 and float32', async () => {
  for (const dtype of ['float64', 'float32'] as const) {
    const o = { dtype };
    const shared = await solveQp(
      zeros([0, 0], o),
      zeros([0], o),
      zeros([2, 0], o),
      tensor([1, 2], o),
      null,
      null,
    );
    assert.equal(shared.status, ['solved'], `${dtype} shared G`);
    assert.is(shared.z.size, 0);
    const perItem = await solveQp(
      zeros([3, 0, 0], o),
      zeros([3, 0], o),
      zeros([3, 2, 0], o),
      tensor([1, 2, 3, 4, 5, 6], o).reshape([3, 2]),
      null,
      null,
    );
    assert.equal(perItem.status, ['solved', 'solved', 'solved'], dtype);
    assert.equal(perItem.z.shape, [3, 0]);
  }
});

test.run();
