/**
 * Benchmark plumbing: a timer (warmup, then reps, median and min), a
 * Markdown table printer, and the writer that puts the table into
 * BENCHMARKS.md between two markers, so a rerun replaces the old table.
 */
import { cpus, totalmem } from 'node:os';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

export interface TimeOptions {
  /** Untimed runs first (JIT, caches, pipeline compiles). */
  warmup?: number;
  /**
   * Keep warming up (past `warmup` calls) until this many ms have passed:
   * V8 optimizes JS and WebAssembly functions only after many calls, and
   * a solver's first ~50 solves at nz 10 run up to 2x slower.
   */
  warmupMs?: number;
  /** Timed runs at least... */
  minReps?: number;
  /** ...and at most. */
  maxReps?: number;
  /** Stop adding reps (past minReps) once the timed runs took this long. */
  budgetMs?: number;
}

/** Calls of timed functions so far (warm-up included), see timedCalls. */
let calls = 0;

/**
 * How many times timeIt has called its function so far, warm-up calls
 * included: per-call counts of a device's work divide by the difference.
 * @example const n0 = timedCalls(); await timeIt(fn); timedCalls() - n0;
 */
export function timedCalls(): number {
  return calls;
}

export interface Timing {
  medianMs: number;
  minMs: number;
  reps: number;
}

/**
 * Time `fn` with performance.now(): `warmup` untimed calls, then between
 * minReps and maxReps timed ones (fewer when budgetMs runs out).
 * `fn` must finish its work before it resolves (read a value back), so
 * that an asynchronous device is timed too.
 * @example const t = await timeIt(() => matmul(a, b).data(), { maxReps: 10 });
 */
export async function timeIt(
  fn: () => unknown,
  options: TimeOptions = {},
): Promise<Timing> {
  const {
    warmup = 2,
    warmupMs = 0,
    minReps = 3,
    maxReps = 20,
    budgetMs = 5000,
  } = options;
  const w0 = performance.now();
  for (let i = 0; i < warmup || performance.now() - w0 < warmupMs; i++) {
    calls++;
    await fn();
  }
  const times: number[] = [];
  let spent = 0;
  while (
    times.length < maxReps &&
    (times.length < minReps || spent < budgetMs)
  ) {
    const t0 = performance.now();
    calls++;
    await fn();
    const dt = performance.now() - t0;
    times.push(dt);
    spent += dt;
  }
  return summarize(times);
}

/**
 * Times `a` and `b` alternately (a, b, a, b, ...), so both see the same
 * machine load, after `warmup` untimed pairs (and more until `warmupMs`
 * have passed): for comparisons within one run.
 * @example
 * const [rawT, nnT] = interleaved(raw, viaNn, { reps: 20, warmup: 3 });
 */
export function interleaved(
  a: () => void,
  b: () => void,
  {
    reps,
    warmup = 0,
    warmupMs = 0,
  }: { reps: number; warmup?: number; warmupMs?: number },
): [Timing, Timing] {
  const w0 = performance.now();
  for (let i = 0; i < warmup || performance.now() - w0 < warmupMs; i++) {
    a();
    b();
  }
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < reps; i++) {
    let t0 = performance.now();
    a();
    ta.push(performance.now() - t0);
    t0 = performance.now();
    b();
    tb.push(performance.now() - t0);
  }
  return [summarize(ta), summarize(tb)];
}

/** Median and minimum of timed repetitions (ms). */
export function summarize(times: readonly number[]): Timing {
  const sorted = [...times].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const medianMs =
    sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { medianMs, minMs: sorted[0], reps: sorted.length };
}

/** A peer's cell of a row: its time and ratio, or why it is missing. */
export interface PeerCell {
  /** The peer's column: 'TF.js-wasm', 'jax-js' or 'qpth'. */
  peer: string;
  timing?: Timing;
  /** Median over the interleaved rounds of ours / peer (below 1: ours faster). */
  ratio?: number;
  /** Largest relative difference of the peer's numbers from ours. */
  diff?: number;
  /** The peer's numbers differ from ours by more than the task allows. */
  mismatch?: boolean;
  /** Why the peer has no number here. */
  missing?: string;
  /** More to say (residuals, the other timing). */
  note?: string;
}

/** One line of the results table. */
export interface Row {
  name: string;
  /** Ours, one thread (interleaved with the peers where it has any). */
  timing?: Timing;
  /** E.g. "12.3 GFLOP/s". */
  derived?: string;
  /** Ours with every core (the second pass). */
  allCores?: Timing;
  /** The peers' cells (absent: no peer runs this task). */
  peers?: PeerCell[];
  /** Why there is no timing, e.g. "skipped: matmul not available". */
  note?: string;
}

/** The peers' columns, in order. */
export const PEER_COLUMNS: readonly string[] = ['TF.js-wasm', 'jax-js', 'qpth'];

/** 2·m·k·n / t, as a string. */
export function gflops(flop: number, ms: number): string {
  return `${(flop / ms / 1e6).toFixed(2)} GFLOP/s`;
}

function fmtMs(ms: number): string {
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  return ms.toFixed(2);
}

