/**
 * `pnpm bench`: times the entries below on the current backend (CPU unless
 * an app set another), prints a table, and writes it into BENCHMARKS.md.
 *
 *   pnpm bench                  all entries; updates BENCHMARKS.md
 *   pnpm bench matmul conv      entries whose name contains matmul or conv;
 *                               prints only (a partial table is not written)
 *   pnpm bench --no-write       all entries, BENCHMARKS.md left alone
 *   pnpm bench --threads 1      one thread (default: every core; the batched
 *                               linalg kernels split by batch item)
 *   pnpm bench --js-kernels     the plain JS kernels instead of the
 *                               WebAssembly SIMD ones (prints only)
 *   pnpm bench --backend webgpu the float32 rows on @optnet/gpu, with the
 *                               device's dispatches, submits and readbacks
 *                               per call; float64 rows say they need the
 *                               CPU (prints only)
 *
 * An entry whose op has not landed in @optnet/tensor yet shows
 * "skipped: <op> not available"; any other error shows as "error: ..." and
 * makes the run exit 1.
 */
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernelEntries } from './cases-kernels.js';
import { choleskyEntry, matmulEntry } from './cases-linalg.js';
import { nnConvEntry, nnMlpEntry } from './cases-nn.js';
import { qpEntries } from './cases-qp.js';
import { sudokuEntries } from './cases-sudoku.js';
import {
  convEntry,
  mlpEntry,
  softmaxCrossEntropyEntry,
} from './cases-train.js';
import type { Entry } from './entry.js';
import { Skip, T } from './ops.js';
import { formatTable, machineInfo, writeResults, type Row } from './util.js';
import { useCpuThreads } from '../packages/tensor/src/cpu/threads.js';
import { onGpu, useWebGpu } from './webgpu.js';

const entries: Entry[] = [
  ...(['float32', 'float64'] as const).flatMap((dtype) =>
    [64, 256, 512, 1024].map((n) => matmulEntry(n, dtype)),
  ),
  mlpEntry(),
  convEntry(),
  nnMlpEntry(),
  nnConvEntry(),
  softmaxCrossEntropyEntry(),
  choleskyEntry(128, 64),
  ...kernelEntries(),
  ...qpEntries(),
  ...sudokuEntries(),
];

async function runEntry(e: Entry): Promise<{ row: Row; failed: boolean }> {
  const base = {
    name: e.name,
    ...(e.referenceMs !== undefined ? { referenceMs: e.referenceMs } : {}),
  };
  try {
    return { row: { ...base, ...(await e.run()) }, failed: false };
  } catch (err) {
    if (err instanceof Skip)
      return { row: { ...base, note: err.message }, failed: false };
    const msg = err instanceof Error ? err.message : String(err);
    console.error(`${e.name}: ${err instanceof Error ? err.stack : msg}`);
    return {
      row: { ...base, note: `error: ${msg.split('\n')[0].slice(0, 80)}` },
      failed: true,
    };
  }
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const filters = args.filter(
    (a, i) =>
      !a.startsWith('--') &&
      args[i - 1] !== '--threads' &&
      args[i - 1] !== '--backend',
  );
  const jsKernels = args.includes('--js-kernels');
  const bi = args.indexOf('--backend');
  const kind = bi >= 0 ? args[bi + 1] : 'cpu';
  if (kind !== 'cpu' && kind !== 'webgpu') {
    console.error(`--backend must be cpu or webgpu; got '${kind}'`);
    return 1;
  }
  const write =
    filters.length === 0 &&
    !args.includes('--no-write') &&
    !jsKernels &&
    kind === 'cpu';
  if (jsKernels) T.setWasmKernels(false);
  const matches = (e: Entry) =>
    filters.some((f) => e.name.toLowerCase().includes(f.toLowerCase()));
  const gpu = kind === 'webgpu' ? await useWebGpu() : null;
  const chosen = entries
    .filter((e) => filters.length === 0 || matches(e))
    .map((e) => (gpu ? onGpu(e, gpu.stats) : e));
  if (chosen.length === 0) {
    console.error(
      `no benchmark matches ${filters.join(', ')}; names:\n` +
        entries.map((e) => e.name).join('\n'),
    );
    return 1;
  }
  const info = machineInfo();
  // Both cores by default: the batched linalg kernels split by batch item
  // (bit-identical results). `--threads 1` measures one thread.
  const ti = args.indexOf('--threads');
  const threads = await useCpuThreads(
    ti >= 0 ? Number(args[ti + 1]) : undefined,
  );
  const kernels = T.usingWasmKernels()
    ? 'WebAssembly SIMD kernels'
    : 'JS kernels';
  const backend = gpu
    ? gpu.name
    : `${T.getBackend().name} (${kernels}), ${threads} thread${threads === 1 ? '' : 's'}`;
  console.log(`${info.cpu}, node ${info.node}, backend ${backend}\n`);

  const t0 = performance.now();
  const rows: Row[] = [];
  let failures = 0;
  for (const e of chosen) {
    const { row, failed } = await runEntry(e);
    failures += Number(failed);
    rows.push(row);
    const what = row.timing
      ? `median ${row.timing.medianMs.toFixed(2)} ms`
      : row.note;
    console.log(`${e.name}: ${what}`);
  }
  const totalSeconds = (performance.now() - t0) / 1000;
  const table = formatTable(rows);
  console.log(
    `\n${table}\n\nreference: TensorFlow.js pure-JS CPU on the same machines; for the qp rows, qpth (PyTorch CPU, float64, one thread)`,
  );

  if (write) {
    const root = join(dirname(fileURLToPath(import.meta.url)), '..');
    writeResults(join(root, 'BENCHMARKS.md'), table, {
      ...info,
      command: 'pnpm bench',
      backend,
      totalSeconds,
    });
    console.log('wrote BENCHMARKS.md');
  }
  return failures === 0 ? 0 : 1;
}

process.exitCode = await main();
