/**
 * The baselines the OptNet paper compares its Sudoku model with, on the same
 * one-hot boards and loss:
 * - a convolutional net: 10 layers of `width` 3x3 filters (the paper: 512)
 *   with ReLU, then a 3x3 convolution to the 4 digit channels and a softmax
 *   over the digits of each cell (without it, this 10-layer net under the
 *   MSE loss settled on a constant output and never left 100% error);
 * - a fully connected net: 64 → width → width → 64 with ReLU.
 * Both map [n, 4, 4, 4] (row, column, digit) to scores of the same shape.
 */
import {
  softmax,
  type FloatDType,
  type Rng,
  type Tensor,
} from '@optnet/tensor';
import { Conv2d, Linear, Module, ReLU, Sequential } from '@optnet/nn';

/** Options of the baselines. */
export interface SudokuBaselineOptions {
  /** Filters per conv layer or units per hidden layer. */
  width: number;
  /** dtype of the parameters (default 'float32'). */
  dtype?: FloatDType;
  /** Draws the initial weights. */
  rng: Rng;
}

/**
 * The paper's conv net for Sudoku: 10 conv layers (3x3, padding 1) of
 * `width` filters with ReLU, then a 3x3 conv to 4 channels and a softmax
 * over each cell's digits.
 * @example
 * const net = new ConvSudoku({ width: 64, rng: makeRng(1) });
 */
export class ConvSudoku extends Module {
  net: Sequential;

  constructor({ width, dtype = 'float32', rng }: SudokuBaselineOptions) {
    super();
    const layers: Module[] = [];
    let channels = 4;
    for (let i = 0; i < 10; i++) {
      layers.push(new Conv2d(channels, width, 3, { padding: 1, dtype, rng }));
      layers.push(new ReLU());
      channels = width;
    }
    layers.push(new Conv2d(channels, 4, 3, { padding: 1, dtype, rng }));
    this.net = new Sequential(...layers);
  }

  /** [n, 4, 4, 4] boards (digit last) to scores of the same layout. */
  forward(boards: Tensor): Tensor {
    const x = boards.permute([0, 3, 1, 2]); // digits as channels
    return softmax(this.net.forward(x).permute([0, 2, 3, 1]), -1);
  }
}

/**
 * A fully connected baseline: 64 → width → width → 64 with ReLU.
 * @example
 * const net = new FcSudoku({ width: 512, rng: makeRng(1) });
 */
export class FcSudoku extends Module {
  net: Sequential;

  constructor({ width, dtype = 'float32', rng }: SudokuBaselineOptions) {
    super();
    this.net = new Sequential(
      new Linear(64, width, { dtype, rng }),
      new ReLU(),
      new Linear(width, width, { dtype, rng }),
      new ReLU(),
      new Linear(width, 64, { dtype, rng }),
    );
  }

  forward(boards: Tensor): Tensor {
    const n = boards.shape[0];
    return this.net.forward(boards.reshape([n, 64])).reshape([n, 4, 4, 4]);
  }
}
