/**
 * One Fashion-MNIST run: the classifier with the QP layer or the fully
 * connected one, Adam and cross-entropy, and what the run folder holds:
 * config.json, metrics.csv, errors.svg (train and test error per epoch)
 * and the checkpoint (`--resume` continues bit-identically).
 */
import { join } from 'node:path';
import {
  argmax,
  indexSelect,
  makeRng,
  scope,
  tensor,
  type Tensor,
} from '@optnet/tensor';
import { noGrad } from '@optnet/autograd';
import { Adam, crossEntropy, type Module } from '@optnet/nn';
import { writeFileAtomic } from '@optnet/nn/node';
import type { QpSolveInfo } from '../../api/types.js';
import { csvText } from '../common/run-dir.js';
import { formatPercent } from '../common/progress.js';
import { lineChartSvg } from '../common/svg-plot.js';
import { runEpochs, type ExperimentRunOptions } from '../common/run-epochs.js';
import type { EpochSums, StepResult } from '../common/train-loop.js';
import { FcClassifier } from './baselines.js';
import type { ClassifyData, ImageSet } from './data.js';
import { OptNetClassifier } from './optnet-model.js';

/** Everything that defines a run (saved as config.json). */
export interface ClassifyConfig {
  command: 'classify';
  model: 'optnet' | 'fc';
  /** Inequalities of the QP layer (optnet). */
  nIneq: number;
  lr: number;
  batch: number;
  epochs: number;
  seed: number;
  /** The data set's folder and how many images of each split. */
  data: { dir: string; train: number; test: number };
}

/** One epoch's line of metrics.csv. */
export interface ClassifyRecord {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  testAccuracy: number;
  /** Training QPs that did not solve this epoch (optnet only). */
  qpNotSolved: number;
  seconds: number;
}

/** Options of runClassify. */
export type ClassifyRunOptions = ExperimentRunOptions<
  ClassifyConfig,
  ClassifyData
>;

/**
 * The model a config names; `onResult` sees every QP solve (optnet).
 * @example
 * const model = buildClassifier(config);
 */
export function buildClassifier(
  c: ClassifyConfig,
  onResult?: (i: QpSolveInfo) => void,
): Module {
  const rng = makeRng(`classify-init/${c.seed}`);
  if (c.model === 'fc') return new FcClassifier({ rng });
  const qpOptions = { onNotSolved: 'return' as const, onResult };
  return new OptNetClassifier({ nIneq: c.nIneq, rng, qpOptions });
}

/** Images of `set` whose highest score is their label. */
function countCorrect(scores: Tensor, labels: Tensor): number {
  const guess = argmax(scores, 1).dataSync();
  const truth = labels.dataSync();
  let right = 0;
  for (let i = 0; i < truth.length; i++) if (guess[i] === truth[i]) right++;
  return right;
}

/**
 * Accuracy of `model` on `set`, in chunks of 1000 images.
 * @example
 * const acc = accuracy(model, data.test);
 */
export function accuracy(model: Module, set: ImageSet): number {
  let right = 0;
  for (let from = 0; from < set.n; from += 1000) {
    const to = Math.min(set.n, from + 1000);
    right += noGrad(() =>
      scope(() => {
        const idx = tensor(
          Int32Array.from({ length: to - from }, (_, i) => from + i),
          { dtype: 'int32' },
        );
        const scores = model.forward(indexSelect(set.images, 0, idx)) as Tensor;
        return countCorrect(scores, indexSelect(set.labels, 0, idx));
      }),
    );
  }
  return right / set.n;
}

/**
 * Train (or continue training) a classifier, writing the run folder.
 * @example
 * const { history } = await runClassify({ dir, config, data, resume: false });
 */
export async function runClassify(o: ClassifyRunOptions): Promise<{
  status: 'done' | 'interrupted';
  history: ClassifyRecord[];
}> {
  const { config: c, data, dir } = o;
  let failed = 0;
  const model = buildClassifier(c, (info) => {
    failed += info.status.filter((s) => s !== 'solved').length;
  });
  const opt = new Adam(model.parameters(), { lr: c.lr });
  const step = (rows: Int32Array): StepResult =>
    scope(() => {
      const idx = tensor(rows, { dtype: 'int32' });
      const labels = indexSelect(data.train.labels, 0, idx);
      const before = failed;
      const scores = model.forward(indexSelect(data.train.images, 0, idx));
      const loss = crossEntropy(scores as Tensor, labels);
      opt.zeroGrad();
      loss.backward();
      opt.step();
      const bad = failed - before;
      return {
        loss: loss.itemSync(),
        errors: rows.length - countCorrect(scores as Tensor, labels),
        count: rows.length,
        warning: bad > 0 ? `${bad}/${rows.length} QPs not solved` : undefined,
      };
    });
  let failedBefore = 0;
  const record = (e: number, sums: EpochSums, s: number): ClassifyRecord => {
    const qpNotSolved = failed - failedBefore;
    const testAccuracy = accuracy(model, data.test);
    failedBefore = failed; // the test set's solves do not count
    const trainAccuracy = 1 - sums.errors / sums.count;
    (o.stream ?? process.stderr).write(
      `epoch ${e}: train accuracy ${formatPercent(trainAccuracy)}, test accuracy ${formatPercent(testAccuracy)}, ` +
        `loss ${(sums.loss / sums.count).toFixed(4)}, ${s.toFixed(1)} s` +
        `${qpNotSolved > 0 ? `, ${qpNotSolved} QPs not solved` : ''}\n`,
    );
    const trainLoss = sums.loss / sums.count;
    return {
      epoch: e,
      trainLoss,
      trainAccuracy,
      testAccuracy,
      qpNotSolved,
      seconds: s,
    };
  };
  return runEpochs({
    dir,
    config: c,
    model,
    optimizer: opt,
    resume: o.resume,
    n: data.train.n,
    step,
    record,
    report: (h) => writeArtifacts(dir, c, h),
    stop: o.stop,
    stream: o.stream,
    unit: 'images',
  });
}

async function writeArtifacts(
  dir: string,
  c: ClassifyConfig,
  h: readonly ClassifyRecord[],
): Promise<void> {
  const header = [
    'epoch',
    'train_loss',
    'train_accuracy',
    'test_accuracy',
    'qp_not_solved',
    'seconds',
  ];
  const rows = h.map((r) => [
    r.epoch,
    r.trainLoss,
    r.trainAccuracy,
    r.testAccuracy,
    r.qpNotSolved,
    r.seconds.toFixed(2),
  ]);
  await writeFileAtomic(join(dir, 'metrics.csv'), csvText(header, rows));
  const svg = lineChartSvg({
    title: `Fashion-MNIST: ${c.model === 'optnet' ? 'FC-600, FC-10, OptNet-10' : 'FC-600, FC-10, FC-10'}, seed ${c.seed}`,
    xLabel: 'epoch',
    yLabel: 'error, % (100 − accuracy)',
    x: h.map((r) => r.epoch),
    // In percent, as the epoch lines print the accuracy.
    series: [
      {
        name: 'train',
        values: h.map((r) => 100 * (1 - r.trainAccuracy)),
        dashed: true,
      },
      { name: 'test', values: h.map((r) => 100 * (1 - r.testAccuracy)) },
    ],
    logY: true,
  });
  await writeFileAtomic(join(dir, 'errors.svg'), svg);
}
