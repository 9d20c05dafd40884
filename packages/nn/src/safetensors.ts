/**
 * safetensors (https://github.com/huggingface/safetensors): the tensor file
 * format of Hugging Face and PyTorch. Pure bytes in, bytes out; no file
 * system here (that is checkpoint.ts), so it runs in a browser.
 *
 * Layout of a file:
 *
 *   [0, 8)        N, the header length: u64, little-endian
 *   [8, 8 + N)    UTF-8 JSON: { name: { dtype, shape, data_offsets: [b, e] },
 *                               "__metadata__": { key: "string" } }
 *                 padded with spaces so the data starts 8-byte aligned
 *   [8 + N, end)  the data buffer: each tensor's bytes, little-endian,
 *                 row-major, at [b, e) relative to byte 8 + N; the tensors
 *                 cover the buffer exactly, without gaps or overlaps
 *
 * Our dtypes map to F32, F64, I32 and BOOL (one byte, 0 or 1). Of the other
 * safetensors dtypes, I64 is read as int32 when every value fits (PyTorch
 * writes BatchNorm's `num_batches_tracked` as I64); the rest are refused
 * with an error that names the key and the dtype.
 */
import {
  Tensor,
  fromTypedArray,
  sizeOf,
  type DType,
  type TypedArray,
} from '@optnet/tensor';
import { NnError } from './errors.js';

/** safetensors' dtype names for ours. */
const TO_FORMAT: Record<DType, string> = {
  float32: 'F32',
  float64: 'F64',
  int32: 'I32',
  bool: 'BOOL',
};

/**
 * Bytes per element of every dtype the format defines (to check lengths and
 * name the rest).
 */
const FORMAT_BYTES: Record<string, number> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  I64: 8,
  U64: 8,
  F64: 8,
};

const FROM_FORMAT: Record<string, DType> = {
  F32: 'float32',
  F64: 'float64',
  I32: 'int32',
  BOOL: 'bool',
};

const METADATA_KEY = '__metadata__';

/** Whether this machine stores numbers little-endian (all common ones do). */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * One tensor's raw content, for encoders that read tensors themselves
 * (asynchronously, on a backend without synchronous reads).
 * @example
 * const t = tensor([1, 2]);
 * const entry: SafetensorsEntry = {
 *   name: 'w', dtype: t.dtype, shape: t.shape, data: await t.data(),
 * };
 * encodeSafetensorsEntries([entry]);
 */
export interface SafetensorsEntry {
  /** The key in the file (a state-dict name). */
  readonly name: string;
  /** The tensor's dtype (stored as F32, F64, I32 or BOOL). */
  readonly dtype: DType;
  /** The tensor's shape. */
  readonly shape: readonly number[];
  /** The elements, row-major, `shape`'s product of them. */
  readonly data: TypedArray;
}

/**
 * What `decodeSafetensors` returns.
 * @example
 * const bytes = encodeSafetensors({ w: tensor([1, 2]) }, { epoch: '3' });
 * const { tensors, metadata }: DecodedSafetensors = decodeSafetensors(bytes);
 * // tensors.get('w') [1, 2]; metadata { epoch: '3' }
 */
export interface DecodedSafetensors {
  /** The tensors by key, in the file's order, on the current backend. */
  tensors: Map<string, Tensor>;
  /** The `__metadata__` strings ({} when the file has none). */
  metadata: Record<string, string>;
}

function parseError(rule: string, hint = ''): NnError {
  return new NnError(
    'SAFETENSORS_PARSE',
    `safetensors: ${rule}${hint ? ` ${hint}` : ''}`,
  );
}

/**
 * Serialize tensors (a `stateDict()`, a Map or [name, tensor] pairs, in
 * their order) and string metadata to the bytes of a safetensors file.
 * Reads the tensors synchronously, so it needs a backend that can (the
 * CPU backend); `save` in checkpoint.ts reads asynchronously and works on
 * any backend. For a browser, or bytes to send elsewhere.
 * @example
 * const bytes = encodeSafetensors([['w', tensor([1, 2])]], { format: 'pt' });
 */
