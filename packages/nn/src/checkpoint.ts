/**
 * Checkpoints: a module's weights (and optionally an optimizer's state) in
 * one safetensors file.
 *
 * - The model's tensors are stored under their `stateDict()` names
 *   (`0.weight`, `bn.running_mean`), so PyTorch's
 *   `safetensors.torch.load_file` + `model.load_state_dict(..., strict=False)`
 *   reads them; `__metadata__.format` is 'pt' as PyTorch's writer sets it.
 * - The optimizer's `OptimizerState` goes in the same file: its tensors as
 *   `optimizer.<key>` (e.g. `optimizer.0.exp_avg`) and its meta strings as
 *   `optimizer.<key>` in `__metadata__` (e.g. `optimizer.lr`).
 * - A module's non-tensor state (`getExtraState`, e.g. a Dropout layer's
 *   generator position) goes in `__metadata__` as `<module>._extra_state`
 *   (PyTorch's key for it), so resumed training draws the same masks.
 *
 * This file works on bytes (`checkpointBytes`, `loadCheckpointBytes`), so
 * it runs anywhere, a browser included (keep the bytes in IndexedDB, or
 * offer them as a download). Files are `@optnet/nn/node`'s `save` and
 * `load`, which write atomically. Loading checks everything before it
 * changes anything, so a failed load leaves the module (and optimizer)
 * untouched.
 */
import { type Tensor } from '@optnet/tensor';
import { NnError } from './errors.js';
import { checkStateFits, stateMap, type Module } from './module.js';
import type { OptimizerState, StatefulOptimizer } from './optim/state.js';
import {
  decodeSafetensors,
  encodeSafetensorsEntries,
  type SafetensorsEntry,
} from './safetensors.js';

/**
 * The prefix of the optimizer's tensor and metadata keys in a checkpoint:
 * for reading such a file with other tools.
 * @example
 * OPTIMIZER_PREFIX + '0.exp_avg'; // the key of Adam's first moment of p0
 */
export const OPTIMIZER_PREFIX = 'optimizer.';

/**
 * Options of `checkpointBytes` and of `save` (`@optnet/nn/node`).
 * @example
 * const model = new Linear(2, 1);
 * const opts: SaveOptions = { optimizer: new Adam(model.parameters()) };
 * const bytes = await checkpointBytes(model, opts);
 */
export interface SaveOptions {
  /** Also store this optimizer's state (under `optimizer.` keys). */
  optimizer?: StatefulOptimizer;
  /** Extra string metadata (epoch, git hash...); returned by `load`. */
  metadata?: Record<string, string>;
}

/**
 * Options of `loadCheckpointBytes` and of `load` (`@optnet/nn/node`).
 * @example
 * const model = new Linear(2, 1);
 * const bytes = await checkpointBytes(model);
 * const opts: LoadOptions = { strict: false };
 * await loadCheckpointBytes(model, bytes, opts);
 */
export interface LoadOptions {
  /** Also restore this optimizer's state; the file must hold one. */
  optimizer?: StatefulOptimizer;
  /**
   * Require the file's model names to match the module's exactly (default
   * true).
   */
  strict?: boolean;
  /** What the bytes are called in error messages (e.g. the file path). */
  source?: string;
}

/**
 * `module`'s parameters and buffers (and `optimizer`'s state) as the bytes
 * of a safetensors file: a checkpoint to resume training from, or to load
 * in PyTorch. Tensors are read asynchronously, so any backend works.
 * `save` (`@optnet/nn/node`) writes them to a file.
 * @example
 * const model = new Sequential(new Linear(4, 2));
 * const opt = new Adam(model.parameters());
 * const bytes = await checkpointBytes(model, {
 *   optimizer: opt,
 *   metadata: { epoch: '3' },
 * });
 */
export async function checkpointBytes(
  module: Module,
  options: SaveOptions = {},
): Promise<Uint8Array> {
  const { entries, metadata } = await collect(module, options);
  return encodeSafetensorsEntries(entries, metadata);
}

async function collect(
  module: Module,
  { optimizer, metadata = {} }: SaveOptions,
): Promise<{ entries: SafetensorsEntry[]; metadata: Record<string, string> }> {
  const meta: Record<string, string> = { format: 'pt', ...metadata };
  const tensors: [string, Tensor][] = Object.entries(module.stateDict());
  if (optimizer !== undefined) {
    const clash = tensors
      .map(([k]) => k)
      .find((k) => k.startsWith(OPTIMIZER_PREFIX));
    if (clash !== undefined) {
      throw new NnError(
        'BAD_OPTION',
        `save: with an optimizer, model names must not start with '${OPTIMIZER_PREFIX}'; got '${clash}'. ` +
          `Rename the submodule, or save the optimizer to its own file.`,
      );
    }
    const opt = optimizer.stateDict();
    for (const [k, t] of opt.tensors) tensors.push([OPTIMIZER_PREFIX + k, t]);
    for (const [k, v] of Object.entries(opt.meta))
      meta[OPTIMIZER_PREFIX + k] = v;
  }
  const entries: SafetensorsEntry[] = [];
  for (const [name, t] of tensors) {
    entries.push({
      name,
      dtype: t.dtype,
      shape: t.shape,
      data: await t.data(),
    });
  }
  for (const [name, m] of module.namedModules()) {
    const extra = m.getExtraState();
    if (extra !== undefined) meta[extraKey(name)] = extra;
  }
  return { entries, metadata: meta };
}