/** A peer's cell as text. */
function fmtCell(c: PeerCell | undefined): string {
  if (c === undefined) return '';
  if (c.missing !== undefined) return `missing because ${c.missing}`;
  const diff = c.diff === undefined ? '' : `, Δ ${c.diff.toExponential(0)}`;
  if (c.mismatch) return `MISMATCH${diff}`;
  if (c.timing === undefined) return c.note ?? '';
  // three decimals: a goal such as 0.2x qpth's is judged on them
  const ratio =
    c.ratio === undefined ? '' : `, ours/peer ${c.ratio.toFixed(3)}`;
  const note = c.note === undefined ? '' : `; ${c.note}`;
  return `${fmtMs(c.timing.medianMs)} ms${ratio}${diff}${note}`;
}

/** The results as a Markdown table (`threads`: the second pass's count). */
export function formatTable(rows: readonly Row[], threads: number): string {
  const head = [
    'benchmark',
    'ours 1 thread, median ms',
    'min ms',
    'reps',
    'derived',
    `ours ${threads} threads, ms`,
    ...PEER_COLUMNS.map((p) => `${p} (1 thread)`),
  ];
  const lines = rows.map((r) => {
    const cells = PEER_COLUMNS.map((p) =>
      fmtCell(r.peers?.find((c) => c.peer === p)),
    );
    const all = r.allCores ? fmtMs(r.allCores.medianMs) : '';
    if (!r.timing)
      return [r.name, '', '', '', r.note ?? 'skipped', all, ...cells];
    const { medianMs, minMs, reps } = r.timing;
    return [
      r.name,
      fmtMs(medianMs),
      fmtMs(minMs),
      String(reps),
      r.derived ?? '',
      all,
      ...cells,
    ];
  });
  const all = [head, ...lines];
  const width = head.map((_, c) => Math.max(...all.map((l) => l[c].length)));
  const fmt = (l: string[]) =>
    `| ${l.map((v, c) => v.padEnd(width[c])).join(' | ')} |`;
  const rule = `|${width.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return [fmt(head), rule, ...lines.map(fmt)].join('\n');
}

/** Where and how the numbers were taken. */
export interface RunInfo {
  command: string;
  backend: string;
  date: string;
  cpu: string;
  node: string;
  totalSeconds: number;
}

export function machineInfo(): Pick<RunInfo, 'cpu' | 'node' | 'date'> {
  const list = cpus();
  const model = list[0]?.model.trim() ?? 'unknown cpu';
  const gib = (totalmem() / 2 ** 30).toFixed(0);
  return {
    cpu:
      `${model} (${list.length} logical cores, ${gib} GiB RAM, ` +
      `${process.platform}-${process.arch})`,
    node: process.version,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  };
}

export const START_MARKER =
  '<!-- bench:start (written by bench/run.ts; edits here are overwritten) -->';
export const END_MARKER = '<!-- bench:end -->';

/**
 * Replace the section between the markers in `path` (append it, with the
 * markers, when they are missing) with the table and how it was made.
 */
export function writeResults(path: string, table: string, info: RunInfo): void {
  const section = [
    START_MARKER,
    '',
    `Command: \`${info.command}\`  `,
    `Date: ${info.date}  `,
    `Machine: ${info.cpu}  `,
    `Node: ${info.node}, backend: ${info.backend}, ` +
      `whole run: ${info.totalSeconds.toFixed(0)} s`,
    '',
    table,
    '',
    END_MARKER,
  ].join('\n');
  const old = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  const start = old.indexOf(START_MARKER.slice(0, 18));
  const end = old.indexOf(END_MARKER);
  const next =
    start >= 0 && end > start
      ? old.slice(0, start) + section + old.slice(end + END_MARKER.length)
      : `${old.trimEnd()}\n\n${section}\n`;
  // atomically: a run stopped mid-write leaves the old file whole
  writeFileSync(`${path}.tmp`, next);
  renameSync(`${path}.tmp`, path);
}

/**
 * randomQp's options for the QP scripts' size nz,nEq (qp-cpu-time.ts,
 * qp-ab.ts): a batch of 128 float64 problems with nIneq = nz and the
 * bench's seed, nz + nEq, as the "qp fwd" rows use.
 */
export function qpSize(nz: number, nEq: number) {
  return {
    nBatch: 128,
    nz,
    nIneq: nz,
    nEq,
    dtype: 'float64' as const,
    seed: nz + nEq,
  };
}

/**
 * Rows as JSON with their non-finite numbers kept (a peer's Δ is Infinity
 * where its numbers are NaN: JSON alone would make it null), and back.
 * @example rowsFromJson(rowsToJson(rows)); // rows, Infinity and NaN kept
 */
export const rowsToJson = (rows: readonly Row[]): string =>
  JSON.stringify(rows, (_k, v: unknown) =>
    typeof v === 'number' && !Number.isFinite(v) ? { nonFinite: String(v) } : v,
  );
export const rowsFromJson = (text: string): Row[] =>
  JSON.parse(text, (_k, v: unknown) =>
    v !== null &&
    typeof v === 'object' &&
    Object.keys(v).length === 1 &&
    typeof (v as { nonFinite?: unknown }).nonFinite === 'string'
      ? Number((v as { nonFinite: string }).nonFinite)
      : v,
  ) as Row[];
