/**
 * Running the python peer (qpth, on PyTorch): finding a python3 that
 * imports torch, and handing it our inputs as little-endian float64 files
 * with meta.json (their shapes), the format bench/peers/*.py read.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Tensor } from './ops.js';

let found: string | null | undefined;

/**
 * The first python3 that imports torch ($PYTHON, /usr/bin/python3,
 * python3), or null.
 * @example const py = pythonWithTorch(); // '/usr/bin/python3'
 */
export function pythonWithTorch(): string | null {
  if (found !== undefined) return found;
  found = null;
  for (const py of [process.env.PYTHON, '/usr/bin/python3', 'python3']) {
    if (py === undefined) continue;
    const r = spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8' });
    if (r.status === 0) return (found = py);
  }
  return found;
}

/** Why qpth cannot run here. */
export const NO_TORCH =
  'no python3 here imports torch (apt-get install python3-torch python3-numpy)';

/**
 * Writes `arrays` as DIR/<name>.bin (float64, little-endian) and
 * DIR/meta.json with their shapes.
 * @example writeInputs(dir, { Q, p });
 */
export function writeInputs(dir: string, arrays: Record<string, Tensor>): void {
  const meta: Record<string, readonly number[]> = {};
  for (const [name, t] of Object.entries(arrays)) {
    const data = Float64Array.from(t.dataSync());
    writeFileSync(join(dir, `${name}.bin`), new Uint8Array(data.buffer));
    meta[name] = t.shape;
  }
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));
}

/**
 * Reads DIR/<name>.bin as float64s.
 * @example const z = readArray(dir, 'out_z');
 */
export function readArray(dir: string, name: string): Float64Array {
  const buf = readFileSync(join(dir, `${name}.bin`));
  return new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8);
}

/**
 * Runs bench/peers/<script> with `args` under `py`; its last stdout line,
 * parsed as JSON. Throws with its stderr when it fails.
 * @example const out = runPeerScript(py, 'qpth_qp.py', ['--inputs', dir]);
 */
export function runPeerScript<R>(
  py: string,
  script: string,
  args: string[],
): R {
  const path = fileURLToPath(new URL(`./peers/${script}`, import.meta.url));
  const r = spawnSync(py, [path, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0)
    throw new Error(
      `${script}: ${(r.stderr || r.stdout).trim().split('\n').pop()}`,
    );
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as R;
}
