/** What a benchmark entry is. */
import type { Row } from './util.js';

export interface Entry {
  /** Shown in the table; `pnpm bench <text>` picks entries by name. */
  name: string;
  /**
   * Reference time in ms on the same machines: TensorFlow.js pure-JS CPU, or
   * qpth for the QP entries.
   */
  referenceMs?: number;
  /** Set up, time, and return the row (throw Skip when an op is missing). */
  run(): Promise<Omit<Row, 'name' | 'referenceMs'>>;
}
