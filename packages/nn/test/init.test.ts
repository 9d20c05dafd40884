import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '@optnet/tensor';
import {
  calculateFanInAndFanOut,
  calculateGain,
  Conv2d,
  kaimingNormal,
  kaimingUniform,
  Linear,
  NnError,
  normal,
  uniform,
  xavierNormal,
  xavierUniform,
} from '@optnet/nn';

function stats(t: T.Tensor): { mean: number; std: number; maxAbs: number } {
  const v = Array.from(t.dataSync());
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const varr = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
  return { mean, std: Math.sqrt(varr), maxAbs: Math.max(...v.map(Math.abs)) };
}

function throwsNn(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (e) {
    assert.instance(e, NnError);
    assert.is((e as NnError).code, code);
    return;
  }
  assert.unreachable('expected an NnError');
}

test('calculateGain: PyTorch values', () => {
  assert.is(calculateGain('linear'), 1);
  assert.is(calculateGain('conv2d'), 1);
  assert.is(calculateGain('sigmoid'), 1);
  assert.is(calculateGain('tanh'), 5 / 3);
  assert.is(calculateGain('relu'), Math.SQRT2);
  assert.is(calculateGain('selu'), 0.75);
  assert.ok(
    Math.abs(calculateGain('leaky_relu') - Math.sqrt(2 / (1 + 0.01 ** 2))) <
      1e-15,
  );
  // a = √5 (PyTorch's Linear default) gives √(1/3), so the bound is 1/√fanIn.
  assert.ok(
    Math.abs(calculateGain('leaky_relu', Math.sqrt(5)) - Math.sqrt(1 / 3)) <
      1e-15,
  );
  throwsNn(() => calculateGain('swish' as never), 'BAD_OPTION');
});

test('calculateFanInAndFanOut: [out, in, ...kernel]', () => {
  assert.equal(calculateFanInAndFanOut([16, 3, 5, 5]), [75, 400]);
  assert.equal(calculateFanInAndFanOut([10, 20]), [20, 10]);
  throwsNn(() => calculateFanInAndFanOut([7]), 'BAD_OPTION');
});

test('uniform/normal: bounds, moments, dtype, requiresGrad', () => {
  const u = uniform([20000], -2, 3, {
    rng: T.makeRng(1),
    dtype: 'float64',
    requiresGrad: true,
  });
  assert.is(u.dtype, 'float64');
  assert.ok(u.requiresGrad);
  const v = Array.from(u.dataSync());
  assert.ok(v.every((x) => x >= -2 && x < 3));
  assert.ok(Math.abs(stats(u).mean - 0.5) < 0.05);
  const n = normal([20000], 1, 0.5, { rng: T.makeRng(2) });
  assert.is(n.dtype, 'float32');
  assert.not.ok(n.requiresGrad);
  const s = stats(n);
  assert.ok(
    Math.abs(s.mean - 1) < 0.02 && Math.abs(s.std - 0.5) < 0.01,
    JSON.stringify(s),
  );
  throwsNn(() => uniform([2], 1, 0), 'BAD_OPTION');
  throwsNn(() => normal([2], 0, -1), 'BAD_OPTION');
});

test('kaimingUniform: U(-b, b), b = gain·√(3/fan); large tensor fills the range', () => {
  const shape = [200, 50, 3, 3]; // fanIn 450, fanOut 1800
  const w = kaimingUniform(shape, { nonlinearity: 'relu', rng: T.makeRng(3) });
  const b = Math.SQRT2 * Math.sqrt(3 / 450);
  const s = stats(w);
  assert.ok(s.maxAbs <= b && s.maxAbs > 0.999 * b, `${s.maxAbs} vs ${b}`);
  assert.ok(Math.abs(s.std - b / Math.sqrt(3)) < 0.01 * b);
  const wOut = kaimingUniform(shape, { mode: 'fan_out', rng: T.makeRng(3) });
  const bOut = Math.sqrt(2) * Math.sqrt(3 / 1800); // leaky_relu with a = 0: gain √2
  assert.ok(stats(wOut).maxAbs <= bOut && stats(wOut).maxAbs > 0.999 * bOut);
});

