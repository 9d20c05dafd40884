/**
 * Helpers of the experiment commands' end-to-end tests: run a command with
 * its output captured (and a stop after N polls, as Ctrl-C would), run the
 * CLI's main, and read a checkpoint back as comparable numbers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeSafetensors } from '@optnet/nn';
import { main } from '../../src/cli.js';
import type { ExperimentIo } from '../../src/experiments/common/command.js';

/** A finished command: its exit code and what it wrote. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `command(argv, io)` with captured output; stop polled true after `stopAfter` polls. */
export async function runCaptured(
  command: (argv: readonly string[], io: ExperimentIo) => Promise<number>,
  argv: readonly string[],
  stopAfter = Infinity,
): Promise<Run> {
  let stdout = '';
  let stderr = '';
  let polls = 0;
  const code = await command(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
    stop: () => ++polls >= stopAfter,
  });
  return { code, stdout, stderr };
}

/** main(argv) with stdout/stderr captured (usage errors go through main). */
export async function cli(...argv: string[]): Promise<Run> {
  const saved = [process.stdout.write, process.stderr.write];
  let stdout = '';
  let stderr = '';
  process.stdout.write = ((s: string) => (
    (stdout += s),
    true
  )) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => (
    (stderr += s),
    true
  )) as typeof process.stderr.write;
  try {
    return { code: await main(argv), stdout, stderr };
  } finally {
    [process.stdout.write, process.stderr.write] = saved;
  }
}

/** The last stdout line as JSON. */
export function summaryOf(r: Run): Record<string, unknown> {
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<
    string,
    unknown
  >;
}

/** A run folder's checkpoint: every tensor's values, the loop position, the history (times zeroed). */
export function snapshot(dir: string): {
  tensors: Record<string, number[]>;
  loop: string;
  history: unknown;
} {
  const { tensors, metadata } = decodeSafetensors(
    readFileSync(join(dir, 'checkpoint.safetensors')),
  );
  const out: Record<string, number[]> = {};
  for (const [k, t] of tensors) out[k] = Array.from(t.dataSync());
  const history = (JSON.parse(metadata.history) as { seconds: number }[]).map(
    (h) => ({ ...h, seconds: 0 }),
  );
  return { tensors: out, loop: metadata.loop, history };
}

/** A CSV file's header and its rows as numbers (each checked finite). */
export function readCsv(path: string): { header: string; rows: number[][] } {
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  const rows = lines.slice(1).map((l) => l.split(',').map(Number));
  for (const row of rows) {
    if (!row.every(Number.isFinite)) throw new Error(`${path}: ${row}`);
  }
  return { header: lines[0], rows };
}
