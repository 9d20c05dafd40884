/**
 * One Sudoku training run: data, model, Adam, the epoch loop, and what the
 * run folder holds (config.json, metrics.csv, errors.svg and
 * checkpoint.safetensors with the model, the optimizer and the loop's
 * position, so `--resume` continues bit-identically).
 */
import { join } from 'node:path';
import {
  indexSelect,
  makeRng,
  scope,
  tensor,
  type FloatDType,
  type Tensor,
} from '@optnet/tensor';
import { noGrad } from '@optnet/autograd';
import { Adam, mseLoss, type Module } from '@optnet/nn';
import { writeFileAtomic } from '@optnet/nn/node';
import type { QpOptions, QpSolveInfo } from '../../api/types.js';
import { csvText } from '../common/run-dir.js';
import { formatPercent } from '../common/progress.js';
import { lineChartSvg } from '../common/svg-plot.js';
import type { EpochSums, StepResult } from '../common/train-loop.js';
import { runEpochs, type ExperimentRunOptions } from '../common/run-epochs.js';
import { ConvSudoku, FcSudoku } from './baselines.js';
import { boardTensor, type DataSource, type SudokuData } from './data.js';
import { OptNetSudoku } from './optnet-model.js';
import { argmaxBoards, type SudokuPair } from './puzzles.js';

/** Everything that defines a run (saved as config.json). */
export interface SudokuConfig {
  command: 'sudoku';
  model: 'optnet' | 'conv' | 'fc';
  /** Filters (conv) or hidden units (fc); unused by optnet. */
  width: number;
  dtype: FloatDType;
  lr: number;
  batch: number;
  epochs: number;
  seed: number;
  data: DataSource;
  /**
   * The QP layer's KKT reduction (optnet only; a run saved before the
   * option existed has none: see `reductionOf`).
   */
  kkt?: 'dual' | 'bounds';
  /**
   * Whether the optnet model polishes its QP answers (a run saved before
   * the option existed has none: see `polishOf`).
   */
  polish?: boolean;
}

/**
 * The reduction a run's optnet model uses: its config's, or 'dual' for a
 * run saved before `kkt` existed (what it trained with).
 * @example reductionOf({ ...config, kkt: undefined }); // 'dual'
 */
export function reductionOf(c: SudokuConfig): 'dual' | 'bounds' {
  return c.kkt ?? 'dual';
}

/**
 * Whether a run's optnet model polishes: its config's, or true for a run
 * saved before `polish` existed (what it trained with).
 * @example polishOf({ ...config, polish: undefined }); // true
 */
export function polishOf(c: SudokuConfig): boolean {
  return c.polish ?? true;
}

/** One epoch's line of metrics.csv. */
export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  trainError: number;
  testError: number;
  /** Training QPs that did not solve this epoch (optnet only). */
  qpNotSolved: number;
  seconds: number;
}

/** What the run prints at the end. */
export interface RunSummary {
  status: 'done' | 'interrupted';
  history: EpochRecord[];
  /** Epochs this call finished (0 when a resumed run had none left). */
  newEpochs: number;
}

/** The model a config names; `qpOptions` go to the OptNet layer. */
export function buildModel(c: SudokuConfig, qpOptions: QpOptions = {}): Module {
  const rng = makeRng(`sudoku-init/${c.seed}`);
  if (c.model === 'optnet') {
    return new OptNetSudoku({
      dtype: c.dtype,
      rng,
      qpOptions: { ...qpOptions, kkt: reductionOf(c), polish: polishOf(c) },
    });
  }
  const o = { width: c.width, dtype: c.dtype, rng };
  return c.model === 'conv' ? new ConvSudoku(o) : new FcSudoku(o);
}

/** Puzzles whose argmax board is not exactly the solution. */
function countErrors(z: Tensor, pairs: readonly SudokuPair[]): number {
  const boards = argmaxBoards(z.dataSync());
  return boards.filter((b, i) => b !== pairs[i].solution).length;
}

function notSolved(info: QpSolveInfo | null): number[] {
  if (info === null) return [];
  return info.status.flatMap((s, i) => (s === 'solved' ? [] : [i]));
}

function describeFailures(info: QpSolveInfo, bad: number[]): string {
  const kinds = new Map<string, number>();
  for (const i of bad)
    kinds.set(info.status[i], (kinds.get(info.status[i]) ?? 0) + 1);
  const what = [...kinds].map(([s, k]) => `${k} ${s}`).join(', ');
  return `${bad.length}/${info.status.length} QPs not solved (${what}); they count as errors and are left out of this batch's loss`;
}

