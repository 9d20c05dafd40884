import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, tensor, fromTypedArray, zeros } from '@optnet/tensor';
import { decodeSafetensors, encodeSafetensors } from '@optnet/nn';
import { assertThrowsCodeSync as throwsCode } from '@optnet/tensor/testing';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/**
 * A file assembled from the spec: u64 LE header length (as two u32 LE
 * words), the header text, then the data buffer.
 */
function assemble(header: string, data: Uint8Array): Uint8Array {
  const json = utf8(header);
  const out = new Uint8Array(8 + json.length + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, json.length, true); // low word
  view.setUint32(4, 0, true); // high word
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** The bytes of a tensor's storage, to compare bit for bit. */
function bytesOf(t: Tensor): number[] {
  const d = t.dataSync();
  return [...new Uint8Array(d.buffer, d.byteOffset, d.byteLength)];
}

test('decode: a file written by hand from the spec gives the right tensors and metadata', () => {
  // 'a': F32 [2, 2] at [0, 16); 'b': I32 [3] at [16, 28); 'c': BOOL [2] at [28,
  // 30)
  const data = new Uint8Array(30);
  const dv = new DataView(data.buffer);
  [1, -2.5, 0.125, 3e38].forEach((v, i) => dv.setFloat32(4 * i, v, true));
  [-1, 0, 2147483647].forEach((v, i) => dv.setInt32(16 + 4 * i, v, true));
  data[28] = 1;
  data[29] = 0;
  // Keys deliberately out of offset order, and trailing padding spaces.
  const header =
    '{"b":{"dtype":"I32","shape":[3],"data_offsets":[16,28]},' +
    '"__metadata__":{"format":"pt","note":"hé"},' +
    '"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},' +
    '"c":{"dtype":"BOOL","shape":[2],"data_offsets":[28,30]}}   ';
  const { tensors, metadata } = decodeSafetensors(assemble(header, data));
  assert.equal(metadata, { format: 'pt', note: 'hé' });
  assert.equal([...tensors.keys()].sort(), ['a', 'b', 'c']);
  const a = tensors.get('a')!;
  assert.is(a.dtype, 'float32');
  assert.equal(a.shape, [2, 2]);
  assert.equal([...a.dataSync()], [1, -2.5, 0.125, Math.fround(3e38)]);
  const b = tensors.get('b')!;
  assert.is(b.dtype, 'int32');
  assert.equal([...b.dataSync()], [-1, 0, 2147483647]);
  const c = tensors.get('c')!;
  assert.is(c.dtype, 'bool');
  assert.equal([...c.dataSync()], [1, 0]);
});

test('decode: a buffer at a non-zero, unaligned offset in a larger array', () => {
  const data = new Uint8Array(8);
  new DataView(data.buffer).setFloat64(0, Math.PI, true);
  const file = assemble(
    '{"x":{"dtype":"F64","shape":[],"data_offsets":[0,8]}}',
    data,
  );
  const big = new Uint8Array(file.length + 3);
  big.set(file, 3);
  const x = decodeSafetensors(big.subarray(3)).tensors.get('x')!;
  assert.equal(x.shape, []);
  assert.is(x.dataSync()[0], Math.PI);
});

test('encode: the bytes follow the spec field by field', () => {
  const w = tensor([
    [1.5, -2],
    [0.25, 8],
  ]);
  const i = tensor([7, -3], { dtype: 'int32' });
  const bytes = encodeSafetensors(
    [
      ['w', w],
      ['i', i],
    ],
    { format: 'pt' },
  );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getUint32(0, true) + 2 ** 32 * view.getUint32(4, true);
  assert.is((8 + n) % 8, 0, 'data starts 8-byte aligned');
  const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
  assert.match(text, /^\{.*\} *$/, 'JSON padded with spaces only');
  const header = JSON.parse(text);
  assert.equal(header.__metadata__, { format: 'pt' });
  assert.equal(header.w, {
    dtype: 'F32',
    shape: [2, 2],
    data_offsets: [0, 16],
  });
  assert.equal(header.i, { dtype: 'I32', shape: [2], data_offsets: [16, 24] });
  assert.is(bytes.length, 8 + n + 24);
  const base = 8 + n;
  const floats = [0, 1, 2, 3].map((k) => view.getFloat32(base + 4 * k, true));
  assert.equal(floats, [1.5, -2, 0.25, 8]);
  assert.equal(
    [view.getInt32(base + 16, true), view.getInt32(base + 20, true)],
    [7, -3],
  );
});

test('encode: no __metadata__ key without metadata; offsets are contiguous in the given order', () => {
  const bytes = encodeSafetensors(
    new Map([
      ['z', zeros([3], { dtype: 'float64' })],
      ['a', zeros([1, 2])],
    ]),
  );
  const n = new DataView(bytes.buffer).getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  assert.equal(Object.keys(header), ['z', 'a']);
  assert.equal(header.z.data_offsets, [0, 24]);
  assert.equal(header.a.data_offsets, [24, 32]);
});

test('round trip: all four dtypes, scalars and empty tensors, bit for bit', () => {
  const cases: [string, Tensor][] = [
    [
      'f32',
      fromTypedArray(
        new Float32Array([1e-40, -0, Infinity, NaN, 3.14159]),
        [5],
      ),
    ],
    [
      'f64',
      fromTypedArray(
        new Float64Array([Number.MIN_VALUE, -1e300, NaN, 0.1, 2, 3]),
        [2, 3],
      ),
    ],
    [
      'i32',
      fromTypedArray(
        new Int32Array([-2147483648, 2147483647, 0, -1]),
        [2, 1, 2],
      ),
    ],
    ['bool', tensor([true, false, true])],
    ['scalar', tensor(2.5, { dtype: 'float64' })],
    ['empty', zeros([0, 3])],
    ['empty_i', zeros([4, 0], { dtype: 'int32' })],
    ['scalar_bool', tensor(true)],
  ];
  const { tensors, metadata } = decodeSafetensors(
    encodeSafetensors(cases, { a: '1', b: '' }),
  );
  assert.equal(metadata, { a: '1', b: '' });
  assert.equal(
    [...tensors.keys()],
    cases.map(([k]) => k),
  );
  for (const [name, t] of cases) {
    const u = tensors.get(name)!;
    assert.is(u.dtype, t.dtype, name);
    assert.equal(u.shape, t.shape, name);
    assert.equal(bytesOf(u), bytesOf(t), name);
  }
});

test('encode: refuses non-string metadata and duplicate or reserved names', () => {
  throwsCode(
    () =>
      encodeSafetensors([['x', zeros([1])]], { epoch: 3 as unknown as string }),
    'BAD_OPTION',
    /epoch/,
  );
  throwsCode(
    () =>
      encodeSafetensors([
        ['x', zeros([1])],
        ['x', zeros([1])],
      ]),
    'BAD_OPTION',
    /'x'/,
  );
  throwsCode(
    () => encodeSafetensors([['__metadata__', zeros([1])]]),
    'BAD_OPTION',
    /__metadata__/,
  );
});

const F32x2 = (offsets = '[0,8]', shape = '[2]', dtype = '"F32"'): string =>
  `{"t":{"dtype":${dtype},"shape":${shape},"data_offsets":${offsets}}}`;

test('decode errors: length prefix, header length, JSON, header type', () => {
  throwsCode(
    () => decodeSafetensors(new Uint8Array(5)),
    'SAFETENSORS_PARSE',
    /8-byte header length/,
    /5 bytes/,
  );
  const far = assemble('{}', new Uint8Array(0));
  new DataView(far.buffer).setUint32(0, 1000, true);
  throwsCode(
    () => decodeSafetensors(far),
    'SAFETENSORS_PARSE',
    /header length/,
    /1000/,
  );
  const huge = assemble('{}', new Uint8Array(0));
  new DataView(huge.buffer).setUint32(4, 1, true); // 2^32 + 2
  throwsCode(
    () => decodeSafetensors(huge),
    'SAFETENSORS_PARSE',
    /header length/,
  );
  throwsCode(
    () => decodeSafetensors(assemble('{"t": ', new Uint8Array(0))),
    'SAFETENSORS_PARSE',
    /JSON/,
    /bytes 8 to 14/,
  );
  const badUtf8 = assemble('{}', new Uint8Array(0));
  badUtf8[8] = 0xff;
  throwsCode(
    () => decodeSafetensors(badUtf8),
    'SAFETENSORS_PARSE',
    /UTF-8 JSON/,
  );
  throwsCode(
    () => decodeSafetensors(assemble('[1]', new Uint8Array(0))),
    'SAFETENSORS_PARSE',
    /JSON object/,
  );
  throwsCode(
    () =>
      decodeSafetensors(
        assemble('{"__metadata__":{"a":1}}', new Uint8Array(0)),
      ),
    'SAFETENSORS_PARSE',
    /strings/,
    /'a'/,
  );
});

test('decode errors: missing or malformed fields name the tensor', () => {
  const d8 = new Uint8Array(8);
  const cases: [string, RegExp][] = [
    [
      '{"t":{"shape":[2],"data_offsets":[0,8]}}',
      /'t' must have a string 'dtype'/,
    ],
    ['{"t":{"dtype":"F32","data_offsets":[0,8]}}', /'t' must have a 'shape'/],
    [F32x2('[0,8]', '[-2]'), /'t' must have a 'shape'/],
    ['{"t":{"dtype":"F32","shape":[2]}}', /'t' must have 'data_offsets'/],
    [F32x2('[8,0]'), /'t' must have 'data_offsets'/],
    [F32x2('[0,8,9]'), /'t' must have 'data_offsets'/],
    ['{"t":3}', /'t' must have a string 'dtype'/],
  ];
  for (const [header, pattern] of cases) {
    throwsCode(
      () => decodeSafetensors(assemble(header, d8)),
      'SAFETENSORS_PARSE',
      pattern,
    );
  }
});

test('decode errors: byte length vs shape × dtype size, offsets out of range, gaps, overlaps, trailing bytes', () => {
  const d = (n: number): Uint8Array => new Uint8Array(n);
  throwsCode(
    () => decodeSafetensors(assemble(F32x2('[0,8]', '[3]'), d(8))),
    'SAFETENSORS_PARSE',
    /'t'/,
    /12 bytes/,
  );
  throwsCode(
    () => decodeSafetensors(assemble(F32x2('[4,12]'), d(8))),
    'SAFETENSORS_PARSE',
    /'t'/,
    /truncated/,
  );
  const two = (a: string, b: string): string =>
    `{"a":{"dtype":"F32","shape":[1],"data_offsets":${a}},"b":{"dtype":"F32","shape":[1],"data_offsets":${b}}}`;
  throwsCode(
    () => decodeSafetensors(assemble(two('[0,4]', '[2,6]'), d(8))),
    'SAFETENSORS_PARSE',
    /'b'.*overlaps 'a'/,
  );
  throwsCode(
    () => decodeSafetensors(assemble(two('[0,4]', '[0,4]'), d(4))),
    'SAFETENSORS_PARSE',
    /overlaps/,
  );
  throwsCode(
    () => decodeSafetensors(assemble(two('[0,4]', '[8,12]'), d(12))),
    'SAFETENSORS_PARSE',
    /'b'.*gap/,
  );
  throwsCode(
    () => decodeSafetensors(assemble(F32x2('[4,12]'), d(12))),
    'SAFETENSORS_PARSE',
    /gap after the start/,
  );
  throwsCode(
    () => decodeSafetensors(assemble(F32x2(), d(10))),
    'SAFETENSORS_PARSE',
    /2 bytes after the last tensor/,
  );
});

test('decode errors: a truncated file', () => {
  const bytes = encodeSafetensors([
    ['w', zeros([4, 4])],
    ['b', zeros([4])],
  ]);
  for (const cut of [1, 16, 70]) {
    throwsCode(
      () => decodeSafetensors(bytes.subarray(0, bytes.length - cut)),
      'SAFETENSORS_PARSE',
      /truncated/,
    );
  }
  throwsCode(
    () => decodeSafetensors(bytes.subarray(0, 12)),
    'SAFETENSORS_PARSE',
    /header length/,
    /truncated/,
  );
});

test('decode: other dtypes are refused naming key and dtype; I64 becomes int32 when it fits', () => {
  throwsCode(
    () =>
      decodeSafetensors(
        assemble(F32x2('[0,4]', '[2]', '"F16"'), new Uint8Array(4)),
      ),
    'SAFETENSORS_PARSE',
    /'t'/,
    /F16/,
    /v\.float\(\)/,
  );
  throwsCode(
    () =>
      decodeSafetensors(
        assemble(F32x2('[0,2]', '[2]', '"U8"'), new Uint8Array(2)),
      ),
    'SAFETENSORS_PARSE',
    /U8/,
  );
  throwsCode(
    () =>
      decodeSafetensors(
        assemble(F32x2('[0,8]', '[2]', '"Q4"'), new Uint8Array(8)),
      ),
    'SAFETENSORS_PARSE',
    /unknown dtype/,
    /Q4/,
  );
  // PyTorch's BatchNorm num_batches_tracked: I64 scalar
  const data = new Uint8Array(16);
  new DataView(data.buffer).setBigInt64(0, 123n, true);
  new DataView(data.buffer).setBigInt64(8, -5n, true);
  const header = '{"n":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}}';
  const n = decodeSafetensors(assemble(header, data)).tensors.get('n')!;
  assert.is(n.dtype, 'int32');
  assert.equal([...n.dataSync()], [123, -5]);
  new DataView(data.buffer).setBigInt64(8, 2n ** 40n, true);
  throwsCode(
    () => decodeSafetensors(assemble(header, data)),
    'SAFETENSORS_PARSE',
    /'n'/,
    /I64/,
    /1099511627776/,
  );
});

test.run();
