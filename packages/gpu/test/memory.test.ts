// GPU memory over a long run: 1,000 training steps of a small MLP, each in
// a scope, keep the tensors' live buffers and bytes flat and create no new
// buffers once the first steps have filled the pool; no op reads back
// (only the reads the test asks for); dispose() and releasePool() give the
// memory back.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '@optnet/tensor';
import '@optnet/autograd';
import * as nn from '@optnet/nn';
import { onAsync } from './helpers.js';
import { gpuForTests } from './setup.js';

const gpu = await gpuForTests('memory');

/** Three classes of points around three centres, fixed. */
function blobs(rng: T.Rng): [T.Tensor, T.Tensor] {
  const labels = T.randint(0, 3, [48], { rng });
  const centres = T.tensor([
    [2, 0, 0, 0, 1, 0],
    [0, 2, 0, 1, 0, 0],
    [0, 0, 2, 0, 0, 1],
  ]);
  const x = T.indexSelect(centres, 0, labels);
  return [x.add(T.randn([48, 6], { rng }).mul(0.3)), labels];
}

if (gpu) {
  test('1,000 training steps: live buffers and bytes flat, no new buffers, reads only when asked', () =>
    onAsync(gpu, async () => {
      const rng = T.makeRng(11);
      const [x, y] = blobs(rng);
      const model = new nn.Sequential(
        new nn.Linear(6, 16, { rng }),
        new nn.ReLU(),
        new nn.Linear(16, 3, { rng }),
      );
      const opt = new nn.Adam(model.parameters(), { lr: 1e-2 });
      const step = () =>
        T.scope(() => {
          const loss = nn.crossEntropy(model.forward(x), y);
          opt.zeroGrad();
          loss.backward();
          opt.step();
          return loss;
        });
      const first = step();
      const firstLoss = await first.item();
      first.dispose();
      for (let i = 0; i < 9; i++) step().dispose();
      await x.data(); // everything recorded so far has run
      const warm = gpu.stats();
      let last = 0;
      for (let i = 10; i < 1000; i++) {
        const loss = step();
        if (i % 100 === 99) last = await loss.item();
        loss.dispose();
      }
      const end = gpu.stats();
      assert.is(end.liveBuffers, warm.liveBuffers, 'live buffers');
      assert.is(end.liveBytes, warm.liveBytes, 'live bytes');
      assert.is(end.created, warm.created, 'buffers created after warm-up');
      // loss.item() at steps 99, 199, ..., 999 and nothing else.
      assert.is(end.readbacks - warm.readbacks, 10, 'readbacks');
      assert.ok(end.dispatches - warm.dispatches > 990 * 20, 'dispatches');
      assert.ok(last < firstLoss / 4, `loss ${firstLoss} → ${last}`);
    }));

  test('dispose() frees at once; releasePool() gives the pooled bytes back', () =>
    onAsync(gpu, async () => {
      const before = gpu.stats();
      const ts = Array.from({ length: 20 }, (_, i) => T.ones([1000 + i]));
      const all = T.concat(ts, 0);
      const sum = all.sum();
      assert.ok((await sum.item()) > 0);
      const mid = gpu.stats();
      assert.is(mid.liveBuffers, before.liveBuffers + 22);
      for (const t of [...ts, all, sum]) t.dispose();
      const after = gpu.stats();
      assert.is(after.liveBuffers, before.liveBuffers);
      assert.is(after.liveBytes, before.liveBytes);
      assert.ok(after.pooledBytes >= 20 * 4000, 'freed buffers pooled');
      gpu.releasePool();
      assert.is(gpu.stats().pooledBytes, 0);
      assert.is(gpu.stats().pooledBuffers, 0);
    }));
}

test.run();
