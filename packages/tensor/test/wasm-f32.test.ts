// The float32 WebAssembly kernels (packed matmul, elementwise ops,
// comparisons, reductions, softmax rows, softmax cross-entropy) against the JS kernels, on sizes
// above the kernels' minimum, with NaN, ±Inf and odd lengths mixed in.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '@optnet/tensor';

const rng = T.makeRng(8);

/** Runs f with the WebAssembly kernels on and off; both results' data. */
function both(f: () => T.Tensor): [Float64Array, Float64Array] {
  const was = T.setWasmKernels(true);
  try {
    const w = Float64Array.from(f().dataSync() as Float32Array);
    T.setWasmKernels(false);
    const j = Float64Array.from(f().dataSync() as Float32Array);
    return [w, j];
  } finally {
    T.setWasmKernels(was);
  }
}

/** Whether the two runs differ somewhere: the WebAssembly kernel ran. */
function differs([w, j]: [Float64Array, Float64Array]): boolean {
  return w.some((v, i) => !Object.is(v, j[i]));
}

/**
 * Elementwise: the same NaN, the same infinities, else |w − j| ≤
 * rtol·|j| + atol (by default 1.2e-38: float32's subnormal results may
 * be flushed to 0).
 */
function agree32(
  name: string,
  [w, j]: [Float64Array, Float64Array],
  rtol: number,
  atol = 1.2e-38,
): void {
  assert.is(w.length, j.length, name);
  for (let i = 0; i < j.length; i++) {
    const ok =
      Object.is(w[i], j[i]) ||
      (Number.isNaN(w[i]) && Number.isNaN(j[i])) ||
      Math.abs(w[i] - j[i]) <= rtol * Math.abs(j[i]) + atol;
    assert.ok(ok, `${name}: item ${i}: WebAssembly ${w[i]}, JS ${j[i]}`);
  }
}

/** Finite data: max |w − j| ≤ tol·max(1, max |j|) (sums that cancel). */
function agreeScaled(
  name: string,
  [w, j]: [Float64Array, Float64Array],
  tol: number,
): void {
  let scale = 1;
  let err = 0;
  for (let i = 0; i < j.length; i++) {
    scale = Math.max(scale, Math.abs(j[i]));
    err = Math.max(err, Math.abs(w[i] - j[i]));
  }
  assert.ok(err <= tol * scale, `${name}: differ by ${err} (scale ${scale})`);
}

/** Float32 data with NaN, ±Inf, ±0 and large values mixed in. */
function specials32(shape: number[]): T.Tensor {
  const x = T.randn(shape, { rng }).mul(3).dataSync() as Float32Array;
  const odd = [NaN, Infinity, -Infinity, 0, -0, 100, -100, 89, -88, 1e-40];
  for (let i = 0; i < odd.length; i++) x[(i * 37) % x.length] = odd[i];
  return T.tensor(x, { shape });
}

test('float32 unary kernels: WebAssembly and JS agree within float32 rounding, specials included', () => {
  for (const n of [256, 257, 259, 1001]) {
    const x = specials32([n]);
    const pos = x.abs().add(1e-3);
    for (const name of [
      'neg',
      'abs',
      'square',
      'exp',
      'sigmoid',
      'relu',
    ] as const)
      agree32(
        `${name} n=${n}`,
        both(() => T[name](x)),
        3e-7,
      );
    for (const name of ['sqrt', 'rsqrt', 'reciprocal'] as const)
      agree32(
        `${name} n=${n}`,
        both(() => T[name](pos)),
        3e-7,
      );
  }
  // exp's relative error stays within a few float32 ulps over its range
  const wide = T.linspace(-87, 88, 4001);
  const [w, j] = both(() => T.exp(wide));
  let worst = 0;
  for (let i = 0; i < j.length; i++)
    worst = Math.max(worst, Math.abs(w[i] - j[i]) / j[i]);
  assert.ok(worst < 3e-7, `exp relative error ${worst}`);
  assert.ok(differs([w, j]), 'the WebAssembly exp ran (it rounds differently)');
});

test('float32 binary kernels: same shapes, scalars, rows and columns broadcast, odd row lengths', () => {
  const cases: [number[], number[]][] = [
    [[300], [300]],
    [[17, 31], [1]],
    [[1], [17, 31]],
    [[17, 31], [31]],
    [[31], [17, 31]],
    [
      [17, 31],
      [17, 1],
    ],
    [
      [17, 1],
      [17, 31],
    ],
    [[2, 9, 33], [33]],
    [
      [2, 9, 33],
      [2, 9, 1],
    ],
    [
      [64, 10],
      [64, 10],
    ],
  ];
  for (const [sa, sb] of cases) {
    const a = specials32(sa);
    const b = T.randn(sb, { rng });
    for (const name of [
      'add',
      'sub',
      'mul',
      'div',
      'maximum',
      'minimum',
    ] as const) {
      const tag = `${name} [${sa}] [${sb}]`;
      const [w, j] = both(() => T[name](a, b));
      agree32(tag, [w, j], 3e-7);
      assert.ok(
        w.every((v, i) => Number.isNaN(v) === Number.isNaN(j[i])),
        `${tag}: NaN where the JS kernel has NaN`,
      );
    }
  }
});

