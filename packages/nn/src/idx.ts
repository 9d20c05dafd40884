/**
 * IDX, the file format of MNIST and Fashion-MNIST
 * (http://yann.lecun.com/exdb/mnist/), and a Fashion-MNIST loader.
 *
 * Layout, all integers big-endian:
 *
 *   [0, 2)             0x00 0x00 (magic)
 *   2                  element type: 0x08 ubyte, 0x09 sbyte, 0x0B short (i16),
 *                      0x0C int (i32), 0x0D float (f32), 0x0E double (f64)
 *   3                  number of dimensions d
 *   [4, 4 + 4d)        the dimensions, u32 each
 *   [4 + 4d, end)      the elements, row-major, big-endian
 *
 * `parseIdx` works on bytes (browser or Node); `readIdx` and
 * `loadFashionMnist` import the file system lazily and gunzip `.gz` files
 * with the standard DecompressionStream.
 */
import { NnError } from './errors.js';

/**
 * The element types of IDX, named like typed arrays.
 * @example
 * const bytes = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 1, 255]);
 * const dtype: IdxDType = parseIdx(bytes).dtype; // 'uint8', as MNIST's
 */
export type IdxDType =
  'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

/**
 * The typed array of each IdxDType.
 * @example
 * const bytes = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 1, 255]);
 * const pixels: IdxArray = parseIdx(bytes).data; // Uint8Array [255]
 */
export type IdxArray =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Float32Array
  | Float64Array;

/**
 * A parsed IDX file.
 * @example
 * const bytes = new Uint8Array([0, 0, 8, 2, 0, 0, 0, 1, 0, 0, 0, 2, 1, 2]);
 * const { shape, dtype, data }: IdxData = parseIdx(bytes); // [1, 2]
 */
export interface IdxData {
  /** The dimensions, e.g. [60000, 28, 28]. */
  shape: number[];
  /** The element type. */
  dtype: IdxDType;
  /** The elements, row-major, in host byte order. */
  data: IdxArray;
}

const TYPES: Record<number, { dtype: IdxDType; bytes: number }> = {
  0x08: { dtype: 'uint8', bytes: 1 },
  0x09: { dtype: 'int8', bytes: 1 },
  0x0b: { dtype: 'int16', bytes: 2 },
  0x0c: { dtype: 'int32', bytes: 4 },
  0x0d: { dtype: 'float32', bytes: 4 },
  0x0e: { dtype: 'float64', bytes: 8 },
};

function idxError(rule: string, hint = ''): NnError {
  return new NnError('IDX_PARSE', `parseIdx: ${rule}${hint ? ` ${hint}` : ''}`);
}

const hex = (b: number): string => `0x${b.toString(16).padStart(2, '0')}`;

/**
 * Parse the (uncompressed) bytes of an IDX file. Throws NnError 'IDX_PARSE'
 * naming the offending byte offset. For bytes you have (a browser fetch);
 * `readIdx` reads a file.
 * @example
 * // magic 0 0, type 0x08 (uint8), 1 dimension of size 3, then 3 bytes
 * const bytes = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9]);
 * const { shape, data } = parseIdx(bytes); // [3], Uint8Array [7, 8, 9]
 */
export function parseIdx(bytes: Uint8Array): IdxData {
  if (bytes.length < 4) {
    throw idxError(
      `a file must start with a 4-byte magic number; got ${bytes.length} bytes.`,
      'The file is truncated.',
    );
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const gz = bytes[0] === 0x1f && bytes[1] === 0x8b;
    throw idxError(
      `bytes 0-1 must be 0x00 0x00; got ${hex(bytes[0])} ${hex(bytes[1])} at offset 0.`,
      gz
        ? 'This is gzip data: use readIdx, or gunzip first.'
        : 'This is not an IDX file.',
    );
  }
  const type = TYPES[bytes[2]];
  if (type === undefined) {
    throw idxError(
      `byte 2 (element type) must be 0x08, 0x09, 0x0b, 0x0c, 0x0d or 0x0e; got ${hex(bytes[2])} at offset 2.`,
    );
  }
  const shape = readDims(bytes);
  const start = 4 + 4 * shape.length;
  const size = shape.reduce((a, b) => a * b, 1);
  const expected = size * type.bytes;
  const have = bytes.length - start;
  if (have !== expected) {
    throw idxError(
      `the data after the header (offset ${start}) must be ` +
        `[${shape.join(', ')}] × ${type.bytes} = ${expected} bytes; ` +
        `got ${have} bytes (file ends at offset ${bytes.length}).`,
      have < expected
        ? 'The file is truncated.'
        : 'The file has trailing bytes.',
    );
  }
  return {
    shape,
    dtype: type.dtype,
    data: readElements(bytes, start, size, type.dtype),
  };
}

/** The dimension count (byte 3) and the big-endian u32 sizes after it. */
function readDims(bytes: Uint8Array): number[] {
  const d = bytes[3];
  if (d === 0)
    throw idxError(
      `byte 3 (number of dimensions) must be at least 1; got 0 at offset 3.`,
    );
  if (bytes.length < 4 + 4 * d) {
    throw idxError(
      `the header must hold ${d} dimensions in bytes 4 to ${4 + 4 * d}; got a file of ${bytes.length} bytes.`,
      'The file is truncated.',
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let i = 0; i < d; i++) shape.push(view.getUint32(4 + 4 * i, false));
  if (!Number.isSafeInteger(shape.reduce((a, b) => a * b, 1) * 8)) {
    throw idxError(
      `the dimensions must describe a tensor that fits in memory; got [${shape.join(', ')}] at offset 4.`,
    );
  }
  return shape;
}

/** Copy the big-endian elements into a fresh typed array in host order. */
function readElements(
  bytes: Uint8Array,
  start: number,
  n: number,
  dtype: IdxDType,
): IdxArray {
  if (dtype === 'uint8')
    return new Uint8Array(bytes.subarray(start, start + n));
  if (dtype === 'int8') return new Int8Array(bytes.subarray(start, start + n));
  const view = new DataView(
    bytes.buffer,
    bytes.byteOffset + start,
    bytes.length - start,
  );
  switch (dtype) {
    case 'int16': {
      const out = new Int16Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt16(2 * i, false);
      return out;
    }
    case 'int32': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt32(4 * i, false);
      return out;
    }
    case 'float32': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, false);
      return out;
    }
    case 'float64': {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, false);
      return out;
    }
  }
}

/** Gunzip with the standard stream API (Node ≥ 18 and browsers). */
async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes])
    .stream()
    .pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * Parse IDX bytes that may be gzip-compressed (recognised by their magic
 * bytes 0x1f 0x8b): the bytes of a `.gz` file, read from anywhere (a
 * `fetch` in a browser, `readIdx` in Node).
 * @example
 * const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
 * const { shape } = await decodeIdx(bytes);
 */
export async function decodeIdx(
  bytes: Uint8Array,
  source = 'the data',
): Promise<IdxData> {
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = await gunzip(bytes);
    } catch (e) {
      throw new NnError(
        'IDX_PARSE',
        `readIdx: '${source}' must be valid gzip; got ${(e as Error).message}. The file is corrupt or truncated.`,
      );
    }
  }
  try {
    return parseIdx(bytes);
  } catch (e) {
    if (e instanceof NnError)
      throw new NnError(e.code, `readIdx: '${source}': ${e.message}`);
    throw e;
  }
}
