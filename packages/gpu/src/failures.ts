/**
 * Kernel failures on the device (see KernelFailure in @optnet/tensor): a
 * kernel cannot throw, so each fallible op gets a slot of 8 words in a
 * status buffer, and the next read copies the slots of the ops recorded
 * since the last read along with its data and raises the first failure,
 * in op order, worded by `op.failure(record)`.
 *
 * A slot: [k0, k1, k2, code, input, index, pivot, value]. Kernels fold
 * candidate failures into the keys with atomicMax(~key), so the lowest key
 * (the first index, the first batch item) wins whatever order invocations
 * run in, and k0 outranks k1 outranks k2 (A's NaN before B's, before a
 * singular item, as the reference kernels check). Then the op's finalize
 * dispatch (one per fallible op) turns the winning key into the record
 * (code ≠ 0) and fills the float outputs with NaN.
 */
import type {
  ErrorCode,
  KernelFailure,
  KernelOp,
  OptnetError,
  TensorMeta,
} from '@optnet/tensor';
import { RuntimeError } from '@optnet/tensor';
import type { FailureSlot } from './types.js';

const SLOT_WORDS = 8;
const SLOTS = 256;
/** Bytes of one status chunk. */
export const CHUNK_BYTES: number = SLOT_WORDS * SLOTS * 4;

/** The codes a kernel writes, by number (0: no failure). */
const CODES: readonly ErrorCode[] = [
  'NON_FINITE',
  'NOT_POSITIVE_DEFINITE',
  'SINGULAR',
  'BAD_ARGUMENT',
];

/** WGSL numbers of the failure codes. */
export const CODE = {
  NON_FINITE: 1,
  NOT_POSITIVE_DEFINITE: 2,
  SINGULAR: 3,
  BAD_ARGUMENT: 4,
} as const;

/**
 * WGSL helpers for a program with the status binding `S` and the
 * parameter `P.slot` (the slot's first word).
 */
export const FAILURE_WGSL = `
fn fail_key(k: u32, key: u32) { atomicMax(&S[P.slot + k], ~key); }
fn failed_key(k: u32) -> u32 { return ~atomicLoad(&S[P.slot + k]); }
fn has_failed(k: u32) -> bool { return atomicLoad(&S[P.slot + k]) != 0u; }
fn any_failed() -> bool { return has_failed(0u) || has_failed(1u) || has_failed(2u); }
fn write_failure(code: u32, input: u32, index: u32, pivot: u32, value: f32) {
  atomicStore(&S[P.slot + 3u], code);
  atomicStore(&S[P.slot + 4u], input);
  atomicStore(&S[P.slot + 5u], index);
  atomicStore(&S[P.slot + 6u], pivot);
  atomicStore(&S[P.slot + 7u], bitcast<u32>(value));
}
`;

/** An op that may have failed, and where its slot is. */
interface Pending {
  readonly op: KernelOp<unknown>;
  readonly inputs: readonly TensorMeta[];
  readonly attrs: unknown;
  readonly slot: number;
}

/** The slots a read copies: the ops, and how many chunks they span. */
export interface FailureBatch {
  readonly pending: readonly Pending[];
  readonly chunks: readonly GPUBuffer[];
  readonly bytes: number;
}

export class FailureLog {
  readonly #device: GPUDevice;
  readonly #chunks: GPUBuffer[] = [];
  #pending: Pending[] = [];

  constructor(device: GPUDevice) {
    this.#device = device;
  }

  /** A slot for one run of `op` (zeroed: a new chunk, or cleared at a read). */
  claim(
    op: KernelOp<unknown>,
    inputs: readonly TensorMeta[],
    attrs: unknown,
  ): FailureSlot {
    const slot = this.#pending.length;
    const chunk = Math.floor(slot / SLOTS);
    while (this.#chunks.length <= chunk) {
      this.#chunks.push(
        this.#device.createBuffer({
          label: 'failure status',
          size: CHUNK_BYTES,
          usage: 0x80 | 0x4 | 0x8, // STORAGE | COPY_SRC | COPY_DST
        }),
      );
    }
    this.#pending.push({ op, inputs, attrs, slot });
    return { buffer: this.#chunks[chunk], word: (slot % SLOTS) * SLOT_WORDS };
  }

  /** Whether any op since the last read could have failed. */
  get hasPending(): boolean {
    return this.#pending.length > 0;
  }

  /**
   * Hand the pending slots to a read, which copies `chunks` and then
   * clears them, so new ops may claim slots at once.
   */
  take(): FailureBatch {
    const pending = this.#pending;
    this.#pending = [];
    const n = Math.ceil(pending.length / SLOTS);
    return {
      pending,
      chunks: this.#chunks.slice(0, n),
      bytes: n * CHUNK_BYTES,
    };
  }

  destroy(): void {
    for (const c of this.#chunks) c.destroy();
    this.#chunks.length = 0;
  }
}

/** The first failure of a batch, from its copied words, as the op's error. */
export function firstFailure(
  batch: FailureBatch,
  words: Uint32Array,
): OptnetError | null {
  for (const p of batch.pending) {
    const w = p.slot * SLOT_WORDS;
    const code = words[w + 3];
    if (code === 0) continue;
    const record: KernelFailure = {
      code: CODES[code - 1] ?? 'BAD_ARGUMENT',
      input: words[w + 4],
      index: words[w + 5],
      pivot: words[w + 6],
      value: new Float32Array(new Uint32Array([words[w + 7]]).buffer)[0],
    };
    if (p.op.failure) return p.op.failure(record, p.inputs, p.attrs);
    return new RuntimeError(
      record.code,
      `${p.op.name}: a kernel recorded a failure (${record.code}) for an op ` +
        `without a failure rule; got ${JSON.stringify(record)}.`,
    );
  }
  return null;
}
