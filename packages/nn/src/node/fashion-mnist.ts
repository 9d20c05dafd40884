/**
 * IDX files and the Fashion-MNIST data set from disk, for Node: `readIdx`
 * reads and decodes a (gzipped) IDX file, `loadFashionMnist` the four files
 * Debian's `dataset-fashion-mnist` installs. The format itself is
 * `parseIdx` / `decodeIdx` in the main entry.
 */
import { access, readFile } from 'node:fs/promises';
import { fromTypedArray, type Tensor } from '@optnet/tensor';
import { NnError } from '../errors.js';
import { decodeIdx, type IdxData } from '../idx.js';

/**
 * Read and parse an IDX file; gzip-compressed files (`.gz`, recognised by
 * their magic bytes 0x1f 0x8b) are decompressed first.
 * @example
 * const dir = FASHION_MNIST_DIR;
 * const { shape } = await readIdx(`${dir}/train-labels-idx1-ubyte.gz`);
 * // shape [60000]
 */
export async function readIdx(path: string): Promise<IdxData> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    const err = e as { code?: string; message?: string };
    throw new NnError(
      'FILE_ERROR',
      `readIdx: cannot read the file; got ${err.code ?? 'an error'} for '${path}': ${err.message}`,
    );
  }
  return decodeIdx(bytes, path);
}

/**
 * Options of `loadFashionMnist`.
 * @example
 * const opts: FashionMnistOptions = { split: 'test', limit: 100 };
 * const { images } = await loadFashionMnist(opts); // [100, 1, 28, 28]
 */
export interface FashionMnistOptions {
  /** Folder of the four `*-idx?-ubyte(.gz)` files. */
  dir?: string;
  /** 'train' (60000 images) or 'test' (10000). */
  split: 'train' | 'test';
  /** Keep only the first `limit` examples. */
  limit?: number;
  /** Image dtype (default float32). */
  dtype?: 'float32' | 'float64';
}

/**
 * The default folder of `loadFashionMnist`, where
 * `apt-get install dataset-fashion-mnist` puts the files.
 * @example
 * await loadFashionMnist({ dir: FASHION_MNIST_DIR, split: 'train' });
 */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/**
 * Fashion-MNIST: `images` [N, 1, 28, 28] with pixels scaled to [0, 1]
 * (x / 255) and `labels` int32 [N] in 0..9 (0 T-shirt/top, 1 Trouser,
 * 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt, 7 Sneaker, 8 Bag,
 * 9 Ankle boot).
 * The data set of the training examples (`pnpm fashion-mnist`).
 * @example
 * const { images, labels } = await loadFashionMnist({
 *   split: 'train',
 *   limit: 1000,
 * }); // [1000, 1, 28, 28], [1000]
 */
export async function loadFashionMnist(options: FashionMnistOptions): Promise<{
  /** [N, 1, 28, 28], pixels in [0, 1]. */
  images: Tensor;
  /** int32 [N], classes 0..9. */
  labels: Tensor;
}> {
  const { dir = FASHION_MNIST_DIR, split, limit, dtype = 'float32' } = options;
  if (split !== 'train' && split !== 'test') {
    throw new NnError(
      'BAD_OPTION',
      `loadFashionMnist: split must be 'train' or 'test'; got ${String(split)}.`,
    );
  }
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) {
    throw new NnError(
      'BAD_OPTION',
      `loadFashionMnist: limit must be a non-negative integer; got ${limit}.`,
    );
  }
  const prefix = split === 'train' ? 'train' : 't10k';
  const img = await readIdx(await findFile(dir, `${prefix}-images-idx3-ubyte`));
  const lab = await readIdx(await findFile(dir, `${prefix}-labels-idx1-ubyte`));
  const n0 = img.shape[0];
  const imagesOk = img.dtype === 'uint8' && img.shape.join() === `${n0},28,28`;
  if (!imagesOk || lab.dtype !== 'uint8' || lab.shape.join() !== `${n0}`) {
    throw new NnError(
      'IDX_PARSE',
      `loadFashionMnist: images must be uint8 [N, 28, 28] and labels uint8 [N]; got images ${img.dtype} ` +
        `[${img.shape.join(', ')}], labels ${lab.dtype} [${lab.shape.join(', ')}] in '${dir}'.`,
    );
  }
  const n = Math.min(limit ?? n0, n0);
  const pixels =
    dtype === 'float64' ? new Float64Array(n * 784) : new Float32Array(n * 784);
  for (let i = 0; i < pixels.length; i++) pixels[i] = img.data[i] / 255;
  const labels = Int32Array.from(lab.data.subarray(0, n));
  return {
    images: fromTypedArray(pixels, [n, 1, 28, 28]),
    labels: fromTypedArray(labels, [n]),
  };
}

/**
 * `<dir>/<name>.gz`, else `<dir>/<name>`, else a FILE_ERROR that says how to
 * install.
 */
async function findFile(dir: string, name: string): Promise<string> {
  for (const candidate of [`${dir}/${name}.gz`, `${dir}/${name}`]) {
    try {
      await access(candidate);
      return candidate;
    } catch {
      // try the next name
    }
  }
  throw new NnError(
    'FILE_ERROR',
    `loadFashionMnist: the dataset must be in '${dir}'; got no ${name}.gz or ${name} there. ` +
      `Install it with \`apt-get install dataset-fashion-mnist\`, or pass { dir } to where the files are.`,
  );
}
