/**
 * Getting a GPUDevice: `navigator.gpu` in a browser, the `webgpu` npm
 * package (Dawn) in Node. On a machine without a GPU, Dawn runs on Mesa's
 * llvmpipe through OpenGL ES (a compatibility-level adapter whose default
 * limits are tiny, so the limits this backend needs are requested); on a
 * GPU machine `WEBGPU_BACKEND=vulkan` selects Vulkan. See
 * ../../../shared/WEBGPU.md for the machines this was measured on.
 */
import { GpuError } from './errors.js';

/**
 * What createWebGpuBackend accepts for choosing and opening a device.
 * @example
 * const gpu = await createWebGpuBackend({ dawnBackend: 'vulkan' });
 */
export interface DeviceOptions {
  /**
   * Node only: Dawn's backend ('opengles', 'vulkan', 'metal', 'd3d12').
   * Default: the WEBGPU_BACKEND environment variable, else 'opengles'.
   */
  readonly dawnBackend?: string;
  /** Ask for a high-performance or a low-power adapter. */
  readonly powerPreference?: 'high-performance' | 'low-power';
}

/** The limits every kernel of this package stays within (WEBGPU.md). */
export const NEEDED_LIMITS: Readonly<Record<string, number>> = {
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  maxStorageBuffersPerShaderStage: 8,
  maxComputeWorkgroupStorageSize: 16384,
};

/** The compute limits requested: the adapter's own maxima. */
const REQUESTED = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
  'maxUniformBufferBindingSize',
] as const;

const INSTALL_HINT =
  'In Node, install the webgpu package (npm i webgpu) and, on a machine ' +
  'without a GPU, Mesa: apt-get install libegl1 libgl1-mesa-dri libegl-dev. ' +
  'In a browser, use one with WebGPU enabled (Chrome 113+, or chromium ' +
  '--enable-unsafe-webgpu).';

// Dawn's GPU object: kept at module level, because Dawn crashes if it is
// garbage-collected while one of its devices lives (WEBGPU.md).
const dawnGpus = new Map<string, GPU>();

interface DawnModule {
  create(flags: string[]): GPU;
}

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } })
    .process;
  return p?.versions?.node !== undefined;
}

function env(name: string): string | undefined {
  const p = (globalThis as { process?: { env?: Record<string, string> } })
    .process;
  return p?.env?.[name];
}

/** Dawn's GPU object for `backend`, created once. */
async function dawnGpu(backend: string): Promise<GPU> {
  const known = dawnGpus.get(backend);
  if (known !== undefined) return known;
  // A computed specifier: bundlers for the browser leave it alone.
  const name = 'webgpu';
  let mod: DawnModule;
  try {
    mod = (await import(/* @vite-ignore */ name)) as DawnModule;
  } catch (e) {
    throw new GpuError(
      'NO_WEBGPU',
      `createWebGpuBackend: Node needs the webgpu package; got an error ` +
        `loading it (${(e as Error).message}). ${INSTALL_HINT}`,
    );
  }
  const p = (globalThis as { process?: { env: Record<string, string> } })
    .process;
  // Mesa's EGL without a display; must be set before create().
  if (p !== undefined) p.env.EGL_PLATFORM ??= 'surfaceless';
  const gpu = mod.create([`backend=${backend}`]);
  dawnGpus.set(backend, gpu);
  return gpu;
}

/** The GPU object of this environment and how to ask it for an adapter. */
async function gpuObject(options: DeviceOptions): Promise<{
  gpu: GPU;
  adapterOptions: GPURequestAdapterOptions;
  where: string;
}> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  const base: GPURequestAdapterOptions = {};
  if (options.powerPreference) base.powerPreference = options.powerPreference;
  if (nav?.gpu !== undefined)
    return { gpu: nav.gpu, adapterOptions: base, where: 'navigator.gpu' };
  if (!isNode()) {
    throw new GpuError(
      'NO_WEBGPU',
      `createWebGpuBackend: this environment has no WebGPU; got no ` +
        `navigator.gpu. ${INSTALL_HINT}`,
    );
  }
  const backend = options.dawnBackend ?? env('WEBGPU_BACKEND') ?? 'opengles';
  const gpu = await dawnGpu(backend);
  // OpenGL ES offers only a compatibility-level adapter.
  const adapterOptions: GPURequestAdapterOptions =
    backend === 'opengles'
      ? ({ ...base, featureLevel: 'compatibility' } as GPURequestAdapterOptions)
      : base;
  return { gpu, adapterOptions, where: `Dawn's ${backend} backend` };
}

/** An adapter, or a NO_ADAPTER error naming what to install. */
async function adapterOf(options: DeviceOptions): Promise<GPUAdapter> {
  const { gpu, adapterOptions, where } = await gpuObject(options);
  const adapter = await gpu.requestAdapter(adapterOptions);
  if (adapter === null) {
    throw new GpuError(
      'NO_ADAPTER',
      `createWebGpuBackend: WebGPU found no adapter; got null from ` +
        `requestAdapter(${JSON.stringify(adapterOptions)}) on ${where}. ` +
        INSTALL_HINT,
    );
  }
  return adapter;
}

/** The requested limits: the adapter's maxima, checked against ours. */
function limitsOf(adapter: GPUAdapter): Record<string, number> {
  const limits: Record<string, number> = {};
  const have = adapter.limits as unknown as Record<string, number>;
  for (const k of REQUESTED) if (have[k] !== undefined) limits[k] = have[k];
  const short = Object.entries(NEEDED_LIMITS).filter(
    ([k, v]) => (have[k] ?? 0) < v,
  );
  if (short.length > 0) {
    throw new GpuError(
      'ADAPTER_TOO_SMALL',
      `createWebGpuBackend: the adapter must offer ${short
        .map(([k, v]) => `${k} ≥ ${v}`)
        .join(', ')}; got ${short.map(([k]) => have[k]).join(', ')}. ` +
        `Use another adapter (powerPreference), or the CPU backend.`,
    );
  }
  return limits;
}

/** An opened device with what was asked of it. */
export interface OpenedDevice {
  readonly device: GPUDevice;
  /** The adapter's description (vendor, architecture), where given. */
  readonly adapterInfo: string;
  /** The features the adapter offers. */
  readonly features: readonly string[];
}

/** Open a device with the limits this backend needs. */
export async function openDevice(
  options: DeviceOptions,
): Promise<OpenedDevice> {
  const adapter = await adapterOf(options);
  const requiredLimits = limitsOf(adapter);
  const device = await adapter.requestDevice({ requiredLimits });
  const info = (adapter as { info?: GPUAdapterInfo }).info;
  const adapterInfo = info
    ? [info.vendor, info.architecture, info.device, info.description]
        .filter((s) => s)
        .join(' ')
    : '';
  return { device, adapterInfo, features: [...adapter.features] };
}

/**
 * Whether a WebGPU adapter can be had here (false instead of an error).
 * @example
 * if (await isWebGpuAvailable()) setBackend(await createWebGpuBackend());
 */
export async function isWebGpuAvailable(
  options: DeviceOptions = {},
): Promise<boolean> {
  try {
    await adapterOf(options);
    return true;
  } catch {
    return false;
  }
}