test('kaimingNormal / xavierNormal: std within 2% on a large tensor', () => {
  const k = kaimingNormal([300, 400], {
    nonlinearity: 'relu',
    rng: T.makeRng(4),
    dtype: 'float64',
  });
  const sk = stats(k);
  assert.ok(
    Math.abs(sk.std / Math.sqrt(2 / 400) - 1) < 0.02,
    JSON.stringify(sk),
  );
  assert.ok(Math.abs(sk.mean) < 0.01 * sk.std * 10);
  const x = xavierNormal([300, 400], { gain: 2, rng: T.makeRng(5) });
  assert.ok(Math.abs(stats(x).std / (2 * Math.sqrt(2 / 700)) - 1) < 0.02);
});

test('xavierUniform: bound gain·√(6/(fanIn+fanOut))', () => {
  const w = xavierUniform([100, 50, 2, 2], {
    gain: calculateGain('tanh'),
    rng: T.makeRng(6),
  });
  const b = (5 / 3) * Math.sqrt(6 / (200 + 400));
  const s = stats(w);
  assert.ok(s.maxAbs <= b && s.maxAbs > 0.995 * b);
  assert.ok(Math.abs(s.std - b / Math.sqrt(3)) < 0.02 * b);
});

test('initializers: same seed same values, another seed other values', () => {
  const a = Array.from(
    kaimingNormal([64, 32], { rng: T.makeRng(7) }).dataSync(),
  );
  const b = Array.from(
    kaimingNormal([64, 32], { rng: T.makeRng(7) }).dataSync(),
  );
  const c = Array.from(
    kaimingNormal([64, 32], { rng: T.makeRng(8) }).dataSync(),
  );
  assert.equal(a, b);
  assert.not.equal(a, c);
  // Without rng: the global generator, reproducible after seed().
  T.seed(11);
  const g1 = Array.from(xavierUniform([10, 10]).dataSync());
  T.seed(11);
  assert.equal(Array.from(xavierUniform([10, 10]).dataSync()), g1);
});

test('initializers fill a given tensor in place, keeping the object and dtype', () => {
  const lin = new Linear(30, 20, { dtype: 'float64', rng: T.makeRng(0) });
  const w = lin.weight;
  const same = xavierNormal(lin.weight, { rng: T.makeRng(9) });
  assert.ok(same === w && lin.weight === w);
  assert.is(w.dtype, 'float64');
  assert.ok(w.requiresGrad);
  const fresh = xavierNormal([20, 30], { rng: T.makeRng(9), dtype: 'float64' });
  assert.equal(Array.from(w.dataSync()), Array.from(fresh.dataSync()));
});

test('Linear and Conv2d default init: U(-1/√fanIn, 1/√fanIn) for weight and bias', () => {
  const lin = new Linear(400, 300, { rng: T.makeRng(10) });
  const b = 1 / Math.sqrt(400);
  for (const t of [lin.weight, lin.bias!]) assert.ok(stats(t).maxAbs <= b);
  assert.ok(stats(lin.weight).maxAbs > 0.999 * b);
  assert.ok(Math.abs(stats(lin.weight).std - b / Math.sqrt(3)) < 0.02 * b);
  // Conv2d: fanIn = in/groups·kh·kw = (32/4)·3·3 = 72.
  const conv = new Conv2d(32, 256, 3, { groups: 4, rng: T.makeRng(11) });
  assert.equal(conv.weight.shape, [256, 8, 3, 3]);
  const bc = 1 / Math.sqrt(72);
  assert.ok(
    stats(conv.weight).maxAbs <= bc && stats(conv.weight).maxAbs > 0.99 * bc,
  );
  assert.ok(stats(conv.bias!).maxAbs <= bc);
  // Same seed, same layer.
  assert.equal(
    Array.from(new Linear(5, 3, { rng: T.makeRng(1) }).weight.dataSync()),
    Array.from(new Linear(5, 3, { rng: T.makeRng(1) }).weight.dataSync()),
  );
});

test.run();
