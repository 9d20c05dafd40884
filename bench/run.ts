/**
 * `pnpm bench`: times the entries below (on the CPU backend unless
 * `--backend webgpu`) and prints a
 * table; it never writes a tracked file unless asked:
 *
 *   pnpm bench                  all entries, printed
 *   pnpm bench --record         all entries; the table goes into BENCHMARKS.md
 *   pnpm bench matmul conv      entries whose name contains matmul or conv
 *   pnpm bench --threads 1      skip the every-core pass
 *   pnpm bench --no-peers       ours only (no TF.js-wasm, jax-js, qpth)
 *   pnpm bench --in-process     every entry in this process (see below)
 *   pnpm bench --js-kernels     the plain JS kernels instead of the
 *                               WebAssembly SIMD ones
 *   pnpm bench --no-fma         the float32 matmul without relaxed SIMD's
 *                               fused multiply-add (setWasmFma(false))
 *   pnpm bench --backend webgpu the float32 rows on @optnet/gpu, with the
 *                               device's dispatches, submits and readbacks
 *                               per call; float64 rows say they need the
 *                               CPU
 *
 * Each entry runs in a process of its own (on the CPU; `--in-process`
 * runs them all in this one, as `--backend webgpu` does): what one entry
 * leaves behind (the JIT's feedback from other shapes and ops, a grown
 * WebAssembly memory, garbage) would otherwise time the next; the Sudoku
 * step took 62-66 ms after the other entries against 42-43 alone. In its
 * process an entry makes two passes: on one thread, interleaved with the
 * peers that run the same task (TF.js-wasm and jax-js from bench/peers,
 * qpth through python3; each also one thread), then ours alone on every
 * core (`--threads N`: N). An entry whose op has not landed in
 * @optnet/tensor shows "skipped: <op> not available"; any other error, or
 * a peer whose numbers differ from ours, shows in its row and makes the
 * run exit 1.
 *
 * `pnpm bench` loads scripts/relaxed-simd.mjs first: on Node 20 it
 * turns on WebAssembly relaxed SIMD (on by default from Node 21 and in
 * Chromium), so the float32 matmul runs with fused multiply-add as it
 * does for users of a current Node or browser; the peers run in the same
 * processes. The header line says whether it did.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
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
import { availableParallelism } from 'node:os';
import type { Entry, RunContext } from './entry.js';
import { loadPeers } from './peers/src/index.js';
import { Skip, T } from './ops.js';
import {
  formatTable,
  machineInfo,
  rowsFromJson,
  rowsToJson,
  writeResults,
  type Row,
} from './util.js';
import {
  stopCpuThreads,
  useCpuThreads,
} from '../packages/tensor/src/cpu/threads.js';
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

/** The row of an entry that failed: `error: <why>`, counted as failed. */
function failedRow(name: string, why: string): Row {
  return { name, note: `error: ${why}`, failed: true } as Row;
}

async function runEntry(e: Entry, ctx: RunContext): Promise<Row[]> {
  try {
    const r = await e.run(ctx);
    return Array.isArray(r) ? r : [{ name: e.name, ...r }];
  } catch (err) {
    if (err instanceof Skip) return [{ name: e.name, note: err.message }];
    const msg = err instanceof Error ? err.message : String(err);
    console.error(`${e.name}: ${err instanceof Error ? err.stack : msg}`);
    return [failedRow(e.name, msg.split('\n')[0].slice(0, 80))];
  }
}

/** Whether a row failed: an error, or a peer that computed other numbers. */
const failed = (r: Row): boolean =>
  (r as { failed?: boolean }).failed === true ||
  (r.peers ?? []).some((c) => c.mismatch);

function describe(r: Row): string {
  const ours = r.timing ? `ours ${r.timing.medianMs.toFixed(2)} ms` : r.note;
  const peers = (r.peers ?? [])
    .map((c) =>
      c.timing
        ? `${c.peer} ${c.timing.medianMs.toFixed(2)} ms`
        : `${c.peer} ${c.mismatch ? 'MISMATCH' : 'missing'}`,
    )
    .join(', ');
  return `${r.name}: ${ours}${peers ? `; ${peers}` : ''}`;
}

/** The line on which an entry's process prints its rows (JSON). */
const ROWS_MARK = 'bench-rows ';

/**
 * Runs entry `name` in a fresh process (this file with `--entry`, the
 * flags in `pass`): its rows, its output passed through as it comes.
 */
