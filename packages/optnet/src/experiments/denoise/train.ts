/**
 * One denoising run: the TV baseline's λ sweep, or the training of OptNet
 * (tuned from TV's start) or of the fully connected net, and what the
 * run folder holds: config.json, metrics.csv (per epoch) or sweep.csv (per
 * λ), mse.svg (per epoch) or sweep.svg (per λ), signals.svg (test signals
 * with their noisy and denoised versions), the checkpoint (sweep.json for
 * a sweep) and, for optnet, start.json (the test MSE before training:
 * TV's, the plot's reference line).
 */
import { join } from 'node:path';
import { indexSelect, makeRng, scope, tensor } from '@optnet/tensor';
import type { Tensor } from '@optnet/tensor';
import { Adam, mseLoss, type Module } from '@optnet/nn';
import { writeFileAtomic } from '@optnet/nn/node';
import type { QpSolveInfo } from '../../api/types.js';
import { csvText, readJson, writeJson } from '../common/run-dir.js';
import { lineChartSvg } from '../common/svg-plot.js';
import { runEpochs, type ExperimentRunOptions } from '../common/run-epochs.js';
import {
  yieldToEvents,
  type EpochSums,
  type StepResult,
} from '../common/train-loop.js';
import { FcDenoise } from './baselines.js';
import { OptNetDenoise } from './optnet-model.js';
import { OptNetTunedDenoise } from './tuned-model.js';
import { signalsSvg } from './plots.js';
import {
  SIGNAL_LENGTH,
  signalTensor,
  type DenoiseData,
  type SignalSet,
  type SignalSource,
} from './signals.js';
import {
  bestPoint,
  meanSquaredError,
  nextLambda,
  type SweepPoint,
} from './sweep.js';

/** Everything that defines a run (saved as config.json). */
export interface DenoiseConfig {
  command: 'denoise';
  model: 'optnet' | 'tv' | 'fc';
  /**
   * What optnet learns: 'qp', every matrix of a general QP started at TV
   * (the paper's "OptNet tuned from TV"), or 'D', only TV's difference
   * operator. Absent in run folders from before it existed: 'D'.
   */
  learn?: 'qp' | 'D';
  /** TV's weight (optnet: D's start); null until the sweep picks it. */
  lambda: number | null;
  /** Training signals the λ sweep evaluates (the first N; null: all). */
  sweepSize?: number | null;
  /** Hidden units of fc. */
  width: number;
  lr: number;
  batch: number;
  epochs: number;
  seed: number;
  data: SignalSource;
}

/** One epoch's line of metrics.csv. */
export interface DenoiseRecord {
  epoch: number;
  /** Mean loss over the epoch's batches. */
  trainMse: number;
  testMse: number;
  /** Training QPs that did not solve this epoch (optnet only). */
  qpNotSolved: number;
  seconds: number;
}

/** How a run ended and its final MSEs. */
export interface DenoiseResult {
  status: 'done' | 'interrupted';
  epochs: number;
  lambda: number | null;
  trainMse: number | null;
  testMse: number | null;
}

/** Options of runDenoise. */
export type DenoiseRunOptions = ExperimentRunOptions<
  DenoiseConfig,
  DenoiseData
>;

/**
 * The model a config names (optnet and tv need `config.lambda`).
 * @example
 * const model = buildDenoiser({ ...config, model: 'tv', lambda: 20 });
 */
export function buildDenoiser(
  c: DenoiseConfig,
  onResult?: (i: QpSolveInfo) => void,
): Module {
  const n = c.data.length ?? SIGNAL_LENGTH;
  if (c.model === 'fc') {
    const rng = makeRng(`denoise-init/${c.seed}`);
    return new FcDenoise({ n, width: c.width, rng });
  }
  const qpOptions = { onNotSolved: 'return' as const, onResult };
  if (c.model === 'optnet' && c.learn === 'qp') {
    return new OptNetTunedDenoise({ n, lambda: c.lambda!, qpOptions });
  }
  return new OptNetDenoise({ n, lambda: c.lambda!, qpOptions });
}

/**
 * Run `--model tv` (the sweep), or train optnet (after the sweep when no λ
 * was given) or fc, writing the run folder.
 * @example
 * const r = await runDenoise({ dir, config, data, resume: false });
 */
export async function runDenoise(o: DenoiseRunOptions): Promise<DenoiseResult> {
  let c = o.config;
  if (c.model !== 'fc' && c.lambda === null) {
    const sweep = await runSweep(o);
    if (sweep.status === 'interrupted' || c.model === 'tv') return sweep;
    c = { ...c, lambda: sweep.lambda };
    await writeJson(o.dir, 'config.json', c);
  } else if (c.model === 'tv') {
    return runSweep(o);
  }
  return train({ ...o, config: c });
}

/** The sweep's state file (its checkpoint). */
const SWEEP_STATE = 'sweep.json';

/**
 * TV's training MSE at each λ of the sweep (or only at `config.lambda`
 * for tv with a given λ); then the test MSE at the best.
 */
