/** createWebGpuBackend: open a device and wrap it as a Backend. */
import type { Backend } from '@optnet/tensor';
import { WebGpuBackendImpl, type WebGpuStats } from './backend.js';
import { openDevice, type DeviceOptions } from './device.js';

/**
 * Options of createWebGpuBackend.
 * @example
 * const be = await createWebGpuBackend({ poolBytes: 64 << 20 });
 */
export interface WebGpuOptions extends DeviceOptions {
  /** Bytes of freed GPU buffers kept for reuse (default 256 MiB). */
  readonly poolBytes?: number;
}

/**
 * The WebGPU backend: a Backend (pass it to setBackend or t.to), plus what
 * it holds and has done, and the device's end.
 * @example
 * const gpu: WebGpuBackend = await createWebGpuBackend();
 * gpu.stats().liveBuffers; // tensors' buffers on the GPU now
 */
export interface WebGpuBackend extends Backend {
  /** The adapter's vendor and architecture, where the platform says. */
  readonly adapterInfo: string;
  /** The features the adapter offers. */
  readonly features: readonly string[];
  /** Buffers held and pooled, dispatches, submits, readbacks so far. */
  stats(): WebGpuStats;
  /** Give the pooled (freed) buffers' memory back to the device. */
  releasePool(): void;
  /**
   * Destroy the device: its tensors are gone, reads in flight and later
   * use are DEVICE_LOST errors.
   */
  destroy(): void;
}

/**
 * Open a WebGPU device and make it a backend: `navigator.gpu` in a
 * browser, the webgpu package (Dawn) in Node. Throws NO_ADAPTER naming what
 * to install when there is no adapter.
 * @example
 * import { setBackend } from '@optnet/tensor';
 * setBackend(await createWebGpuBackend());
 */
export async function createWebGpuBackend(
  options: WebGpuOptions = {},
): Promise<WebGpuBackend> {
  const opened = await openDevice(options);
  return new WebGpuBackendImpl(opened, options);
}
