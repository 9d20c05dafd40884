/** What a benchmark entry is. */
import type { Row } from './util.js';

export interface Entry {
  /** Shown in the table; `pnpm bench <text>` picks entries by name. */
  name: string;
  /** TensorFlow.js pure-JS CPU time on the same machines, in ms. */
  referenceMs?: number;
  /** Set up, time, and return the row (throw Skip when an op is missing). */
  run(): Promise<Omit<Row, 'name' | 'referenceMs'>>;
}
