/**
 * The TV baseline's search for its weight λ on the training set: a coarse
 * log-spaced grid, then refinement around the best point so far. The next
 * λ is a pure function of the points already evaluated, so a sweep stopped
 * between two points resumes exactly (the points are its whole state).
 */
import { noGrad } from '@optnet/autograd';
import { scope, type Tensor } from '@optnet/tensor';
import type { Module } from '@optnet/nn';
import { Progress, type ProgressStream } from '../common/progress.js';
import { yieldToEvents } from '../common/train-loop.js';
import { signalTensor, type SignalSet } from './signals.js';

/** One evaluated weight: the training MSE of TV denoising with it. */
export interface SweepPoint {
  lambda: number;
  mse: number;
}

/** The grid evaluated first: λ = 10^(k/2) for k = 1, 2, 3. */
export const SWEEP_GRID: readonly number[] = [3.162, 10, 31.62];

/** The grid's spacing: how far the sweep steps out past an edge. */
const GRID_STEP = Math.sqrt(10);

/** Points evaluated after the grid. */
export const SWEEP_REFINE = 5;

/**
 * The λ to evaluate next, or null when the sweep is done. After the grid,
 * each step looks at the best point so far: at an edge of the points, it
 * steps out by the grid's spacing; otherwise it bisects (in log λ) the
 * wider of the two gaps to its neighbours.
 * @example
 * nextLambda([]); // 3.162, the grid's first point
 */
export function nextLambda(points: readonly SweepPoint[]): number | null {
  if (points.length < SWEEP_GRID.length) return SWEEP_GRID[points.length];
  if (points.length >= SWEEP_GRID.length + SWEEP_REFINE) return null;
  const sorted = [...points].sort((a, b) => a.lambda - b.lambda);
  const best = bestPoint(sorted);
  const i = sorted.indexOf(best);
  if (i === 0) return round(best.lambda / GRID_STEP);
  if (i === sorted.length - 1) return round(best.lambda * GRID_STEP);
  const [lb, lo, hi] = [best, sorted[i - 1], sorted[i + 1]].map((p) =>
    Math.log(p.lambda),
  );
  const wider = lb - lo >= hi - lb ? lo : hi;
  return round(Math.exp((lb + wider) / 2));
}

const round = (v: number): number => Number(v.toPrecision(4));

/**
 * The point with the lowest MSE (the first on a tie).
 * @example
 * bestPoint([{ lambda: 1, mse: 9 }, { lambda: 3, mse: 4 }]); // λ = 3
 */
export function bestPoint(points: readonly SweepPoint[]): SweepPoint {
  return points.reduce((a, b) => (b.mse < a.mse ? b : a));
}

/** Options of meanSquaredError. */
export interface MseOptions {
  /** Signals per forward pass (default 250). */
  chunk?: number;
  /** Progress label; none without it. */
  label?: string;
  stream?: ProgressStream;
  /** Polled after each chunk; true abandons the evaluation (null). */
  stop?: () => boolean;
}

/**
 * The mean over all samples of (model(noisy) − clean)², or null when
 * stopped.
 * @example
 * const mse = await meanSquaredError(model, data.test);
 */
export async function meanSquaredError(
  model: Module,
  set: SignalSet,
  o: MseOptions = {},
): Promise<number | null> {
  const chunk = o.chunk ?? 250;
  const chunks = Math.ceil(set.n / chunk);
  const bar =
    o.label === undefined
      ? null
      : new Progress({
          total: chunks,
          label: o.label,
          unit: 'signals',
          stream: o.stream,
        });
  let sum = 0;
  for (let k = 0; k < chunks; k++) {
    const from = k * chunk;
    const to = Math.min(set.n, from + chunk);
    sum += noGrad(() =>
      scope(() => {
        const dtype = 'float64';
        const y = signalTensor(set, 'noisy', dtype, from, to);
        const x = model.forward(y) as Tensor;
        const err = x.sub(signalTensor(set, 'clean', dtype, from, to));
        return err.square().sum().itemSync();
      }),
    );
    bar?.update(k + 1, to - from, {});
    if (o.stop === undefined) continue;
    await yieldToEvents(); // let a Ctrl-C handler run
    if (k + 1 < chunks && o.stop()) {
      bar?.finish();
      return null;
    }
  }
  bar?.finish();
  return sum / set.clean.length;
}
