/**
 * Checkpoints and files on disk, for Node: `save` and `load` write and read
 * the bytes of `checkpointBytes` / `loadCheckpointBytes`, and
 * `writeFileAtomic` is how every file is written.
 *
 * Saving is atomic: the bytes go to a uniquely named temporary file next to
 * the target, are fsynced, and the temporary file is renamed over the
 * target; any failure removes the temporary file and leaves an existing
 * file as it was.
 */
import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Module } from '../module.js';
import { NnError } from '../errors.js';
import {
  checkpointBytes,
  loadCheckpointBytes,
  type LoadOptions,
  type SaveOptions,
} from '../checkpoint.js';

let tempCounter = 0;

function fileError(
  op: string,
  path: string,
  e: unknown,
  hint: string,
): NnError {
  const err = e as { code?: string; message?: string };
  return new NnError(
    'FILE_ERROR',
    `${op}: cannot ${hint}; got ${err.code ?? 'an error'} for '${path}': ${err.message}`,
  );
}

/**
 * Write `data` to `path` atomically: a reader (or a crash) sees the old file
 * or the whole new one, never a part. Temp file in the target's directory
 * (so rename stays on one file system and is atomic) → write → fsync →
 * rename over the target → fsync the directory (best effort) so the rename
 * itself survives a crash.
 * @example
 * await writeFileAtomic('metrics.csv', 'epoch,loss\n1,0.5\n');
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
): Promise<void> {
  const dir = dirname(path);
  const tmp = join(
    dir,
    `.${basename(path)}.${process.pid}.${Date.now()}.${tempCounter++}.tmp`,
  );
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(tmp, 'wx'); // 'wx': fail rather than reuse an existing name
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(tmp, path);
  } catch (e) {
    await handle?.close().catch(() => undefined);
    await rm(tmp, { force: true }).catch(() => undefined);
    throw fileError(
      'save',
      path,
      e,
      `write the file (the old file, if any, is unchanged)`,
    );
  }
  await syncDir(dir);
}

async function syncDir(dir: string): Promise<void> {
  try {
    const d = await open(dir, 'r');
    await d.sync().finally(() => d.close());
  } catch {
    // Some platforms (Windows) cannot fsync a directory; the data is already
    // synced.
  }
}

/**
 * Write `module`'s parameters and buffers (and `optimizer`'s state) to a
 * safetensors file at `path`, atomically: a checkpoint to resume training
 * from, or to load in PyTorch (`checkpointBytes` has the format).
 * @example
 * const model = new Sequential(new Linear(4, 2));
 * const opt = new Adam(model.parameters());
 * await save(model, 'model.safetensors', {
 *   optimizer: opt,
 *   metadata: { epoch: '3' },
 * });
 */
export async function save(
  module: Module,
  path: string,
  options: SaveOptions = {},
): Promise<void> {
  await writeFileAtomic(path, await checkpointBytes(module, options));
}

/**
 * Read a checkpoint file written by `save` (or any safetensors file with
 * the module's state-dict names) into `module` in place, and into
 * `optimizer` when given; everything is checked before anything changes.
 * Returns the file's metadata (without the optimizer's keys).
 * @example
 * const model = new Sequential(new Linear(4, 2));
 * const opt = new Adam(model.parameters());
 * await save(model, 'model.safetensors', { optimizer: opt });
 * const { metadata } = await load(model, 'model.safetensors', {
 *   optimizer: opt,
 * }); // { format: 'pt' }
 */
export async function load(
  module: Module,
  path: string,
  options: LoadOptions = {},
): Promise<{
  /** The file's string metadata, without the optimizer's keys. */
  metadata: Record<string, string>;
}> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw fileError('load', path, e, 'read the checkpoint. Check the path');
  }
  return loadCheckpointBytes(module, bytes, { ...options, source: path });
}