test('comparisons (float32 and int32) and the bool → float32 cast: WebAssembly and JS give the same bytes', () => {
  const cases: [number[], number[]][] = [
    [[301], [301]],
    [[17, 31], [1]],
    [[17, 31], [31]],
    [
      [17, 1],
      [17, 31],
    ],
    [[300, 1], [7]], // outer: a one-hot mask
  ];
  const names = [
    'equal',
    'notEqual',
    'less',
    'lessEqual',
    'greater',
    'greaterEqual',
  ] as const;
  for (const [sa, sb] of cases) {
    // small integers, so that equal values occur; NaN and ±Inf in a
    const ai = T.randint(-3, 4, sa, { rng, dtype: 'int32' });
    const bi = T.randint(-3, 4, sb, { rng, dtype: 'int32' });
    const ad = ai.cast('float32').dataSync() as Float32Array;
    [NaN, Infinity, -Infinity].forEach((v, i) => (ad[(i * 7) % ad.length] = v));
    const a = T.tensor(ad, { shape: sa });
    const b = bi.cast('float32');
    for (const name of names) {
      for (const [x, y, t] of [
        [a, b, 'f32'],
        [ai, bi, 'i32'],
      ] as const) {
        const [w, j] = both(() => T[name](x, y).cast('float32'));
        assert.equal([...w], [...j], `${name} ${t} [${sa}] [${sb}]`);
      }
    }
  }
});

test('float32 reductions and softmax rows: WebAssembly and JS agree', () => {
  for (const shape of [[300], [16, 33], [40, 257], [3, 5, 100]]) {
    const x = T.randn(shape, { rng }).mul(4);
    const r = shape.length;
    agreeScaled(
      `sum all ${shape}`,
      both(() => x.sum()),
      3e-6,
    );
    agreeScaled(
      `sum last ${shape}`,
      both(() => x.sum(-1)),
      3e-6,
    );
    agree32(
      `max last ${shape}`,
      both(() => x.max(-1)),
      0,
    );
    if (r > 1)
      agreeScaled(
        `sum first ${shape}`,
        both(() => x.sum(0)),
        3e-6,
      );
    agree32(
      `softmax ${shape}`,
      both(() => T.softmax(x, -1)),
      3e-6,
    );
    agree32(
      `logSoftmax ${shape}`,
      both(() => T.logSoftmax(x, -1)),
      3e-6,
    );
  }
  // NaN and -Inf rows follow the JS kernel: NaN anywhere makes the row NaN,
  // an all -Inf row gives NaN, -Inf entries give probability 0
  const x = T.randn([4, 300], { rng }).dataSync() as Float32Array;
  x[5] = NaN;
  x.fill(-Infinity, 300, 600);
  x[700] = -Infinity;
  const t = T.tensor(x, { shape: [4, 300] });
  for (const f of [
    (v: T.Tensor) => T.softmax(v, -1),
    (v: T.Tensor) => T.logSoftmax(v, -1),
    (v: T.Tensor) => v.max(-1),
  ]) {
    const [w, j] = both(() => f(t));
    assert.ok(
      w.every(
        (v, i) =>
          Object.is(v, j[i]) ||
          Math.abs(v - j[i]) <= 1e-5 * Math.max(1, Math.abs(j[i])),
      ),
      'specials in softmax rows',
    );
  }
});

test('float32 softmax cross-entropy and its gradient: WebAssembly and JS agree (odd rows, ±1e4, −∞, NaN)', () => {
  for (const [n, c] of [
    [1, 300],
    [16, 33],
    [40, 257],
    [512, 1000],
  ]) {
    const x = T.randn([n, c], { rng }).mul(4);
    const t = T.randint(0, c, [n], { rng });
    const g = T.randn([n], { rng });
    const tag = `[${n}, ${c}]`;
    const loss = both(() => T.softmaxCrossEntropy(x, t));
    agree32(`loss ${tag}`, loss, 3e-6, 1e-6);
    const grad = both(() => T.softmaxCrossEntropyGrad(x, t, g));
    agreeScaled(`grad ${tag}`, grad, 3e-7);
    assert.ok(differs(grad), `grad ${tag}: the WebAssembly kernel ran`);
  }
  // rows of ±1e4, a −∞ label (+∞ loss), an all −∞ row and a NaN row
  const c = 300;
  const x = T.randn([6, c], { rng }).dataSync() as Float32Array;
  for (let j = 0; j < c; j++) x[j] = (j % 3) * 1e4 - 1e4;
  x[c + 7] = -Infinity;
  x.fill(-Infinity, 2 * c, 3 * c);
  x[3 * c + 5] = NaN;
  x[4 * c + 1] = -Infinity;
  const xs = T.tensor(x, { shape: [6, c] });
  const t = T.tensor([4, 7, 0, 9, 2, 299], { dtype: 'int32' });
  const g = T.tensor([1, -1, 2, 0.5, 3, 0.25]);
  const [w, j] = both(() => T.softmaxCrossEntropy(xs, t));
  agree32('loss specials', [w, j], 3e-6, 1e-6);
  assert.is(w[1], Infinity, 'a −∞ label costs +∞');
  assert.ok(Number.isNaN(w[2]) && Number.isNaN(w[3]), 'NaN rows');
  agree32(
    'grad specials',
    both(() => T.softmaxCrossEntropyGrad(xs, t, g)),
    3e-6,
    1e-7,
  );
});

