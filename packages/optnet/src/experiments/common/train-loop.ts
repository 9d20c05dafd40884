/**
 * The epoch loop of the experiment commands, written so that a run can stop
 * after any batch and resume bit-identically:
 *
 * - the batch order of an epoch is a permutation drawn from a generator
 *   restored from a saved state (`rngState`), so an epoch resumed in its
 *   middle replays the same order and skips the batches already done;
 * - the position (epoch, next batch, the epoch's running sums) is plain
 *   data the caller stores in its checkpoint (`LoopState`);
 * - `stop()` is polled after every batch (Ctrl-C sets it): the loop then
 *   hands the position to `checkpoint` and returns 'interrupted'. The steps
 *   are synchronous, so the loop yields to the event loop before polling:
 *   a SIGINT handler runs only then.
 */
import { restoreRng, rngState, type Rng } from '@optnet/tensor';
import { permutation } from '@optnet/nn';
import { Progress, type ProgressStream } from './progress.js';

/** What one training step reports. */
export interface StepResult {
  /** The batch's mean loss. */
  loss: number;
  /** Examples in the batch that the model got wrong (for an error rate). */
  errors: number;
  /** Examples in the batch. */
  count: number;
  /** A line to print (e.g. QPs that did not solve); the loop goes on. */
  warning?: string;
}

/** Running sums of an epoch's steps. */
export interface EpochSums {
  loss: number;
  errors: number;
  count: number;
  batches: number;
}

/** Where a run stands: enough to resume it exactly. */
export interface LoopState {
  /** The epoch in progress (1-based). */
  epoch: number;
  /** Batches of this epoch already done. */
  nextBatch: number;
  /** The batch-order generator's state at the start of this epoch. */
  rng: string;
  sums: EpochSums;
}

/** Options of trainLoop. */
export interface TrainLoopOptions {
  /** Training examples (rows 0..n−1). */
  n: number;
  batchSize: number;
  /** Last epoch to run (1-based, inclusive). */
  epochs: number;
  /** Where to start: a fresh run's `startState(rng)`, or a checkpoint's. */
  state: LoopState;
  /** Train on these rows; called once per batch. */
  step: (rows: Int32Array) => StepResult;
  /** After each epoch: evaluate, record, save (gets the next epoch's start). */
  endEpoch: (epoch: number, sums: EpochSums, next: LoopState) => Promise<void>;
  /** Save the position after an interrupted batch. */
  checkpoint: (state: LoopState) => Promise<void>;
  /** Polled after every batch; true stops the loop. */
  stop?: () => boolean;
  /** Progress output (default process.stderr). */
  stream?: ProgressStream;
  /** What an example is called in the progress rate ('puzzles'). */
  unit?: string;
  /** Show the running error rate in the progress line (default true). */
  showError?: boolean;
}

const zeroSums = (): EpochSums => ({
  loss: 0,
  errors: 0,
  count: 0,
  batches: 0,
});

/**
 * The state of a fresh run whose batch orders come from `rng`.
 * @example
 * const state = startState(makeRng('1/batches'));
 */
export function startState(rng: Rng): LoopState {
  const s = rngState(rng);
  if (s === null) {
    throw new TypeError(
      'startState: the rng must come from makeRng (its state is saved)',
    );
  }
  return { epoch: 1, nextBatch: 0, rng: s, sums: zeroSums() };
}

/**
 * Run epochs `state.epoch..epochs`; 'done' when all ran, 'interrupted' when
 * `stop()` asked to stop (after `checkpoint` was called).
 * @example
 * await trainLoop({ n, batchSize: 150, epochs: 20, state, step, endEpoch, checkpoint });
 */
export async function trainLoop(
  o: TrainLoopOptions,
): Promise<'done' | 'interrupted'> {
  let state = o.state;
  const nBatches = Math.ceil(o.n / o.batchSize);
  while (state.epoch <= o.epochs) {
    const rng = restoreRng(state.rng);
    const order = permutation(o.n, rng);
    const sums = { ...state.sums };
    const bar = new Progress({
      total: nBatches,
      label: `epoch ${state.epoch}/${o.epochs}`,
      unit: o.unit,
      stream: o.stream,
    });
    for (let k = state.nextBatch; k < nBatches; k++) {
      const rows = order.subarray(k * o.batchSize, (k + 1) * o.batchSize);
      const r = o.step(rows);
      addStep(sums, r);
      if (r.warning !== undefined) {
        bar.finish();
        (o.stream ?? process.stderr).write(
          `epoch ${state.epoch} batch ${k + 1}: ${r.warning}\n`,
        );
      }
      bar.update(k + 1, r.count, fields(sums, o.showError ?? true));
      await yieldToEvents();
      if (k + 1 < nBatches && o.stop?.()) {
        bar.finish();
        await o.checkpoint({ ...state, nextBatch: k + 1, sums });
        return 'interrupted';
      }
    }
    bar.finish();
    const next: LoopState = {
      epoch: state.epoch + 1,
      nextBatch: 0,
      rng: rngState(rng)!,
      sums: zeroSums(),
    };
    await o.endEpoch(state.epoch, sums, next);
    state = next;
    if (state.epoch <= o.epochs && o.stop?.()) return 'interrupted';
  }
  return 'done';
}

/**
 * Let pending events (a Ctrl-C's SIGINT handler) run between two
 * synchronous steps.
 * @example
 * await yieldToEvents();
 */
export function yieldToEvents(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function fields(sums: EpochSums, showError: boolean): Record<string, string> {
  const loss = (sums.loss / sums.count).toExponential(2);
  if (!showError) return { loss };
  return { loss, error: `${((100 * sums.errors) / sums.count).toFixed(1)}%` };
}

function addStep(sums: EpochSums, r: StepResult): void {
  sums.loss += r.loss * r.count;
  sums.errors += r.errors;
  sums.count += r.count;
  sums.batches += 1;
}
