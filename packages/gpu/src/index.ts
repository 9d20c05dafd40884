/**
 * @optnet/gpu: the WebGPU backend of @optnet/tensor. Every primitive runs
 * as a WGSL kernel on the GPU, in Node (the webgpu package, Dawn) and in
 * browsers (navigator.gpu).
 * @example
 * import { setBackend, tensor } from '@optnet/tensor';
 * import { createWebGpuBackend } from '@optnet/gpu';
 *
 * setBackend(await createWebGpuBackend());
 * console.log(await tensor([1, 2]).mul(3).toArray()); // [3, 6]
 *
 * @module \@optnet/gpu
 */
export {
  createWebGpuBackend,
  type WebGpuBackend,
  type WebGpuOptions,
} from './create.js';
export { isWebGpuAvailable } from './device.js';
export type { DeviceOptions } from './device.js';
export type { WebGpuStats } from './backend.js';
