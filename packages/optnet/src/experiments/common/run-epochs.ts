/**
 * A training run whose state lives in its run folder: the model, the
 * optimizer, the loop's position and the history of epoch records go into
 * `checkpoint.safetensors` after every epoch (and when the run is stopped
 * mid-epoch), so `--resume` continues bit-identically. The experiment
 * supplies the step, what an epoch records, and how the records are shown.
 */
import { join } from 'node:path';
import { makeRng } from '@optnet/tensor';
import { NnError, type Module, type StatefulOptimizer } from '@optnet/nn';
import { UsageError } from './flags.js';
import { load, save } from '@optnet/nn/node';
import { writeJson } from './run-dir.js';
import type { ProgressStream } from './progress.js';
import {
  startState,
  trainLoop,
  type EpochSums,
  type LoopState,
  type StepResult,
} from './train-loop.js';

/** What every experiment's config.json holds (besides its own keys). */
export interface RunConfig {
  /** The command that wrote it ('sudoku', 'denoise', ...). */
  command: string;
  batch: number;
  epochs: number;
  seed: number;
}

/**
 * What an experiment's run function takes (runSudoku, runDenoise,
 * runClassify): its run folder, config and data, whether to resume, and
 * where progress goes.
 * @example
 * const o: ExperimentRunOptions<SudokuConfig, SudokuData> = { dir, config, data, resume: false };
 */
export interface ExperimentRunOptions<C, D> {
  dir: string;
  config: C;
  data: D;
  /** Continue from the checkpoint in `dir`. */
  resume: boolean;
  stream?: ProgressStream;
  /** Polled after each batch (Ctrl-C). */
  stop?: () => boolean;
}

/** Options of runEpochs. */
export interface RunEpochsOptions<C extends RunConfig, R> {
  dir: string;
  config: C;
  model: Module;
  optimizer: StatefulOptimizer;
  /** Continue from the checkpoint in `dir`. */
  resume: boolean;
  /** Training examples. */
  n: number;
  step: (rows: Int32Array) => StepResult;
  /** An epoch's record (evaluate the test set here); `seconds` it took. */
  record: (epoch: number, sums: EpochSums, seconds: number) => R | Promise<R>;
  /** Show the history so far: a line on stderr, the CSV, the plots. */
  report: (history: readonly R[]) => Promise<void>;
  stop?: () => boolean;
  stream?: ProgressStream;
  /** What an example is called in the progress rate. */
  unit?: string;
  /** Show the running error rate in the progress line (default true). */
  showError?: boolean;
}

/** How a run ended, and every epoch's record. */
export interface RunEpochsResult<R> {
  status: 'done' | 'interrupted';
  history: R[];
  /** Epochs this call finished (0 when a resumed run had none left). */
  newEpochs: number;
}

/** What a resumed run that has no epoch left to run says (one line). */
function nothingToTrain(dir: string, c: RunConfig, state: LoopState): string {
  const done = state.epoch - 1;
  const epochs = `${done} epoch${done === 1 ? '' : 's'}`;
  const had =
    done === c.epochs
      ? `already finished its ${epochs}`
      : `already trained ${epochs} and --epochs asks for ${c.epochs}`;
  return (
    `optnet ${c.command}: ${dir} ${had}; nothing to train. ` +
    `To train further, resume it with --epochs M (M > ${done}).`
  );
}

/** The checkpoint file of a run folder. */
export const CHECKPOINT = 'checkpoint.safetensors';

/**
 * Load the checkpoint of the run folder `dir` (that `flag` named) into
 * `model` (and `optimizer`). A missing or unreadable file, or one that
 * does not fit the model, is a UsageError that starts with `cmd`: one
 * line and exit code 2, not a stack trace.
 * @example
 * const { metadata } = await loadCheckpoint('optnet sudoku', '--run', dir, model);
 */
export async function loadCheckpoint(
  cmd: string,
  flag: string,
  dir: string,
  model: Module,
  optimizer?: StatefulOptimizer,
): Promise<{ metadata: Record<string, string> }> {
  const path = join(dir, CHECKPOINT);
  try {
    return await load(model, path, { optimizer });
  } catch (e) {
    if (!(e instanceof NnError)) throw e;
    const rule = `${cmd}: ${flag} needs the run's checkpoint`;
    throw new UsageError(
      e.code === 'FILE_ERROR'
        ? `${rule}; got no readable ${CHECKPOINT} in "${dir}". A run stopped before its first checkpoint has nothing to continue: start it again.`
        : e.code === 'SAFETENSORS_PARSE'
          ? `${rule}; got a damaged one: ${e.message} Start a new run.`
          : `${rule}; got ${path}, which does not fit the model its config.json describes (other names or shapes). Start a new run.`,
    );
  }
}

/**
 * Run epochs up to `config.epochs`, checkpointing into `dir`. The batch
 * order is drawn from `makeRng('<command>-batches/<seed>')`.
 * @example
 * const { history } = await runEpochs({ dir, config, model, optimizer,
 *   resume: false, n: 9000, step, record, report });
 */
export async function runEpochs<C extends RunConfig, R>(
  o: RunEpochsOptions<C, R>,
): Promise<RunEpochsResult<R>> {
  const c = o.config;
  const ckpt = join(o.dir, CHECKPOINT);
  let state: LoopState = startState(makeRng(`${c.command}-batches/${c.seed}`));
  let history: R[] = [];
  let newEpochs = 0;
  if (o.resume) {
    const cmd = `optnet ${c.command}`;
    const { metadata } = await loadCheckpoint(
      cmd,
      '--resume',
      o.dir,
      o.model,
      o.optimizer,
    );
    if (metadata.loop === undefined || metadata.history === undefined) {
      throw new UsageError(
        `${cmd}: --resume needs the checkpoint of a training run; got ${ckpt} without its position (loop, history). Start a new run.`,
      );
    }
    state = JSON.parse(metadata.loop) as LoopState;
    history = JSON.parse(metadata.history) as R[];
    if (state.epoch > c.epochs) {
      (o.stream ?? process.stderr).write(
        `${nothingToTrain(o.dir, c, state)}\n`,
      );
    }
  }
  const saveAt = (s: LoopState): Promise<void> =>
    save(o.model, ckpt, {
      optimizer: o.optimizer,
      metadata: { loop: JSON.stringify(s), history: JSON.stringify(history) },
    });
  let epochStart = performance.now();
  const endEpoch = async (
    epoch: number,
    sums: EpochSums,
    next: LoopState,
  ): Promise<void> => {
    const seconds = (performance.now() - epochStart) / 1000;
    history.push(await o.record(epoch, sums, seconds));
    newEpochs += 1;
    await o.report(history);
    await writeJson(o.dir, 'config.json', {
      ...c,
      epochs: Math.max(c.epochs, epoch),
    });
    await saveAt(next);
    epochStart = performance.now();
  };
  const status = await trainLoop({
    n: o.n,
    batchSize: c.batch,
    epochs: c.epochs,
    state,
    step: o.step,
    endEpoch,
    checkpoint: saveAt,
    stop: o.stop,
    stream: o.stream,
    unit: o.unit,
    showError: o.showError,
  });
  return { status, history, newEpochs };
}
