/** What a benchmark entry is. */
import type { PeerOrReason } from './peers/src/index.js';
import type { Row } from './util.js';

/** What a run of an entry gets. */
export interface RunContext {
  /**
   * The JavaScript peers (TF.js-wasm, jax-js) to time beside ours, or
   * null for ours only, no python peer either (`--no-peers`, and the
   * every-core pass).
   */
  peers: readonly PeerOrReason[] | null;
}

/** A row's result: its fields, or whole rows (an entry giving several). */
export type EntryResult = Omit<Row, 'name'> | Row[];

export interface Entry {
  /** Shown in the table; `pnpm bench <text>` picks entries by name. */
  name: string;
  /** Set up, time, and return the row (throw Skip when an op is missing). */
  run(ctx: RunContext): Promise<EntryResult>;
}
