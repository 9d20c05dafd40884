// Reads the files of an npm tarball (.tgz: gzip over POSIX ustar; long
// names as pax `path` records or GNU `L` entries) into a Map from path to
// contents, with the leading `package/` folder removed. Enough for what
// `pnpm pack` and `npm pack` write; links and sparse files are skipped.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

const BLOCK = 512;

function field(header, start, length) {
  const raw = header.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? length : end).toString('utf8');
}

function paxPath(body) {
  // Records read `<length> <key>=<value>\n`.
  for (const rec of body.toString('utf8').split('\n')) {
    const m = /^\d+ path=(.*)$/.exec(rec);
    if (m) return m[1];
  }
  return null;
}

/**
 * The files of a .tgz (a path or its bytes): `Map<path, Buffer>`, paths
 * relative to the package root.
 * @example
 * const files = readTarball('optnet-tensor-0.1.0.tgz');
 * JSON.parse(files.get('package.json').toString()).name; // '@optnet/tensor'
 */
export function readTarball(source) {
  const tar = gunzipSync(
    typeof source === 'string' ? readFileSync(source) : source,
  );
  const files = new Map();
  let nextPath = null;
  for (let at = 0; at + BLOCK <= tar.length;) {
    const header = tar.subarray(at, at + BLOCK);
    if (header.every((b) => b === 0)) break;
    const size = parseInt(field(header, 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(header[156] || 48);
    const body = tar.subarray(at + BLOCK, at + BLOCK + size);
    at += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'x' || type === 'L') {
      nextPath = type === 'x' ? paxPath(body) : field(body, 0, body.length);
      continue;
    }
    const prefix = field(header, 345, 155);
    const name = field(header, 0, 100);
    const path = nextPath ?? (prefix ? `${prefix}/${name}` : name);
    nextPath = null;
    if (type === '0') files.set(path.replace(/^[^/]+\//, ''), body);
  }
  return files;
}
