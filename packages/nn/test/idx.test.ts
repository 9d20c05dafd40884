import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  access,
  mkdir,
  mkdtemp,
  readFile,
  rm,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { parseIdx } from '@optnet/nn';
import { FASHION_MNIST_DIR, loadFashionMnist, readIdx } from '@optnet/nn/node';
import {
  assertThrowsCodeSync as throwsCode,
  assertThrowsCode as rejectsCode,
} from '@optnet/tensor/testing';

type Setter = (view: DataView, offset: number, value: number) => void;

/**
 * An IDX file from the spec: 0x00 0x00, type, ndim, big-endian u32 dims,
 * big-endian elements.
 */
function idx(
  type: number,
  dims: number[],
  values: number[],
  width: number,
  set: Setter,
): Uint8Array {
  const start = 4 + 4 * dims.length;
  const out = new Uint8Array(start + values.length * width);
  const view = new DataView(out.buffer);
  out[2] = type;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  values.forEach((v, i) => set(view, start + i * width, v));
  return out;
}

const u8: Setter = (v, o, x) => v.setUint8(o, x);
const i8: Setter = (v, o, x) => v.setInt8(o, x);
const i16: Setter = (v, o, x) => v.setInt16(o, x, false);
const i32: Setter = (v, o, x) => v.setInt32(o, x, false);
const f32: Setter = (v, o, x) => v.setFloat32(o, x, false);
const f64: Setter = (v, o, x) => v.setFloat64(o, x, false);

test('parseIdx: hand-built files of every element type', () => {
  const cases: [number, number[], number[], number, Setter, string, unknown][] =
    [
      [0x08, [2, 3], [0, 1, 127, 128, 254, 255], 1, u8, 'uint8', Uint8Array],
      [0x09, [4], [-128, -1, 0, 127], 1, i8, 'int8', Int8Array],
      [0x0b, [2], [-300, 32767], 2, i16, 'int16', Int16Array],
      [
        0x0c,
        [2, 1, 2],
        [-2147483648, -1, 65536, 2147483647],
        4,
        i32,
        'int32',
        Int32Array,
      ],
      [0x0d, [3], [1.5, -0.25, Infinity], 4, f32, 'float32', Float32Array],
      [0x0e, [1, 1], [Math.PI], 8, f64, 'float64', Float64Array],
    ];
  for (const [type, dims, values, width, set, dtype, ctor] of cases) {
    const r = parseIdx(idx(type, dims, values, width, set));
    assert.is(r.dtype, dtype);
    assert.equal(r.shape, dims);
    assert.ok(r.data instanceof (ctor as typeof Uint8Array), dtype);
    assert.equal([...r.data], values, dtype);
  }
});

test('parseIdx: an empty dimension and a view at an odd offset', () => {
  const r = parseIdx(idx(0x0d, [0, 5], [], 4, f32));
  assert.equal(r.shape, [0, 5]);
  assert.is(r.data.length, 0);
  const file = idx(0x0b, [3], [1, -2, 3], 2, i16);
  const big = new Uint8Array(file.length + 1);
  big.set(file, 1);
  assert.equal([...parseIdx(big.subarray(1)).data], [1, -2, 3]);
});

