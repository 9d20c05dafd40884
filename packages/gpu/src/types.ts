/**
 * What a kernel sees: its tensors as GPU buffers with their meaning, and
 * the context it records work through. Shared by the backend and the
 * kernels (kernels/), so neither imports the other's internals.
 */
import type { TensorMeta } from '@optnet/tensor';
import type { Binding, Param } from './wgsl.js';

/** A tensor as a kernel takes it: the buffer, shape, dtype and size. */
export interface GpuTensor extends TensorMeta {
  /** The storage buffer (bool as u32 words). */
  readonly buffer: GPUBuffer;
  /** The number of elements. */
  readonly size: number;
}

/** One compute dispatch: its program's parts and its workgroup counts. */
export interface Dispatch {
  /** The op's name: labels the pipeline (and shows in GPU tools). */
  readonly label: string;
  readonly params: readonly Param[];
  readonly bindings: readonly Binding[];
  /** The kernel's WGSL after the generated header (see wgsl.ts). */
  readonly body: string;
  readonly groups: readonly [number, number, number];
}

/** A failure slot of the status buffer: 8 words from `word` (failures.ts). */
export interface FailureSlot {
  readonly buffer: GPUBuffer;
  readonly word: number;
}

/** What a kernel records its work through (no host sync anywhere). */
export interface KernelContext {
  /** Record a dispatch (pipelines are cached by the program's text). */
  dispatch(d: Dispatch): void;
  /** Record a copy of `bytes` bytes from `src` to `dst`. */
  copy(src: GPUBuffer, dst: GPUBuffer, bytes: number): void;
  /** A zero-filled buffer of at least `bytes` bytes, released after the op. */
  scratch(bytes: number): GPUBuffer;
  /** This op's failure slot, for a kernel whose values can fail. */
  failureSlot(): FailureSlot;
}

/**
 * A primitive's GPU kernel: records the dispatches that fill `outputs`
 * (every element of each) from `inputs`.
 */
export type GpuKernel<A> = (
  ctx: KernelContext,
  inputs: readonly GpuTensor[],
  outputs: readonly GpuTensor[],
  attrs: A,
) => void;