async function runSweep(o: DenoiseRunOptions): Promise<DenoiseResult> {
  const { config: c, data, dir } = o;
  const stream = o.stream ?? process.stderr;
  const points: SweepPoint[] = o.resume ? sweepState(dir) : [];
  const sweepSet = firstSignals(data.train, c.sweepSize ?? data.train.n);
  // tv with a given λ evaluates that one point; otherwise the sweep's next.
  const pending = (): number | null =>
    c.model === 'tv' && c.lambda !== null
      ? points.length === 0
        ? c.lambda
        : null
      : nextLambda(points);
  if (o.resume && pending() === null) {
    stream.write(
      `optnet denoise: ${dir} already finished its λ sweep (${points.length} points); nothing to sweep, only the test MSE at its best λ to measure.\n`,
    );
  }
  for (let lambda = pending(); lambda !== null; lambda = pending()) {
    const model = buildDenoiser({ ...c, model: 'tv', lambda });
    const mse = await meanSquaredError(model, sweepSet, {
      label: `TV λ ${lambda}`,
      stream,
      stop: o.stop,
    });
    if (mse === null) return { ...nothing(), status: 'interrupted' };
    points.push({ lambda, mse });
    stream.write(`TV λ ${lambda}: train MSE ${mse.toFixed(3)}\n`);
    await writeJson(dir, SWEEP_STATE, { points });
    await writeSweepArtifacts(dir, points);
    await yieldToEvents(); // let a Ctrl-C handler run
    if (pending() !== null && o.stop?.()) {
      return { ...nothing(), status: 'interrupted' };
    }
  }
  return sweepResult(o, points);
}

/** The sweep's end: TV's test MSE at the best λ (tv: and signals.svg). */
async function sweepResult(
  o: DenoiseRunOptions,
  points: readonly SweepPoint[],
): Promise<DenoiseResult> {
  const { config: c, data, dir } = o;
  const best = bestPoint(points);
  const model = buildDenoiser({ ...c, model: 'tv', lambda: best.lambda });
  const testMse = (await meanSquaredError(model, data.test))!;
  (o.stream ?? process.stderr).write(
    `TV: best λ ${best.lambda} (train MSE ${best.mse.toFixed(3)}), test MSE ${testMse.toFixed(3)}\n`,
  );
  if (c.model === 'tv') {
    await writeFileAtomic(join(dir, 'signals.svg'), signalsSvg(model, data));
  }
  return {
    status: 'done',
    epochs: 0,
    lambda: best.lambda,
    trainMse: best.mse,
    testMse,
  };
}

/** The first `n` signals of a set. */
function firstSignals(set: SignalSet, n: number): SignalSet {
  const k = Math.min(n, set.n);
  const end = k * set.length;
  return {
    n: k,
    length: set.length,
    clean: set.clean.subarray(0, end),
    noisy: set.noisy.subarray(0, end),
  };
}

function sweepState(dir: string): SweepPoint[] {
  try {
    return (readJson(dir, SWEEP_STATE) as { points: SweepPoint[] }).points;
  } catch {
    return []; // stopped before its first λ finished
  }
}

const nothing = (): Omit<DenoiseResult, 'status'> => ({
  epochs: 0,
  lambda: null,
  trainMse: null,
  testMse: null,
});

async function writeSweepArtifacts(
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

/** Train optnet or fc for the config's epochs (resumable). */
async function train(o: DenoiseRunOptions): Promise<DenoiseResult> {
  const { config: c, data, dir } = o;
  let failed = 0;
  const model = buildDenoiser(c, (info) => {
    failed += info.status.filter((s) => s !== 'solved').length;
  });
  const opt = new Adam(model.parameters(), { lr: c.lr });
  const y = signalTensor(data.train, 'noisy', 'float64');
  const x = signalTensor(data.train, 'clean', 'float64');
  const step = (rows: Int32Array): StepResult =>
    scope(() => {
      const idx = tensor(rows, { dtype: 'int32' });
      const before = failed;
      const z = model.forward(indexSelect(y, 0, idx)) as Tensor;
      const loss = mseLoss(z, indexSelect(x, 0, idx));
      opt.zeroGrad();
      loss.backward();
      opt.step();
      const bad = failed - before;
      const warning =
        bad > 0
          ? `${bad}/${rows.length} QPs not solved (their last iterate is used)`
          : undefined;
      return { loss: loss.itemSync(), errors: 0, count: rows.length, warning };
    });
  let failedBefore = 0;
  const record = async (
    e: number,
    sums: EpochSums,
    s: number,
  ): Promise<DenoiseRecord> => {
    const qpNotSolved = failed - failedBefore;
    const testMse = (await meanSquaredError(model, data.test))!;
    failedBefore = failed; // the test set's solves do not count
    const rec = { epoch: e, trainMse: sums.loss / sums.count, testMse };
    (o.stream ?? process.stderr).write(
      `epoch ${e}: train MSE ${rec.trainMse.toFixed(3)}, test MSE ${testMse.toFixed(3)}, ${s.toFixed(1)} s` +
        `${qpNotSolved > 0 ? `, ${qpNotSolved} QPs not solved` : ''}\n`,
    );
    return { ...rec, qpNotSolved, seconds: s };
  };
  const start = await startMse(o, model);
  const r = await runEpochs({
    dir,
    config: c,
    model,
    optimizer: opt,
    resume: o.resume,
    n: data.train.n,
    step,
    record,
    report: (h) => writeTrainArtifacts(dir, c, h, model, data, start),
    stop: o.stop,
    stream: o.stream,
    unit: 'signals',
    showError: false,
  });
  const last = r.history[r.history.length - 1];
  return {
    status: r.status,
    epochs: last?.epoch ?? 0,
    lambda: c.lambda,
    trainMse: last?.trainMse ?? null,
    testMse: last?.testMse ?? null,
  };
}

/** The start's file: optnet's test MSE before training (TV's). */
const START = 'start.json';

/**
 * optnet's test MSE at its start (TV at λ, up to ε), measured before the
 * first step and kept in start.json for the plot's reference line; null
 * for fc, and for a resumed run folder from before the file existed.
 */
async function startMse(
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