export function encodeSafetensors(
  tensors: Record<string, Tensor> | Map<string, Tensor> | [string, Tensor][],
  metadata: Record<string, string> = {},
): Uint8Array {
  const entries: SafetensorsEntry[] = [];
  const list =
    tensors instanceof Map || Array.isArray(tensors)
      ? tensors
      : Object.entries(tensors);
  for (const [name, t] of list) {
    entries.push({ name, dtype: t.dtype, shape: t.shape, data: t.dataSync() });
  }
  return encodeSafetensorsEntries(entries, metadata);
}

/**
 * `encodeSafetensors` on data already read out of the tensors (as `save`
 * does, asynchronously, so any backend works).
 * @example
 * encodeSafetensorsEntries([
 *   { name: 'b', dtype: 'int32', shape: [2], data: new Int32Array([1, 2]) },
 * ]);
 */
export function encodeSafetensorsEntries(
  entries: readonly SafetensorsEntry[],
  metadata: Record<string, string> = {},
): Uint8Array {
  const header = buildHeader(entries, metadata);
  const dataLength = entries.reduce((n, e) => n + e.data.byteLength, 0);
  // The reference writer pads with spaces so that 8 + N is a multiple of 8.
  const json = new TextEncoder().encode(header);
  const n = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + n + dataLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + n);
  let offset = 8 + n;
  for (const e of entries) {
    writeLittleEndian(out, offset, e.data);
    offset += e.data.byteLength;
  }
  return out;
}

function buildHeader(
  entries: readonly SafetensorsEntry[],
  metadata: Record<string, string>,
): string {
  const header: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') {
      throw new NnError(
        'BAD_OPTION',
        `encodeSafetensors: metadata values must be strings; got ${typeof value} for '${key}'. Use String(value).`,
      );
    }
  }
  if (Object.keys(metadata).length > 0) header[METADATA_KEY] = metadata;
  let offset = 0;
  for (const e of entries) {
    if (e.name === METADATA_KEY || Object.hasOwn(header, e.name)) {
      throw new NnError(
        'BAD_OPTION',
        `encodeSafetensors: tensor names must be unique and not '${METADATA_KEY}'; got '${e.name}' twice or reserved.`,
      );
    }
    const end = offset + e.data.byteLength;
    header[e.name] = {
      dtype: TO_FORMAT[e.dtype],
      shape: [...e.shape],
      data_offsets: [offset, end],
    };
    offset = end;
  }
  return JSON.stringify(header);
}

/** Copy `data` into `out` at `offset` as little-endian bytes. */
function writeLittleEndian(
  out: Uint8Array,
  offset: number,
  data: TypedArray,
): void {
  if (HOST_LITTLE_ENDIAN || data.BYTES_PER_ELEMENT === 1) {
    out.set(
      new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      offset,
    );
    return;
  }
  const view = new DataView(
    out.buffer,
    out.byteOffset + offset,
    data.byteLength,
  );
  for (let i = 0; i < data.length; i++) {
    if (data instanceof Float32Array) view.setFloat32(i * 4, data[i], true);
    else if (data instanceof Float64Array)
      view.setFloat64(i * 8, data[i], true);
    else view.setInt32(i * 4, data[i], true);
  }
}

/**
 * Parse the bytes of a safetensors file into tensors (on the current
 * backend) and the `__metadata__` strings. Every rule of the format is
 * checked first; a broken file throws NnError 'SAFETENSORS_PARSE' naming
 * the byte offset or the key.
 * @example
 * const bytes = encodeSafetensors({ weight: zeros([2, 3]) });
 * const { tensors, metadata } = decodeSafetensors(bytes);
 * tensors.get('weight')?.shape; // [2, 3]
 */
