/**
 * What the experiment commands share around their training run: where they
 * write, the flags `--resume` refuses, Ctrl-C, and the final JSON line.
 */
import { UsageError } from './flags.js';

/** Where an experiment command writes, and an extra stop signal (tests). */
export interface ExperimentIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown; isTTY?: boolean; columns?: number };
  /** Polled after each batch besides Ctrl-C. */
  stop?: () => boolean;
  /**
   * How the user runs the command line, for hints that name a command
   * (default 'optnet'; 'pnpm optnet' in a clone).
   */
  prog?: string;
}

/**
 * `cmd` ('optnet denoise') as the user runs it: with `io.prog` in place of
 * 'optnet'.
 * @example
 * asTyped('optnet denoise', { prog: 'pnpm optnet' }); // 'pnpm optnet denoise'
 */
export function asTyped(cmd: string, io: { prog?: string }): string {
  return cmd.replace(/^optnet\b/, io.prog ?? 'optnet');
}

/**
 * With --resume a run keeps its configuration: a UsageError when any flag
 * of `fixed` was given as well.
 * @example
 * refuseWithResume('optnet denoise', f.given, ['model', 'lr']);
 */
export function refuseWithResume(
  cmd: string,
  given: ReadonlySet<string>,
  fixed: readonly string[],
): void {
  const clash = fixed.filter((k) => given.has(k));
  if (clash.length > 0) {
    throw new UsageError(
      `${cmd}: --resume continues a run as it was configured; got --${clash.join(', --')} as well. ` +
        'Leave them out (only --epochs and --threads may change).',
    );
  }
}

/**
 * Run `train` with Ctrl-C turned into a stop request that the training
 * loop polls after each batch. Returns the exit code: 0 when it finished
 * (after printing `summary(result)` as one JSON line on stdout), 130 when it was
 * stopped (after saying how to resume).
 * @example
 * return runInterruptible(cmd, dir, io, (stop) => run({ stop }), (r) => ({ epochs: r.history.length }));
 */
export async function runInterruptible<
  T extends { status: 'done' | 'interrupted' },
>(
  cmd: string,
  dir: string,
  io: ExperimentIo,
  train: (stop: () => boolean) => Promise<T>,
  summary: (result: T) => Record<string, unknown>,
): Promise<number> {
  let stopping = false;
  const onSigint = (): void => {
    stopping = true;
    io.stderr.write(
      `\n${cmd}: stopping after this batch (the checkpoint keeps every finished batch)\n`,
    );
  };
  process.once('SIGINT', onSigint);
  try {
    const result = await train(() => stopping || (io.stop?.() ?? false));
    if (result.status === 'interrupted') {
      io.stderr.write(
        `${cmd}: interrupted; continue with: ${asTyped(cmd, io)} --resume ${dir}\n`,
      );
      return 130;
    }
    io.stdout.write(`${JSON.stringify(summary(result))}\n`);
    return 0;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

/**
 * Seconds since `t0` (a performance.now() reading), to two decimals.
 * @example
 * const seconds = secondsSince(t0); // 12.34
 */
export function secondsSince(t0: number): number {
  return Number(((performance.now() - t0) / 1000).toFixed(2));
}