test('parseIdx errors name the offset: magic, type, dims, truncation, trailing bytes', () => {
  const good = idx(0x0c, [2, 2], [1, 2, 3, 4], 4, i32);
  throwsCode(
    () => parseIdx(good.subarray(0, 3)),
    'IDX_PARSE',
    /3 bytes/,
    /truncated/,
  );
  const magic = good.slice();
  magic[0] = 0x01;
  throwsCode(
    () => parseIdx(magic),
    'IDX_PARSE',
    /0x01 0x00 at offset 0/,
    /not an IDX file/,
  );
  throwsCode(() => parseIdx(gzipSync(good)), 'IDX_PARSE', /0x1f 0x8b/, /gzip/);
  const type = good.slice();
  type[2] = 0x0a;
  throwsCode(() => parseIdx(type), 'IDX_PARSE', /0x0a at offset 2/);
  const nodims = good.slice();
  nodims[3] = 0;
  throwsCode(() => parseIdx(nodims), 'IDX_PARSE', /at offset 3/);
  throwsCode(
    () => parseIdx(good.subarray(0, 10)),
    'IDX_PARSE',
    /2 dimensions in bytes 4 to 12/,
    /truncated/,
  );
  throwsCode(
    () => parseIdx(good.subarray(0, good.length - 1)),
    'IDX_PARSE',
    /offset 12/,
    /16 bytes; got 15/,
    /truncated/,
  );
  const extra = new Uint8Array(good.length + 2);
  extra.set(good);
  throwsCode(() => parseIdx(extra), 'IDX_PARSE', /got 18 bytes/, /trailing/);
  const huge = idx(0x08, [0xffffffff, 0xffffffff], [], 1, u8);
  throwsCode(() => parseIdx(huge), 'IDX_PARSE', /offset 4/);
});

let dir = '';
test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'optnet-nn-idx-'));
});
test.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('readIdx: plain and gzip files; corrupt gzip and missing files', async () => {
  const file = idx(0x0e, [2], [0.5, -7], 8, f64);
  await writeFile(join(dir, 'a-idx1-double'), file);
  await writeFile(join(dir, 'a-idx1-double.gz'), gzipSync(file));
  for (const name of ['a-idx1-double', 'a-idx1-double.gz']) {
    const r = await readIdx(join(dir, name));
    assert.equal(r.shape, [2]);
    assert.equal([...r.data], [0.5, -7], name);
  }
  const gz = gzipSync(file);
  await writeFile(join(dir, 'bad.gz'), gz.subarray(0, gz.length - 6));
  await rejectsCode(
    () => readIdx(join(dir, 'bad.gz')),
    'IDX_PARSE',
    /bad\.gz/,
    /gzip/,
  );
  await writeFile(join(dir, 'short'), file.subarray(0, 9));
  await rejectsCode(
    () => readIdx(join(dir, 'short')),
    'IDX_PARSE',
    /'.*short'/,
    /truncated/,
  );
  await rejectsCode(
    () => readIdx(join(dir, 'missing')),
    'FILE_ERROR',
    /ENOENT/,
    /missing/,
  );
});

/**
 * A fake Fashion-MNIST folder: n images whose pixel j of image i is (i + j) %
 * 256.
 */
async function fakeFashion(
  sub: string,
  n: number,
  gz: boolean,
): Promise<string> {
  const d = join(dir, sub);
  await mkdir(d);
  const pixels = Array.from(
    { length: n * 784 },
    (_, k) => (Math.floor(k / 784) + (k % 784)) % 256,
  );
  const images = idx(0x08, [n, 28, 28], pixels, 1, u8);
  const labels = idx(
    0x08,
    [n],
    Array.from({ length: n }, (_, i) => (3 * i) % 10),
    1,
    u8,
  );
  const z = (b: Uint8Array): Uint8Array => (gz ? gzipSync(b) : b);
  await writeFile(
    join(d, `t10k-images-idx3-ubyte${gz ? '.gz' : ''}`),
    z(images),
  );
  await writeFile(
    join(d, `t10k-labels-idx1-ubyte${gz ? '.gz' : ''}`),
    z(labels),
  );
  return d;
}

test('loadFashionMnist on a hand-built folder: shape, x/255 scaling, labels, limit, dtype', async () => {
  const d = await fakeFashion('fake', 3, true);
  const { images, labels } = await loadFashionMnist({ dir: d, split: 'test' });
  assert.equal(images.shape, [3, 1, 28, 28]);
  assert.is(images.dtype, 'float32');
  const px = images.dataSync();
  for (const [i, j] of [
    [0, 0],
    [0, 255],
    [1, 300],
    [2, 783],
  ]) {
    assert.is(
      px[i * 784 + j],
      Math.fround(((i + j) % 256) / 255),
      `pixel ${i},${j}`,
    );
  }
  assert.is(labels.dtype, 'int32');
  assert.equal([...labels.dataSync()], [0, 3, 6]);
  const small = await loadFashionMnist({
    dir: await fakeFashion('plain', 3, false),
    split: 'test',
    limit: 2,
    dtype: 'float64',
  });
  assert.equal(small.images.shape, [2, 1, 28, 28]);
  assert.is(small.images.dtype, 'float64');
  assert.is(small.images.dataSync()[785], 2 / 255);
  assert.equal([...small.labels.dataSync()], [0, 3]);
});