export function decodeSafetensors(bytes: Uint8Array): DecodedSafetensors {
  const { header, dataStart } = readHeader(bytes);
  const metadata = readMetadata(header[METADATA_KEY]);
  const specs = Object.entries(header)
    .filter(([name]) => name !== METADATA_KEY)
    .map(([name, raw]) => readSpec(name, raw));
  checkLayout(specs, bytes.length - dataStart);
  const tensors = new Map<string, Tensor>();
  for (const s of specs) {
    const data = readData(s, bytes, dataStart + s.begin);
    tensors.set(s.name, fromTypedArray(data, s.shape));
  }
  return { tensors, metadata };
}

/** Steps 1-3: the length prefix, the JSON, an object at the top. */
function readHeader(bytes: Uint8Array): {
  header: Record<string, unknown>;
  dataStart: number;
} {
  if (bytes.length < 8) {
    throw parseError(
      `a file must start with an 8-byte header length; got a file of ${bytes.length} bytes.`,
      'The file is empty or truncated.',
    );
  }
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(
    0,
    true,
  );
  if (n > BigInt(bytes.length - 8)) {
    throw parseError(
      `the header length (u64 at byte 0) must fit in the file; got ${n} bytes of header ` +
        `but only ${bytes.length - 8} bytes after the length.`,
      'The file is truncated, or not a safetensors file.',
    );
  }
  const dataStart = 8 + Number(n);
  let header: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(
      bytes.subarray(8, dataStart),
    );
    header = JSON.parse(text);
  } catch (e) {
    throw parseError(
      `the header (bytes 8 to ${dataStart}) must be UTF-8 JSON; got ${(e as Error).message}.`,
      'The file is corrupt or not a safetensors file.',
    );
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw parseError(
      `the header must be a JSON object; got ${Array.isArray(header) ? 'an array' : String(header)}.`,
    );
  }
  return { header: header as Record<string, unknown>, dataStart };
}

function readMetadata(raw: unknown): Record<string, string> {
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw parseError(
      `'${METADATA_KEY}' must be an object of strings; got ${JSON.stringify(raw)}.`,
    );
  }
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'string') {
      throw parseError(
        `'${METADATA_KEY}' values must be strings; got ${JSON.stringify(value)} for '${key}'.`,
      );
    }
  }
  return { ...(raw as Record<string, string>) };
}

interface Spec {
  name: string;
  format: string;
  shape: number[];
  begin: number;
  end: number;
}

function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

/**
 * Step 4: one tensor's entry is well formed and its byte length fits shape ×
 * dtype.
 */
function readSpec(name: string, raw: unknown): Spec {
  const r = (raw ?? {}) as Record<string, unknown>;
  if (typeof raw !== 'object' || raw === null || typeof r.dtype !== 'string') {
    throw parseError(
      `tensor '${name}' must have a string 'dtype'; got ${JSON.stringify(raw)}.`,
    );
  }
  if (!Array.isArray(r.shape) || !r.shape.every(isCount)) {
    throw parseError(
      `tensor '${name}' must have a 'shape' of non-negative integers; got ${JSON.stringify(r.shape)}.`,
    );
  }
  const offsets = r.data_offsets;
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every(isCount) ||
    offsets[0] > offsets[1]
  ) {
    throw parseError(
      `tensor '${name}' must have 'data_offsets' [begin, end] with 0 ≤ begin ≤ end; ` +
        `got ${JSON.stringify(offsets)}.`,
    );
  }
  const format = r.dtype;
  const width = FORMAT_BYTES[format];
  if (width === undefined) {
    throw parseError(
      `tensor '${name}' has an unknown dtype; got '${format}'.`,
      `Known: ${Object.keys(FORMAT_BYTES).join(', ')}.`,
    );
  }
  const shape = r.shape as number[];
  const expected = sizeOf(shape) * width;
  if (offsets[1] - offsets[0] !== expected) {
    throw parseError(
      `tensor '${name}' must span shape × dtype size = [${shape.join(', ')}] × ${width} = ${expected} bytes; ` +
        `got data_offsets [${offsets[0]}, ${offsets[1]}] (${offsets[1] - offsets[0]} bytes).`,
    );
  }
  return { name, format, shape, begin: offsets[0], end: offsets[1] };
}

