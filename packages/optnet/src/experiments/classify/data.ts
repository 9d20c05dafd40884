/**
 * Fashion-MNIST for `optnet classify`, read with @optnet/nn's
 * loadFashionMnist from Debian's `dataset-fashion-mnist` (or another
 * folder): images flattened to [N, 784] float32, labels int32 [N].
 */
import { NnError } from '@optnet/nn';
import { loadFashionMnist } from '@optnet/nn/node';
import type { Tensor } from '@optnet/tensor';
import { UsageError } from '../common/flags.js';

/** Images and labels of one split. */
export interface ImageSet {
  /** [n, 784] float32, pixels in [0, 1]. */
  images: Tensor;
  /** [n] int32 in 0..9. */
  labels: Tensor;
  n: number;
}

/** Train and test splits. */
export interface ClassifyData {
  train: ImageSet;
  test: ImageSet;
}

async function split(
  dir: string,
  which: 'train' | 'test',
  limit: number,
): Promise<ImageSet> {
  const { images, labels } = await loadFashionMnist({
    dir,
    split: which,
    limit,
  });
  const n = labels.shape[0];
  return { images: images.reshape([n, 784]), labels, n };
}

/**
 * The first `train` training and `test` test images in `dir`; a missing
 * data set is a UsageError that says how to install it.
 * @example
 * const data = await loadClassifyData('/usr/share/datasets/fashion-mnist', 60000, 10000);
 */
export async function loadClassifyData(
  dir: string,
  train: number,
  test: number,
): Promise<ClassifyData> {
  try {
    return {
      train: await split(dir, 'train', train),
      test: await split(dir, 'test', test),
    };
  } catch (e) {
    if (e instanceof NnError && e.code === 'FILE_ERROR') {
      throw new UsageError(
        `optnet classify: Fashion-MNIST is not in "${dir}"; got no complete set of its idx files there. ` +
          'Install it with `sudo apt-get install dataset-fashion-mnist`, or pass --data DIR.',
      );
    }
    if (e instanceof NnError)
      throw new UsageError(`optnet classify: ${e.message}`);
    throw e;
  }
}