/** The files a run writes after each epoch. */
async function writeArtifacts(
  dir: string,
  c: SudokuConfig,
  h: readonly EpochRecord[],
): Promise<void> {
  const header = [
    'epoch',
    'train_loss',
    'train_error',
    'test_error',
    'qp_not_solved',
    'seconds',
  ];
  const rows = h.map((r) => [
    r.epoch,
    r.trainLoss,
    r.trainError,
    r.testError,
    r.qpNotSolved,
    r.seconds.toFixed(2),
  ]);
  await writeFileAtomic(join(dir, 'metrics.csv'), csvText(header, rows));
  const svg = lineChartSvg({
    title: `4x4 Sudoku: ${c.model}${c.model === 'optnet' ? '' : ` (width ${c.width})`}, seed ${c.seed}`,
    xLabel: 'epoch',
    yLabel: 'error, % of puzzles not solved exactly',
    x: h.map((r) => r.epoch),
    // In percent, as the epoch lines print them.
    series: [
      {
        name: 'train',
        values: h.map((r) => 100 * r.trainError),
        dashed: true,
      },
      { name: 'test', values: h.map((r) => 100 * r.testError) },
    ],
    logY: true,
    floor: 0.01,
  });
  await writeFileAtomic(join(dir, 'errors.svg'), svg);
}

/** Options of runSudoku. */
export type RunOptions = ExperimentRunOptions<SudokuConfig, SudokuData>;

/**
 * Train (or continue training) a Sudoku model, writing the run folder.
 * @example
 * const { history } = await runSudoku({ dir, config, data, resume: false });
 */
export async function runSudoku(o: RunOptions): Promise<RunSummary> {
  const { config: c, data, dir } = o;
  let info: QpSolveInfo | null = null;
  const model = buildModel(c, {
    onNotSolved: 'return',
    onResult: (i) => (info = i),
  });
  const x = boardTensor(data.train, 'quiz', c.dtype);
  const y = boardTensor(data.train, 'solution', c.dtype);
  const opt = new Adam(model.parameters(), { lr: c.lr });
  let failedThisEpoch = 0;

  const step = (rows: Int32Array): StepResult =>
    scope(() => {
      const pairs = Array.from(rows, (r) => data.train[r]);
      let idx = tensor(rows, { dtype: 'int32' });
      info = null;
      let z = model.forward(indexSelect(x, 0, idx)) as Tensor;
      const bad = notSolved(info);
      let warning: string | undefined;
      let kept = pairs;
      if (bad.length > 0) {
        failedThisEpoch += bad.length;
        warning = describeFailures(info!, bad);
        const keep = Array.from(rows).filter((_, i) => !bad.includes(i));
        if (keep.length === 0)
          return { loss: 0, errors: rows.length, count: rows.length, warning };
        idx = tensor(Int32Array.from(keep), { dtype: 'int32' });
        kept = keep.map((r) => data.train[r]);
        z = model.forward(indexSelect(x, 0, idx)) as Tensor;
      }
      const loss = mseLoss(z, indexSelect(y, 0, idx));
      opt.zeroGrad();
      loss.backward();
      opt.step();
      const errors = countErrors(z, kept) + bad.length;
      return { loss: loss.itemSync(), errors, count: rows.length, warning };
    });

  const testError = (): number => {
    let errors = 0;
    const chunk = 500;
    for (let i = 0; i < data.test.length; i += chunk) {
      const part = data.test.slice(i, i + chunk);
      errors += noGrad(() =>
        scope(() =>
          countErrors(
            model.forward(boardTensor(part, 'quiz', c.dtype)) as Tensor,
            part,
          ),
        ),
      );
    }
    return errors / data.test.length;
  };

  const record = (
    epoch: number,
    sums: EpochSums,
    seconds: number,
  ): EpochRecord => {
    const rec: EpochRecord = {
      epoch,
      trainLoss: sums.loss / sums.count,
      trainError: sums.errors / sums.count,
      testError: testError(),
      qpNotSolved: failedThisEpoch,
      seconds,
    };
    failedThisEpoch = 0;
    (o.stream ?? process.stderr).write(
      `epoch ${epoch}: train error ${formatPercent(rec.trainError)}, test error ${formatPercent(rec.testError)}, ` +
        `loss ${rec.trainLoss.toExponential(3)}, ${rec.seconds.toFixed(1)} s` +
        `${rec.qpNotSolved > 0 ? `, ${rec.qpNotSolved} QPs not solved` : ''}\n`,
    );
    return rec;
  };

  return runEpochs({
    dir,
    config: c,
    model,
    optimizer: opt,
    resume: o.resume,
    n: data.train.length,
    step,
    record,
    report: (h) => writeArtifacts(dir, c, h),
    stop: o.stop,
    stream: o.stream,
    unit: 'puzzles',
  });
}
