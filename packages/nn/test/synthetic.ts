/**
 * A seeded synthetic image-classification task that needs spatial
 * structure: each example is a 1×S×S grayscale image holding one 3×3
 * stroke (a horizontal bar, a vertical bar, a diagonal or an
 * anti-diagonal) at a uniformly random position, plus Gaussian pixel noise;
 * the label is which stroke. A 3×3 convolution followed by max pooling
 * finds a stroke wherever it is (translation equivariance + pooling), while
 * an MLP sees each of the (S − 2)² positions as a different input pattern
 * and has to learn every (stroke, position) pair from few examples.
 *
 * All randomness comes from `makeRng(seed)`, so a seed is a data set.
 */
import { fromTypedArray, makeRng, type Rng, type Tensor } from '@optnet/tensor';

/** The strokes, as 3×3 masks in row-major order; the index is the label. */
export const STROKES: readonly (readonly number[])[] = [
  [0, 0, 0, 1, 1, 1, 0, 0, 0], // horizontal bar
  [0, 1, 0, 0, 1, 0, 0, 1, 0], // vertical bar
  [1, 0, 0, 0, 1, 0, 0, 0, 1], // diagonal  \
  [0, 0, 1, 0, 1, 0, 1, 0, 0], // anti-diagonal  /
];

/** Options of `strokeImages`. */
export interface StrokeOptions {
  /** Image side S (default 12). */
  size?: number;
  /** Standard deviation of the additive pixel noise (default 0.3). */
  noise?: number;
}

/** A standard normal draw (Box–Muller on two uniforms of `rng`). */
function normal(rng: Rng): number {
  const u1 = 1 - rng(); // (0, 1]: the log stays finite
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * rng());
}

/**
 * `n` images x [n, 1, S, S] (float32) and labels y [n] (int32), balanced:
 * label i mod K, with K = STROKES.length (the batch iterator shuffles).
 * Stroke pixels have brightness 1, the background 0, then N(0, noise²) is
 * added to every pixel.
 * @example const { x, y } = strokeImages(200, 0); // x [200, 1, 12, 12]
 */
export function strokeImages(
  n: number,
  seed: number,
  opts: StrokeOptions = {},
): { x: Tensor; y: Tensor } {
  const { size = 12, noise = 0.3 } = opts;
  const rng = makeRng(seed);
  const pixels = size * size;
  const x = new Float32Array(n * pixels);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = i % STROKES.length;
    y[i] = label;
    // Top-left corner of the 3×3 stroke: any of the (S − 2)² positions.
    const r0 = Math.floor(rng() * (size - 2));
    const c0 = Math.floor(rng() * (size - 2));
    const img = x.subarray(i * pixels, (i + 1) * pixels);
    STROKES[label].forEach((on, k) => {
      if (on) img[(r0 + Math.floor(k / 3)) * size + c0 + (k % 3)] = 1;
    });
    for (let p = 0; p < pixels; p++) img[p] += noise * normal(rng);
  }
  return {
    x: fromTypedArray(x, [n, 1, size, size]),
    y: fromTypedArray(y, [n]),
  };
}
