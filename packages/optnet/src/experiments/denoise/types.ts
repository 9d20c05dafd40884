/**
 * The types of a denoising run, shared by its training (train.ts) and its
 * run-folder files (run-files.ts).
 */
import type { ExperimentRunOptions } from '../common/run-epochs.js';
import type { DenoiseData, SignalSource } from './signals.js';

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
