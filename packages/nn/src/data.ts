/**
 * Mini-batches over in-memory tensors (a TensorDataset + DataLoader in
 * one): the tensors share their first axis (examples), and each batch
 * takes the same rows of every tensor. Shuffled order is a Fisher–Yates
 * permutation drawn from a seeded rng, a new one per pass; each batch
 * costs one `indexSelect` (a gather) per tensor, or one `slice` in order.
 */
import {
  fmtShape,
  ShapeError,
  slice,
  tensor,
  type Rng,
  type Tensor,
} from '@optnet/tensor';
import { NnError } from './errors.js';
import { checkOption } from './optim/optimizer.js';

/**
 * Options of batches.
 * @example
 * const opts: BatchOptions = { batchSize: 32, rng: makeRng(0) };
 * for (const [xb] of batches([randn([100, 3])], opts)) xb.shape; // [32, 3]…
 */
export interface BatchOptions {
  /** Rows per batch (a positive integer). */
  batchSize: number;
  /** Visit the rows in a random order (default true; needs `rng`). */
  shuffle?: boolean;
  /** The seeded generator of the permutations, e.g. `makeRng(0)`. */
  rng?: Rng;
  /** Skip the last, smaller batch (default false). */
  dropLast?: boolean;
}

/** Checks the tensors and options; returns the number of rows n. */
function checkBatchInputs(
  op: string,
  tensors: readonly Tensor[],
  opts: BatchOptions,
): number {
  const { batchSize, shuffle = true, rng } = opts;
  checkOption(
    op,
    'batchSize',
    batchSize,
    Number.isInteger(batchSize) && batchSize > 0,
    'must be a positive integer',
  );
  checkOption(
    op,
    'tensors',
    `a list of ${tensors.length}`,
    tensors.length > 0,
    'must be a non-empty list',
  );
  if (shuffle && typeof rng !== 'function') {
    throw new NnError(
      'BAD_OPTION',
      `${op}: shuffle needs a seeded rng; got rng ${String(rng)}. Pass { rng: makeRng(seed) }, or { shuffle: false }.`,
    );
  }
  const n = tensors[0].rank > 0 ? tensors[0].shape[0] : -1;
  if (tensors.some((t) => t.rank === 0 || t.shape[0] !== n)) {
    throw new ShapeError(
      'SHAPE_MISMATCH',
      `${op}: every tensor needs the same length on axis 0 (one row per example); got ` +
        `${tensors.map((t) => fmtShape(t.shape)).join(', ')}.`,
    );
  }
  return n;
}

/**
 * A uniform random permutation of 0..n−1 (Fisher–Yates, n − 1 draws): the
 * shuffled order `batches` uses, for data you batch yourself.
 * @example
 * permutation(5, makeRng(0)); // e.g. Int32Array [3, 0, 4, 1, 2]
 */
export function permutation(n: number, rng: Rng): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/**
 * One pass over the rows of `tensors` in batches of `batchSize`, yielding
 * the batch of each tensor in order. Each call draws a new permutation
 * from `rng`, so passing the same rng across epochs gives a new order per
 * epoch, and the same seed the same sequence of orders.
 * @example
 * const x = randn([1000, 20]);
 * const y = randint(0, 10, [1000]);
 * const rng = makeRng(0);
 * for (let epoch = 0; epoch < 3; epoch++) {
 *   for (const [xb, yb] of batches([x, y], { batchSize: 64, rng })) {
 *     // xb [64, 20], yb [64] (the last batch: 40 rows)
 *   }
 * }
 */
export function batches(
  tensors: readonly Tensor[],
  options: BatchOptions,
): Generator<Tensor[]> {
  // Checked and drawn here, at the call, not at the first next() (a
  // generator function would defer both).
  const n = checkBatchInputs('batches', tensors, options);
  const { batchSize, shuffle = true, rng, dropLast = false } = options;
  const order = shuffle ? permutation(n, rng!) : null;
  return batchesOf(
    [...tensors],
    order,
    n,
    batchSize,
    numBatches(n, batchSize, dropLast),
  );
}

function* batchesOf(
  tensors: Tensor[],
  order: Int32Array | null,
  n: number,
  batchSize: number,
  count: number,
): Generator<Tensor[]> {
  for (let b = 0; b < count; b++) {
    const start = b * batchSize;
    const stop = Math.min(start + batchSize, n);
    if (order) {
      const rows = order.subarray(start, stop);
      // The indices on each tensor's own backend, freed once used.
      yield tensors.map((t) => {
        const idx = tensor(rows, { backend: t.backend });
        const batch = t.indexSelect(0, idx);
        idx.dispose();
        return batch;
      });
    } else {
      yield tensors.map((t) => slice(t, [{ start, stop }]));
    }
  }
}

/**
 * The number of batches of one pass: ⌈n / batchSize⌉, or ⌊n / batchSize⌋
 * with dropLast (for a progress bar, or a learning-rate schedule).
 * @example
 * numBatches(10, 4); // 3
 * numBatches(10, 4, true); // 2
 */
export function numBatches(
  n: number,
  batchSize: number,
  dropLast = false,
): number {
  return dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
}
