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
import { readJson, writeJson } from '../common/run-dir.js';
import { runEpochs, type RunEpochsResult } from '../common/run-epochs.js';
import {
  yieldToEvents,
  type EpochSums,
  type StepResult,
} from '../common/train-loop.js';
import { FcDenoise } from './baselines.js';
import { OptNetDenoise } from './optnet-model.js';
import { OptNetTunedDenoise } from './tuned-model.js';
import { signalsSvg } from './plots.js';
import { SIGNAL_LENGTH, signalTensor, type SignalSet } from './signals.js';
import {
  bestPoint,
  meanSquaredError,
  nextLambda,
  type SweepPoint,
} from './sweep.js';
import {
  aboveStartNote,
  startMse,
  writeSweepArtifacts,
  writeTrainArtifacts,
} from './run-files.js';
import type {
  DenoiseConfig,
  DenoiseRecord,
  DenoiseResult,
  DenoiseRunOptions,
} from './types.js';

export type {
  DenoiseConfig,
  DenoiseRecord,
  DenoiseResult,
  DenoiseRunOptions,
} from './types.js';

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
  return trainResult(o, r, start);
}

/**
 * A training run's result; a note on stderr when it ended above its start
 * on the test set.
 */
function trainResult(
  o: DenoiseRunOptions,
  r: RunEpochsResult<DenoiseRecord>,
  start: number | null,
): DenoiseResult {
  const last = r.history.at(-1);
  const above = start !== null && last !== undefined && last.testMse > start;
  if (r.status === 'done' && above) {
    (o.stream ?? process.stderr).write(
      `${aboveStartNote(last.testMse, start, o.data.train.n)}\n`,
    );
  }
  return {
    status: r.status,
    epochs: last?.epoch ?? 0,
    lambda: o.config.lambda,
    trainMse: last?.trainMse ?? null,
    testMse: last?.testMse ?? null,
  };
}
