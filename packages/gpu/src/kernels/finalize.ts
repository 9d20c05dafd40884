/**
 * The finalize dispatch of a fallible op (see ../failures.ts): once the
 * op's kernels have folded their candidate failures into the slot's keys,
 * invocation 0 turns the winning key into the record, and every
 * invocation fills one element of the float output with NaN, so a failed
 * op's outputs hold NaN until the next read raises its error.
 */
import { CODE, FAILURE_WGSL } from '../failures.js';
import type { FailureSlot, GpuTensor, KernelContext } from '../types.js';
import { MAIN_1D, grid1d, type Binding, type Param } from '../wgsl.js';

/** What the record needs besides the slot. */
export interface FinalizeSpec {
  readonly label: string;
  readonly slot: FailureSlot;
  /** The output filled with NaN on failure (when float32). */
  readonly out: GpuTensor;
  /** Read-only bindings the record reads (an input, a scratch buffer). */
  readonly reads: readonly Binding[];
  readonly params?: readonly Param[];
  /** WGSL run by invocation 0 after a failure: calls write_failure(...). */
  readonly record: string;
}

/** Record the finalize dispatch. */
export function finalize(ctx: KernelContext, s: FinalizeSpec): void {
  const fill = s.out.dtype === 'float32';
  const n = Math.max(1, fill ? s.out.size : 1);
  ctx.dispatch({
    label: s.label,
    params: [
      ['n', 'u32', n],
      ['ny', 'u32', fill ? s.out.size : 0],
      ['slot', 'u32', s.slot.word],
      ...(s.params ?? []),
    ],
    bindings: [
      { name: 'S', type: 'atomic<u32>', write: true, buffer: s.slot.buffer },
      { name: 'Y', type: 'u32', write: true, buffer: s.out.buffer },
      ...s.reads,
    ],
    body: `${FAILURE_WGSL}
${MAIN_1D}
  if (i >= P.n || !any_failed()) { return; }
  if (i == 0u) {
    ${s.record}
  }
  if (i < P.ny) { Y[i] = 0x7fc00000u; }
}`,
    groups: grid1d(n),
  });
}

/**
 * The finalize of an op whose failure is a bad index (gather's, a label's):
 * the record names the failing position and the int32 index there.
 * @example finalizeIndex(ctx, 'gather', idx, y, slot);
 */
export function finalizeIndex(
  ctx: KernelContext,
  label: string,
  index: GpuTensor,
  out: GpuTensor,
  slot: FailureSlot,
): void {
  finalize(ctx, {
    label,
    slot,
    out,
    reads: [{ name: 'IDX', type: 'i32', buffer: index.buffer }],
    record: `let p = failed_key(0u);
    write_failure(${CODE.BAD_ARGUMENT}u, 1u, p, 0u, f32(IDX[p]));`,
  });
}