/**
 * Read checkpoint bytes (from `checkpointBytes`, `save`, or any
 * safetensors file with the module's state-dict names) into `module` in
 * place, and into `optimizer` when given. Names, shapes and dtypes are all
 * checked before anything is changed. Returns the metadata (without the
 * optimizer's keys). `load` (`@optnet/nn/node`) reads a file.
 * @example
 * const model = new Sequential(new Linear(4, 2));
 * const opt = new Adam(model.parameters());
 * const bytes = await checkpointBytes(model, { optimizer: opt });
 * const { metadata } = await loadCheckpointBytes(model, bytes, {
 *   optimizer: opt,
 * }); // { format: 'pt' }
 */
export async function loadCheckpointBytes(
  module: Module,
  bytes: Uint8Array,
  { optimizer, strict = true, source = 'the checkpoint' }: LoadOptions = {},
): Promise<{
  /** The file's string metadata, without the optimizer's keys. */
  metadata: Record<string, string>;
}> {
  const { tensors, metadata } = decodeCheckpoint(bytes, source);
  const own = stateMap(module.stateDict());
  const model = new Map<string, Tensor>();
  const opt: OptimizerState = { tensors: new Map(), meta: {} };
  for (const [k, t] of tensors) {
    if (!own.has(k) && k.startsWith(OPTIMIZER_PREFIX))
      opt.tensors.set(k.slice(OPTIMIZER_PREFIX.length), t);
    else model.set(k, t);
  }
  const userMeta: Record<string, string> = {};
  const extra = new Map<string, string>();
  for (const [k, v] of Object.entries(metadata)) {
    if (k.startsWith(OPTIMIZER_PREFIX))
      opt.meta[k.slice(OPTIMIZER_PREFIX.length)] = v;
    else if (k === EXTRA || k.endsWith(`.${EXTRA}`))
      extra.set(k.slice(0, -EXTRA.length).replace(/\.$/, ''), v);
    else userMeta[k] = v;
  }
  let applyExtra: (() => void)[];
  try {
    checkStateFits('load', `'${source}'`, own, model, strict);
    applyExtra = prepareExtra(source, module, extra, strict);
    if (optimizer !== undefined) loadOptimizer(source, optimizer, opt);
  } catch (e) {
    // Only the model's: a failing optimizer may already hold some of its own.
    for (const t of model.values()) t.dispose();
    throw e;
  }
  // Validated: from here nothing can fail. assign moves each buffer in.
  for (const apply of applyExtra) apply();
  for (const [name, src] of model) {
    const target = own.get(name);
    if (target !== undefined) target.assign(src);
    else src.dispose();
  }
  if (optimizer === undefined)
    for (const t of opt.tensors.values()) t.dispose();
  return { metadata: userMeta };
}

function decodeCheckpoint(
  bytes: Uint8Array,
  source: string,
): ReturnType<typeof decodeSafetensors> {
  try {
    return decodeSafetensors(bytes);
  } catch (e) {
    if (e instanceof NnError)
      throw new NnError(
        e.code,
        `load: '${source}' is not a valid checkpoint. ${e.message}`,
      );
    throw e;
  }
}

/**
 * Metadata key of a module's extra state: `<dotted module name>._extra_state`
 * (PyTorch's state-dict key).
 */
const EXTRA = '_extra_state';

function extraKey(moduleName: string): string {
  return moduleName === '' ? EXTRA : `${moduleName}.${EXTRA}`;
}

/**
 * Check every module's extra state in the file; returns the functions that
 * apply them.
 */
function prepareExtra(
  path: string,
  module: Module,
  extra: Map<string, string>,
  strict: boolean,
): (() => void)[] {
  const modules = new Map(module.namedModules());
  const out: (() => void)[] = [];
  for (const [name, state] of extra) {
    const m = modules.get(name);
    if (m === undefined) {
      if (!strict) continue;
      throw new NnError(
        'STATE_MISMATCH',
        `load: '${path}' holds extra state for module '${name}', which this module does not have. ` +
          `Build the same architecture, or pass { strict: false }.`,
      );
    }
    try {
      out.push(m.prepareExtraState(state));
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      throw new NnError(
        'STATE_MISMATCH',
        `load: the extra state of module '${name}' in '${path}' does not fit; got: ${why}`,
      );
    }
  }
  return out;
}

function loadOptimizer(
  path: string,
  optimizer: StatefulOptimizer,
  state: OptimizerState,
): void {
  if (state.tensors.size === 0 && Object.keys(state.meta).length === 0) {
    throw new NnError(
      'STATE_MISMATCH',
      `load: an optimizer was given but '${path}' holds no optimizer state (no '${OPTIMIZER_PREFIX}' keys). ` +
        `Save with { optimizer }, or load without it.`,
    );
  }
  optimizer.loadStateDict(state);
}
