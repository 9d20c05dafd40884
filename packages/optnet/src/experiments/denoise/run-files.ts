/**
 * The files of a denoising run folder besides config.json and the
 * checkpoint: start.json (optnet's test MSE before training), metrics.csv
 * and mse.svg (per epoch), sweep.csv and sweep.svg (per λ) and
 * signals.svg; and the note a run that ended above its start prints.
 */
import { join } from 'node:path';
import type { Module } from '@optnet/nn';
import { writeFileAtomic } from '@optnet/nn/node';
import { csvText, readJson, writeJson } from '../common/run-dir.js';
import { lineChartSvg } from '../common/svg-plot.js';
import { signalsSvg } from './plots.js';
import type { DenoiseData } from './signals.js';
import { meanSquaredError, type SweepPoint } from './sweep.js';
import type {
  DenoiseConfig,
  DenoiseRecord,
  DenoiseRunOptions,
} from './types.js';

/**
 * What a run says when it ended above its start on the test set: not an
 * error (it trained as asked), but rarely what the user wanted.
 * @example
 * stream.write(`${aboveStartNote(16.2, 15.75, 100)}\n`);
 */
export function aboveStartNote(
  testMse: number,
  start: number,
  n: number,
): string {
  return (
    `optnet denoise: note: the test MSE ended at ${testMse.toFixed(3)}, above its TV start's ${start.toFixed(3)} (start.json). ` +
    `On a small training set (here ${n} signals) that is usually overfitting (or a learning rate too high). ` +
    'Try more signals (--train-size), fewer epochs (--epochs) or a lower --lr.'
  );
}

/** The start's file: optnet's test MSE before training (TV's). */
const START = 'start.json';

/**
 * optnet's test MSE at its start (TV at λ, up to ε), measured before the
 * first step and kept in start.json for the plot's reference line; null
 * for fc, and for a resumed run folder from before the file existed.
 * @example
 * const start = await startMse(o, model); // 15.75
 */
export async function startMse(
  o: DenoiseRunOptions,
  model: Module,
): Promise<number | null> {
  if (o.config.model !== 'optnet') return null;
  if (o.resume) {
    try {
      return (readJson(o.dir, START) as { testMse: number }).testMse;
    } catch {
      return null;
    }
  }
  const testMse = (await meanSquaredError(model, o.data.test))!;
  (o.stream ?? process.stderr).write(
    `start (TV at λ ${o.config.lambda}): test MSE ${testMse.toFixed(3)}\n`,
  );
  await writeJson(o.dir, START, { testMse });
  return testMse;
}

/**
 * Write a training run's metrics.csv, mse.svg and signals.svg from its
 * history (after every epoch; also to redraw a finished run's plots).
 * @example await writeTrainArtifacts(dir, config, history, model, data, 15.75);
 */
export async function writeTrainArtifacts(
  dir: string,
  c: DenoiseConfig,
  h: readonly DenoiseRecord[],
  model: Module,
  data: DenoiseData,
  start: number | null,
): Promise<void> {
  const header = ['epoch', 'train_mse', 'test_mse', 'qp_not_solved', 'seconds'];
  const rows = h.map((r) => [
    r.epoch,
    r.trainMse,
    r.testMse,
    r.qpNotSolved,
    r.seconds.toFixed(2),
  ]);
  await writeFileAtomic(join(dir, 'metrics.csv'), csvText(header, rows));
  const what =
    c.model === 'optnet'
      ? `${c.learn === 'qp' ? 'every matrix' : 'D'} learned from TV λ ${c.lambda}`
      : `width ${c.width}`;
  const svg = lineChartSvg({
    title: `Denoising: ${c.model} (${what}), seed ${c.seed}`,
    xLabel: 'epoch',
    yLabel: 'MSE',
    x: h.map((r) => r.epoch),
    series: [
      { name: 'train', values: h.map((r) => r.trainMse), dashed: true },
      { name: 'test', values: h.map((r) => r.testMse) },
      ...(start === null
        ? []
        : [
            {
              name: 'TV (start)',
              values: h.map(() => start),
              dashed: true,
              dots: false,
              color: '#7f7f7f',
            },
          ]),
    ],
    fitY: c.model === 'optnet',
    logY: c.model !== 'optnet',
  });
  await writeFileAtomic(join(dir, 'mse.svg'), svg);
  await writeFileAtomic(join(dir, 'signals.svg'), signalsSvg(model, data));
}

/**
 * Write the λ sweep's sweep.csv and sweep.svg (training MSE per λ).
 * @example await writeSweepArtifacts(dir, [{ lambda: 10, mse: 20.5 }]);
 */
export async function writeSweepArtifacts(
  dir: string,
  points: readonly SweepPoint[],
): Promise<void> {
  const sorted = [...points].sort((a, b) => a.lambda - b.lambda);
  const rows = sorted.map((p) => [p.lambda, p.mse]);
  await writeFileAtomic(
    join(dir, 'sweep.csv'),
    csvText(['lambda', 'train_mse'], rows),
  );
  const svg = lineChartSvg({
    title: 'TV denoising: training MSE against λ',
    xLabel: 'λ',
    yLabel: 'train MSE',
    x: sorted.map((p) => p.lambda),
    series: [{ name: 'TV', values: sorted.map((p) => p.mse) }],
    logX: true,
  });
  await writeFileAtomic(join(dir, 'sweep.svg'), svg);
}