async function runIsolated(
  name: string,
  pass: readonly string[],
): Promise<Row[]> {
  // a debugger flag would make every child wait for its own debugger
  const node = process.execArgv.filter((a) => !a.startsWith('--inspect'));
  const child = spawn(
    process.execPath,
    [...node, fileURLToPath(import.meta.url), '--entry', name, ...pass],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const closed = once(child, 'close') as Promise<
    [number | null, string | null]
  >;
  // awaited after the output is read; a spawn error must not go unhandled
  closed.catch(() => undefined);
  let rows: Row[] | null = null;
  try {
    for await (const line of createInterface({ input: child.stdout })) {
      if (line.startsWith(ROWS_MARK))
        rows = rowsFromJson(line.slice(ROWS_MARK.length));
      else if (line !== '') console.log(line);
    }
    const [code, signal] = await closed;
    if (rows !== null) return rows;
    return [failedRow(name, `its process ended (exit ${code ?? signal})`)];
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return [failedRow(name, `its process ended (${why})`)];
  }
}

/** The every-core pass: ours alone, each row's time into allCores. */
async function allCoresPass(chosen: Entry[], rows: Row[]): Promise<void> {
  for (const e of chosen) {
    for (const r of await runEntry(e, { peers: null })) {
      const row = rows.find((x) => x.name === r.name);
      if (row && r.timing) row.allCores = r.timing;
      if (row && r.timing)
        console.log(`${r.name}: every core ${r.timing.medianMs.toFixed(2)} ms`);
    }
  }
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const filters = args.filter(
    (a, i) =>
      !a.startsWith('--') &&
      args[i - 1] !== '--threads' &&
      args[i - 1] !== '--backend' &&
      args[i - 1] !== '--entry',
  );
  // An entry's own process (runIsolated): that entry only, rows as JSON.
  const ei = args.indexOf('--entry');
  const only = ei >= 0 ? args[ei + 1] : null;
  const jsKernels = args.includes('--js-kernels');
  const noFma = args.includes('--no-fma');
  const bi = args.indexOf('--backend');
  const kind = bi >= 0 ? args[bi + 1] : 'cpu';
  if (kind !== 'cpu' && kind !== 'webgpu') {
    console.error(`--backend must be cpu or webgpu; got '${kind}'`);
    return 1;
  }
  const record = args.includes('--record');
  const noPeers = args.includes('--no-peers');
  if (
    record &&
    (filters.length > 0 || jsKernels || noFma || kind !== 'cpu' || noPeers)
  ) {
    console.error(
      'pnpm bench --record runs every entry on the CPU with the WebAssembly kernels and the peers: drop the filters, --js-kernels, --no-fma, --backend and --no-peers',
    );
    return 1;
  }
  if (jsKernels) T.setWasmKernels(false);
  if (noFma) T.setWasmFma(false);
  const matches = (e: Entry) =>
    filters.some((f) => e.name.toLowerCase().includes(f.toLowerCase()));
  const gpu = kind === 'webgpu' ? await useWebGpu() : null;
  const chosen = entries
    .filter((e) =>
      only === null ? filters.length === 0 || matches(e) : e.name === only,
    )
    .map((e) => (gpu ? onGpu(e, gpu.stats) : e));
  if (chosen.length === 0) {
    console.error(
      `no benchmark matches ${filters.join(', ')}; names:\n` +
        entries.map((e) => e.name).join('\n'),
    );
    return 1;
  }
  const info = machineInfo();
  const ti = args.indexOf('--threads');
  const want = ti >= 0 ? Number(args[ti + 1]) : availableParallelism();
  const kernels = !T.usingWasmKernels()
    ? 'JS kernels'
    : T.usingWasmFma()
      ? 'WebAssembly SIMD kernels, float32 matmul with relaxed SIMD fused multiply-add'
      : 'WebAssembly SIMD kernels, no fused multiply-add';
  const isolated =
    only === null && gpu === null && !args.includes('--in-process');
  const backend = gpu
    ? gpu.name
    : `${T.getBackend().name} (${kernels}); one thread, then ${want}${isolated ? '; each entry in a process of its own' : ''}`;
  if (only === null)
    console.log(`${info.cpu}, node ${info.node}, backend ${backend}\n`);

  const t0 = performance.now();
  const rows: Row[] = [];
  let threads = want > 1 && gpu === null ? want : 1;
  if (isolated) {
    const pass = ['--threads', String(want)];
    if (jsKernels) pass.push('--js-kernels');
    if (noFma) pass.push('--no-fma');
    if (noPeers) pass.push('--no-peers');
    for (const e of chosen) rows.push(...(await runIsolated(e.name, pass)));
  } else {
    await useCpuThreads(1);
    // On the GPU: our rows only (the peers and the every-core pass are
    // CPU's). --no-peers: null, as in the every-core pass, so qpth stays
    // out too.
    const peers = noPeers ? null : gpu !== null ? [] : await loadPeers();
    for (const e of chosen) {
      for (const r of await runEntry(e, { peers })) {
        rows.push(r);
        console.log(describe(r));
      }
    }
    if (threads > 1) threads = await useCpuThreads(threads);
    if (threads > 1) await allCoresPass(chosen, rows);
    stopCpuThreads();
  }
  if (only !== null) {
    console.log(ROWS_MARK + rowsToJson(rows));
    return rows.some(failed) ? 1 : 0;
  }
  const totalSeconds = (performance.now() - t0) / 1000;
  const table = formatTable(rows, threads);
  console.log(
    `\n${table}\n\nours/peer: median over interleaved rounds of our time / the peer's (below 1: ours is faster); Δ: the peer's largest difference from our numbers, relative to our largest`,
  );

  if (record) {
    const root = join(dirname(fileURLToPath(import.meta.url)), '..');
    writeResults(join(root, 'BENCHMARKS.md'), table, {
      ...info,
      command: 'pnpm bench --record',
      backend,
      totalSeconds,
    });
    console.log('recorded in BENCHMARKS.md');
  }
  return rows.some(failed) ? 1 : 0;
}

process.exitCode = await main();
