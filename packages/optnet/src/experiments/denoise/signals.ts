/**
 * The signals of the OptNet paper's denoising experiment: piecewise-constant
 * 1-D signals of length 100 with 1 to 9 pieces, each piece's height drawn
 * from 10..99, observed with Gaussian noise of standard deviation 10. The
 * default set is 9000 train and 1000 test signals from a seeded generator.
 */
import {
  makeRng,
  randn,
  tensor,
  type FloatDType,
  type Rng,
  type Tensor,
} from '@optnet/tensor';

/** Samples per signal (the paper's). */
export const SIGNAL_LENGTH = 100;

/** n signals, row by row ([n, length] flattened). */
export interface SignalSet {
  n: number;
  length: number;
  clean: Float64Array;
  noisy: Float64Array;
}

/** Where a run's signals come from (saved in its config to remake them). */
export interface SignalSource {
  kind: 'generated';
  seed: number;
  train: number;
  test: number;
  /** Standard deviation of the noise. */
  sigma: number;
  /** Samples per signal (absent in the first runs' configs: 100). */
  length?: number;
}

/** Train and test signals. */
export interface DenoiseData {
  train: SignalSet;
  test: SignalSet;
  source: SignalSource;
}

/**
 * One clean signal into `out`: k pieces split at k − 1 distinct cuts (at
 * most one piece per sample: a signal of n < 9 samples has n − 1 places
 * to cut).
 */
function fillPieces(out: Float64Array, rng: Rng): void {
  const n = out.length;
  const pieces = Math.min(n, 1 + Math.floor(rng() * 9));
  const cuts = new Set<number>();
  while (cuts.size < pieces - 1) cuts.add(1 + Math.floor(rng() * (n - 1)));
  const ends = [...[...cuts].sort((a, b) => a - b), n];
  let start = 0;
  for (const end of ends) {
    out.fill(10 + Math.floor(rng() * 90), start, end);
    start = end;
  }
}

/**
 * `n` piecewise-constant signals of `length` samples and their noisy
 * observations.
 * @example
 * const { clean, noisy } = piecewiseSignals(10, 100, 10, makeRng(1));
 */
export function piecewiseSignals(
  n: number,
  length: number,
  sigma: number,
  rng: Rng,
): SignalSet {
  const clean = new Float64Array(n * length);
  for (let i = 0; i < n; i++) {
    fillPieces(clean.subarray(i * length, (i + 1) * length), rng);
  }
  const noise = randn([n, length], { dtype: 'float64', rng });
  const e = noise.dataSync();
  const noisy = clean.map((v, i) => v + sigma * e[i]);
  return { n, length, clean, noisy };
}

/**
 * The signals a source describes: `train` then `test` from one seeded
 * generator.
 * @example
 * const data = generatedSignals({ kind: 'generated', seed: 1, train: 9000, test: 1000, sigma: 10 });
 */
export function generatedSignals(source: SignalSource): DenoiseData {
  const rng = makeRng(`denoise-data/${source.seed}`);
  const length = source.length ?? SIGNAL_LENGTH;
  return {
    train: piecewiseSignals(source.train, length, source.sigma, rng),
    test: piecewiseSignals(source.test, length, source.sigma, rng),
    source,
  };
}

/**
 * Rows `[from, to)` of a set's clean or noisy signals as a [rows, length]
 * tensor.
 * @example
 * const y = signalTensor(data.train, 'noisy', 'float64');
 */
export function signalTensor(
  set: SignalSet,
  which: 'clean' | 'noisy',
  dtype: FloatDType,
  from: number = 0,
  to: number = set.n,
): Tensor {
  const rows = set[which].subarray(from * set.length, to * set.length);
  return tensor(rows, { shape: [to - from, set.length], dtype });
}
