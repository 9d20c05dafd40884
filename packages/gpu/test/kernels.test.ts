// Kernel variants the op suite's small cases do not reach, against the CPU
// backend in float32: the register-tiled matmul (transposes, ragged edges,
// broadcast batches), workgroup reductions, dispatch grids past 65,535
// workgroups, concat of more inputs than a stage has bindings, larger
// convolutions and pooling with their gradients, batched linear algebra.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '@optnet/tensor';
import '@optnet/autograd';
import { cpuVsGpu, on } from './helpers.js';
import { gpuForTests } from './setup.js';

const gpu = await gpuForTests('kernels');
const tol = 2e-5;

/** Assert `run` gives the CPU's float32 results on the GPU. */
async function same(what: string, run: () => T.Tensor[], limit = tol) {
  const e = await cpuVsGpu(gpu!, run);
  assert.ok(e < limit, `${what}: relative error ${e}`);
}

if (gpu) {
  for (const [transA, transB] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ]) {
    test(`matmul, tiled: [3, 70, 45]·[45, 130] transA ${transA} transB ${transB}`, () =>
      same('matmul', () => {
        const rng = T.makeRng(1);
        const a = T.randn(transA ? [3, 45, 70] : [3, 70, 45], { rng });
        const b = T.randn(transB ? [130, 45] : [45, 130], { rng });
        return [T.matmul(a, b, { transA, transB })];
      }));
  }

  test('matmul, tiled, batch dims broadcast both ways; small products', () =>
    same('matmul', () => {
      const rng = T.makeRng(2);
      const a = T.randn([2, 1, 64, 33], { rng });
      const b = T.randn([3, 33, 96], { rng });
      const m = T.randn([50, 20, 20], { rng });
      const v = T.randn([50, 20, 1], { rng });
      return [T.matmul(a, b), T.matmul(m, v), T.matmul(v, m, { transA: true })];
    }));

  test('reductions: few long folds (a workgroup per output), many short ones, several axes', () =>
    same('reductions', () => {
      const rng = T.makeRng(3);
      const x = T.randn([7, 300, 5], { rng });
      const ints = T.randint(-5, 5, [4, 600], { rng });
      return [
        x.sum(1),
        x.max([0, 1]),
        x.min(),
        x.mul(0.01).add(1).prod(1),
        x.sum([0, 2]),
        x.argmax(1).cast('float32'),
        ints.sum(-1).cast('float32'),
        ints.max(-1).cast('float32'),
      ];
    }));

  test('a grid past 65,535 workgroups (2-d dispatch): 2^24 + 256 elements', async () => {
    // 65,537 elements in each invocation's fold: past llvmpipe's cap of
    // 65,535 loop iterations per invocation without the unrolled loops.
    const n = (1 << 24) + 256;
    const y = on(gpu, () => T.tensor([0.5]).expand([n]).mul(2).sum());
    const v = await y.item();
    assert.ok(Math.abs(v - n) <= 2, `sum ${v}`);
    y.dispose();
    gpu.releasePool();
  });

  test('softmax and logSoftmax of 40,000-element rows (three folds each)', () =>
    same('softmax', () => {
      const x = T.randn([2, 40000], { rng: T.makeRng(8) });
      return [T.softmax(x, 1).mul(40000), T.logSoftmax(x, 1)];
    }));

  test('softmaxCrossEntropy and its gradient: 40,000-element rows and a [512, 1000] batch', () =>
    same('softmaxCrossEntropy', () => {
      const rng = T.makeRng(9);
      const long = T.randn([2, 40000], { rng }).mul(3);
      const tl = T.tensor([7, 39999], { dtype: 'int32' });
      const x = T.randn([512, 1000], { rng }).mul(3);
      const t = T.randint(0, 1000, [512], { rng });
      const g = T.randn([512], { rng });
      return [
        T.softmaxCrossEntropy(long, tl),
        T.softmaxCrossEntropyGrad(long, tl, T.ones([2])).mul(40000),
        T.softmaxCrossEntropy(x, t),
        T.softmaxCrossEntropyGrad(x, t, g),
      ];
    }));

  test('concat of 12 inputs along a middle axis; pad, flip, slice with steps', () =>
    same('movement', () => {
      const rng = T.makeRng(4);
      const xs = Array.from({ length: 12 }, (_, i) =>
        T.randn([2, i + 1, 3], { rng }),
      );
      const x = T.randn([5, 6, 7], { rng });
      return [
        T.concat(xs, 1),
        x.pad([
          [1, 0],
          [0, 2],
          [3, 1],
        ]),
        x.flip([0, 2]),
        x.slice([{ start: 4, stop: 0, step: -2 }, { step: 3 }, { start: 1 }]),
      ];
    }));

  test('conv2d (stride, padding, dilation, groups) with both gradients', () =>
    same(
      'conv2d',
      () => {
        const rng = T.makeRng(5);
        const x = T.randn([3, 4, 11, 9], { rng }).requiresGrad_();
        const w = T.randn([6, 2, 3, 3], { rng }).requiresGrad_();
        const y = T.conv2d(x, w, {
          stride: [2, 1],
          padding: [1, 2],
          dilation: [1, 2],
          groups: 2,
        });
        y.mul(T.randn(y.shape, { rng })).sum().backward();
        return [y, x.grad!, w.grad!];
      },
      1e-4,
    ));

  test('pooling with padding and overlapping windows, with gradients', () =>
    same('pool', () => {
      const rng = T.makeRng(6);
      const x = T.randn([2, 3, 9, 8], { rng }).requiresGrad_();
      const a = T.maxPool2d(x, { kernel: 3, stride: 2, padding: 1 });
      const b = T.avgPool2d(x, { kernel: 3, stride: 2, padding: 1 });
      a.add(b).mul(T.randn(a.shape, { rng })).sum().backward();
      return [a, b, x.grad!];
    }));

  test('cholesky, triangular solves and solve on a batch of 40 matrices of size 48', () =>
    same(
      'linalg',
      () => {
        const rng = T.makeRng(7);
        const m = T.randn([40, 48, 48], { rng });
        const a = T.matmul(m, m, { transB: true }).add(T.eye(48).mul(48));
        const b = T.randn([40, 48, 3], { rng });
        const l = T.cholesky(a);
        return [
          l,
          T.triangularSolve(l, b),
          T.triangularSolve(l, b, { transpose: true }),
          T.solve(a, b),
        ];
      },
      1e-4,
    ));
}

test.run();