test('float32 softmax cross-entropy gradient: a confident row keeps its small label gradient, and a row with g = 0 is 0 whatever its logits (NaN, ±∞)', () => {
  const c = 300;
  const x = new Float32Array(4 * c);
  // row 0: p = e^25 / (e^25 + 299) = 1 − 4.2e-9 rounds to 1 in float32
  x[0] = 25;
  // rows 1-3 are ignored-style rows (g = 0): NaN, all −∞, +∞
  x[c + 3] = NaN;
  x.fill(-Infinity, 2 * c, 3 * c);
  x[3 * c] = Infinity;
  const xs = T.tensor(x, { shape: [4, c] });
  const t = T.tensor([0, 3, 0, 1], { dtype: 'int32' });
  const g = T.tensor([1, 0, 0, -0]);
  const want = -299 / (Math.exp(25) + 299);
  for (const [name, d] of ['WebAssembly', 'JS'].map(
    (n, k) => [n, both(() => T.softmaxCrossEntropyGrad(xs, t, g))[k]] as const,
  )) {
    assert.ok(
      Math.abs(d[0] - want) <= 1e-4 * Math.abs(want),
      `${name}: label entry ${d[0]}, want ${want}`,
    );
    for (let i = c; i < 4 * c; i++)
      assert.is(d[i], 0, `${name}: entry ${i} of a row with g = 0`);
  }
});

test('float32 matmul: the packed kernel agrees with the JS kernel on ragged shapes, every trans, and thread-sized row blocks', () => {
  for (const [m, k, n] of [
    [5, 3, 2],
    [70, 300, 9],
    [130, 513, 17],
    [64, 64, 64],
  ]) {
    for (const transA of [false, true])
      for (const transB of [false, true]) {
        const a = T.randn(transA ? [k, m] : [m, k], { rng });
        const b = T.randn(transB ? [n, k] : [k, n], { rng });
        const r = both(() => T.matmul(a, b, { transA, transB }));
        const tag = `sgemm ${m}x${k}x${n} tA=${transA} tB=${transB}`;
        agreeScaled(tag, r, 1e-6 * Math.sqrt(k));
        if (k > 8) assert.ok(differs(r), `${tag}: the packed kernel ran`);
      }
  }
});

test('float32 conv2d and its gradients: im2col/col2im + packed matmul agree with the JS kernels (stride, padding, dilation, groups)', () => {
  const cases = [
    // n, c, h, w, o, k, stride, padding, dilation, groups
    [2, 3, 9, 11, 4, 3, 1, 1, 1, 1],
    [3, 4, 8, 8, 6, 3, 2, 0, 1, 2],
    [1, 2, 13, 7, 2, 5, 3, 2, 2, 1],
    [2, 16, 14, 14, 8, 3, 1, 0, 1, 1],
  ];
  for (const [n, c, h, w, o, k, stride, padding, dilation, groups] of cases) {
    const x = T.randn([n, c, h, w], { rng });
    const wt = T.randn([o, c / groups, k, k], { rng });
    const a = T.conv2dAttrs({ stride, padding, dilation, groups });
    const y = T.apply1(T.primitives.conv2d, [x, wt], a);
    const g = T.randn([...y.shape], { rng });
    const tag = `conv [${x.shape}] * [${wt.shape}] s${stride} p${padding} d${dilation} g${groups}`;
    // each output sums c/groups·k² products
    const tol = 1e-6 * Math.sqrt((c / groups) * k * k);
    for (const [name, f] of [
      ['forward', () => T.apply1(T.primitives.conv2d, [x, wt], a)],
      [
        'grad input',
        () =>
          T.apply1(T.primitives.conv2dGradInput, [g, wt], {
            ...a,
            inputSize: [h, w],
          }),
      ],
      [
        'grad weight',
        () =>
          T.apply1(T.primitives.conv2dGradWeight, [x, g], {
            ...a,
            kernelSize: [k, k],
          }),
      ],
    ] as const) {
      const r = both(f);
      agreeScaled(`${tag} ${name}`, r, name === 'grad weight' ? tol * 4 : tol);
      assert.ok(differs(r), `${tag} ${name}: the WebAssembly kernel ran`);
    }
  }
});

test.run();