/**
 * Step 5: the tensors tile the data buffer [0, length) exactly: sorted by
 * begin, each starts where the previous one ended and the last ends at
 * the end of the file.
 */
function checkLayout(specs: Spec[], length: number): void {
  for (const s of specs) {
    if (s.end > length) {
      throw parseError(
        `tensor '${s.name}' data_offsets [${s.begin}, ${s.end}] must lie in the data buffer; ` +
          `got only ${length} bytes after the header.`,
        'The file is truncated.',
      );
    }
  }
  const sorted = [...specs].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  let prev = 'the start of the data buffer';
  for (const s of sorted) {
    if (s.begin !== at) {
      const what = s.begin < at ? 'overlaps' : 'leaves a gap after';
      throw parseError(
        `tensors must cover the data buffer contiguously; got '${s.name}' at [${s.begin}, ${s.end}], ` +
          `which ${what} ${prev} (ending at ${at}).`,
      );
    }
    at = s.end;
    if (s.end > s.begin) prev = `'${s.name}'`;
  }
  if (at !== length) {
    throw parseError(
      `tensors must cover the data buffer to its end; got ${length - at} bytes after the last tensor ` +
        `(data ends at ${at} of ${length}).`,
    );
  }
}

/**
 * Step 6: copy a tensor's bytes out (aligned, host order) into our storage
 * type.
 */
function readData(s: Spec, bytes: Uint8Array, start: number): TypedArray {
  const n = sizeOf(s.shape);
  const view = new DataView(
    bytes.buffer,
    bytes.byteOffset + start,
    s.end - s.begin,
  );
  switch (s.format) {
    case 'BOOL': {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getUint8(i) === 0 ? 0 : 1;
      return out;
    }
    case 'F32':
    case 'F64':
    case 'I32':
      return readNative(
        FROM_FORMAT[s.format],
        bytes,
        start,
        s.end - s.begin,
        view,
        n,
      );
    case 'I64':
      return readInt64(s, view, n);
    default:
      throw parseError(
        `tensor '${s.name}' must be F32, F64, I32, BOOL (or I64 within int32); ` +
          `got dtype ${s.format}, which @optnet/nn cannot hold.`,
        `Convert it before saving, e.g. in PyTorch {k: v.float() for k, v in state.items()}.`,
      );
  }
}

function readNative(
  dtype: DType,
  bytes: Uint8Array,
  start: number,
  byteLength: number,
  view: DataView,
  n: number,
): TypedArray {
  if (HOST_LITTLE_ENDIAN) {
    // A copy into a fresh buffer: aligned, so the typed view is safe (and
    // not Buffer#slice, which would share memory).
    const copy = new Uint8Array(byteLength);
    copy.set(bytes.subarray(start, start + byteLength));
    const buf = copy.buffer;
    if (dtype === 'float32') return new Float32Array(buf);
    return dtype === 'float64' ? new Float64Array(buf) : new Int32Array(buf);
  }
  const out =
    dtype === 'float32'
      ? new Float32Array(n)
      : dtype === 'float64'
        ? new Float64Array(n)
        : new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (dtype === 'float32') out[i] = view.getFloat32(i * 4, true);
    else if (dtype === 'float64') out[i] = view.getFloat64(i * 8, true);
    else out[i] = view.getInt32(i * 4, true);
  }
  return out;
}

/** I64 → int32, only when every value fits in [-2³¹, 2³¹). */
function readInt64(s: Spec, view: DataView, n: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = view.getBigInt64(i * 8, true);
    if (v < -2147483648n || v > 2147483647n) {
      throw parseError(
        `tensor '${s.name}' is I64, read as int32 only when its values fit; got ${v} at element ${i}.`,
        'Store it as I32 or F64.',
      );
    }
    out[i] = Number(v);
  }
  return out;
}
