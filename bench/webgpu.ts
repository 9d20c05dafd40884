/**
 * `pnpm bench --backend webgpu`: the entries on @optnet/gpu. Rows in
 * float64 (which WGSL lacks) and rows that read synchronously say they
 * need the CPU backend; every other row adds what one timed call cost the
 * device: dispatches, submits and readbacks (on llvmpipe these overheads,
 * not the arithmetic, are what the numbers measure).
 */
import type { Entry } from './entry.js';
import { Skip, T } from './ops.js';
import { timedCalls } from './util.js';

/** The counters of the WebGPU backend's stats() that bench reports. */
interface GpuStats {
  dispatches: number;
  submits: number;
  readbacks: number;
  uploads: number;
}

/** The WebGPU backend, opened and made the current backend. */
export async function useWebGpu(): Promise<{
  name: string;
  stats: () => GpuStats;
}> {
  const { createWebGpuBackend } = await import('../packages/gpu/src/index.js');
  const gpu = await createWebGpuBackend();
  T.setBackend(gpu);
  return {
    name: `webgpu (${gpu.adapterInfo || 'adapter'})`,
    stats: () => gpu.stats(),
  };
}

/** Why an entry cannot run on the GPU, from the error it threw; or null. */
function cpuOnly(err: unknown): string | null {
  const code = (err as { code?: string }).code;
  if (code === 'DTYPE_UNSUPPORTED') return 'float64: needs the CPU backend';
  if (code === 'SYNC_READ_UNSUPPORTED')
    return 'reads synchronously: CPU backend only';
  return null;
}

/** `entry` with the device's work per timed call added to its row. */
export function onGpu(entry: Entry, stats: () => GpuStats): Entry {
  return {
    ...entry,
    async run(ctx) {
      const s0 = stats();
      const n0 = timedCalls();
      let row;
      try {
        row = await entry.run(ctx);
      } catch (err) {
        const why = cpuOnly(err);
        if (why !== null) throw new Skip(why);
        throw err;
      }
      const s1 = stats();
      const n = Math.max(1, timedCalls() - n0);
      const per = (k: keyof GpuStats) => ((s1[k] - s0[k]) / n).toFixed(1);
      const work = `per call ${per('dispatches')} dispatches, ${per('submits')} submits, ${per('readbacks')} readbacks, ${per('uploads')} uploads`;
      const add = <R extends { derived?: string }>(r: R): R => ({
        ...r,
        derived: [r.derived, work].filter(Boolean).join('; '),
      });
      return Array.isArray(row) ? row.map(add) : add(row);
    },
  };
}
