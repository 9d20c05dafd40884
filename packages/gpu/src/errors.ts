/**
 * The errors of the WebGPU backend: no adapter, a lost device, a buffer
 * larger than a binding may be, a WebGPU validation error (a bug in a
 * kernel). Each is an OptnetError with a stable `code`.
 */
import { OptnetError } from '@optnet/tensor';

/** The codes of GpuError. */
export type GpuErrorCode =
  | 'NO_WEBGPU'
  | 'NO_ADAPTER'
  | 'ADAPTER_TOO_SMALL'
  | 'DEVICE_LOST'
  | 'TOO_LARGE'
  | 'GPU_ERROR';

/**
 * An error of the WebGPU backend (the code says which rule was broken).
 * @example
 * try {
 *   await createWebGpuBackend();
 * } catch (e) {
 *   if ((e as GpuError).code === 'NO_ADAPTER') console.log('CPU it is');
 * }
 */
export class GpuError extends OptnetError<GpuErrorCode> {}
