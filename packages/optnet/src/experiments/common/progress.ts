/**
 * Progress of a long loop on stderr: on a terminal, one line redrawn in place
 * (a bar, the fields the caller passes, items per second and the time left);
 * elsewhere (a log file, CI), a plain line every `interval` seconds.
 */

/** Where progress goes: a stream such as process.stderr. */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** Options of Progress. */
export interface ProgressOptions {
  /** Steps in the loop (e.g. batches in an epoch). */
  total: number;
  /** Printed first on each line (e.g. 'epoch 3/20'). */
  label: string;
  /** What one item is called in the rate (default 'items'). */
  unit?: string;
  /** Default process.stderr. */
  stream?: ProgressStream;
  /** Seconds between plain lines when the stream is not a terminal (10). */
  interval?: number;
  /** Clock in milliseconds (default performance.now; tests pass their own). */
  now?: () => number;
}

/**
 * A share (0 to 1) as a percentage with two decimals.
 * @example formatPercent(0.0123); // '1.23%'
 */
export function formatPercent(v: number): string {
  return `${(100 * v).toFixed(2)}%`;
}

/** Seconds as m:ss (or h:mm:ss). */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/**
 * A progress line for one loop.
 * @example
 * const bar = new Progress({ total: 60, label: 'epoch 1/20', unit: 'puzzles' });
 * for (let i = 0; i < 60; i++) bar.update(i + 1, 150, { loss: '0.012' });
 * bar.finish();
 */
export class Progress {
  readonly #o: Required<Omit<ProgressOptions, 'stream'>>;
  readonly #stream: ProgressStream;
  readonly #start: number;
  #items = 0;
  #lastPrint: number;
  #drawn = false;

  constructor(options: ProgressOptions) {
    this.#stream = options.stream ?? process.stderr;
    this.#o = {
      unit: 'items',
      interval: 10,
      now: () => performance.now(),
      ...options,
    };
    this.#start = this.#o.now();
    this.#lastPrint = this.#start;
  }

  /**
   * `done` of `total` steps finished; the last step handled `items` items;
   * `fields` are shown as `key value`.
   */
  update(done: number, items: number, fields: Record<string, string>): void {
    this.#items += items;
    const t = this.#o.now();
    const elapsed = (t - this.#start) / 1000;
    const rate = elapsed > 0 ? this.#items / elapsed : 0;
    const left = done > 0 ? (elapsed / done) * (this.#o.total - done) : NaN;
    const info = [
      ...Object.entries(fields).map(([k, v]) => `${k} ${v}`),
      `${rate.toFixed(0)} ${this.#o.unit}/s`,
      `${formatDuration(left)} left`,
    ].join(' · ');
    const count = `${done}/${this.#o.total}`;
    if (this.#stream.isTTY) {
      const width = Math.max(
        10,
        Math.min(30, (this.#stream.columns ?? 80) - 70),
      );
      const fill = Math.round((width * done) / this.#o.total);
      const bar = `[${'#'.repeat(fill)}${'.'.repeat(width - fill)}]`;
      this.#stream.write(`\r\x1b[2K${this.#o.label} ${bar} ${count} ${info}`);
      this.#drawn = true;
    } else if ((t - this.#lastPrint) / 1000 >= this.#o.interval) {
      this.#stream.write(`${this.#o.label} ${count} ${info}\n`);
      this.#lastPrint = t;
    }
  }

  /** Clear the redrawn line (on a terminal), so the next output starts clean. */
  finish(): void {
    if (this.#drawn) this.#stream.write('\r\x1b[2K');
    this.#drawn = false;
  }

  /** Seconds since the loop started. */
  get seconds(): number {
    return (this.#o.now() - this.#start) / 1000;
  }
}