test('loadFashionMnist errors: missing files say how to install; bad options; wrong shapes', async () => {
  await rejectsCode(
    () => loadFashionMnist({ dir: join(dir, 'nowhere'), split: 'train' }),
    'FILE_ERROR',
    /train-images-idx3-ubyte/,
    /apt-get install dataset-fashion-mnist/,
  );
  await rejectsCode(
    () => loadFashionMnist({ dir, split: 'val' as 'test' }),
    'BAD_OPTION',
    /split/,
  );
  await rejectsCode(
    () => loadFashionMnist({ dir, split: 'test', limit: -1 }),
    'BAD_OPTION',
    /limit/,
  );
  const d = join(dir, 'wrong');
  await mkdir(d);
  await writeFile(
    join(d, 't10k-images-idx3-ubyte'),
    idx(0x08, [2, 4, 4], new Array(32).fill(0), 1, u8),
  );
  await writeFile(
    join(d, 't10k-labels-idx1-ubyte'),
    idx(0x08, [2], [1, 2], 1, u8),
  );
  await rejectsCode(
    () => loadFashionMnist({ dir: d, split: 'test' }),
    'IDX_PARSE',
    /\[2, 4, 4\]/,
  );
});

test('Fashion-MNIST on disk: first 100 training examples match the raw bytes at the spec offsets', async () => {
  const exists = await access(
    join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz'),
  ).then(
    () => true,
    () => false,
  );
  if (!exists) {
    console.log(
      `  (skipped: no Fashion-MNIST in ${FASHION_MNIST_DIR}; apt-get install dataset-fashion-mnist)`,
    );
    return;
  }
  const { images, labels } = await loadFashionMnist({
    split: 'train',
    limit: 100,
  });
  assert.equal(images.shape, [100, 1, 28, 28]);
  assert.equal(labels.shape, [100]);
  const rawImages = gunzipSync(
    await readFile(join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz')),
  );
  const rawLabels = gunzipSync(
    await readFile(join(FASHION_MNIST_DIR, 'train-labels-idx1-ubyte.gz')),
  );
  // Headers: magic 0x00000803 / 0x00000801, then 60000 (and 28, 28).
  assert.equal([...rawImages.subarray(0, 8)], [0, 0, 8, 3, 0, 0, 0xea, 0x60]);
  const px = images.dataSync();
  const lab = labels.dataSync();
  let max = 0;
  for (let k = 0; k < 100 * 784; k++) {
    assert.ok(px[k] >= 0 && px[k] <= 1);
    if (px[k] !== Math.fround(rawImages[16 + k] / 255))
      assert.unreachable(`pixel ${k}`);
    max = Math.max(max, px[k]);
  }
  assert.is(max, 1, 'some pixel is saturated (255)');
  for (let i = 0; i < 100; i++) {
    assert.ok(lab[i] >= 0 && lab[i] <= 9);
    assert.is(lab[i], rawLabels[8 + i]);
  }
  assert.is(lab[0], 9, 'the first training image is an ankle boot');
  const test10k = await loadFashionMnist({ split: 'test' });
  assert.equal(test10k.images.shape, [10000, 1, 28, 28]);
  const counts = new Array(10).fill(0);
  for (const y of test10k.labels.dataSync()) counts[y]++;
  assert.equal(
    counts,
    new Array(10).fill(1000),
    'the test split is balanced: 1000 per class',
  );
});

test.run();
