/**
 * One training step of the OptNet paper's Sudoku model at its batch size
 * (150 puzzles): the QP layer's forward (64 variables, z ≥ 0, 40 learned
 * equalities), MSE loss, backward, Adam, as `optnet sudoku` runs it.
 * - "dense": the model as shipped: the dual reduction with its fused
 *   kernels (a 104 × 104 factorization per puzzle and iteration);
 * - "bounds": the same model declaring Q diagonal and z ≥ 0 a simple bound
 *   (`structure`), so the solver factors one 40 × 40 matrix per puzzle.
 * The puzzles are the generator's (seed 1), the model starts from seed 1
 * and is trained for 20 steps before timing, past the first steps' easy
 * solves.
 */
import {
  generatePuzzles,
  oneHotBoards,
  OptNetSudoku,
} from '@optnet/optnet/sudoku';
import { Adam, mseLoss } from '@optnet/nn';
import type { Entry } from './entry.js';
import { T, type Tensor } from './ops.js';
import { timeIt } from './util.js';

const BATCH = 150;

/** Generated puzzles and solutions, one-hot [BATCH, 4, 4, 4] float64. */
function batch(): [Tensor, Tensor] {
  const pairs = generatePuzzles(BATCH, T.makeRng(1));
  const board = (which: 'quiz' | 'solution'): Tensor =>
    T.tensor(oneHotBoards(pairs.map((p) => p[which])), {
      shape: [BATCH, 4, 4, 4],
    });
  return [board('quiz'), board('solution')];
}

function sudokuStepEntry(kind: 'bounds' | 'dense'): Entry {
  return {
    name: `sudoku step b${BATCH} f64 (${kind} KKT)`,
    async run() {
      const [x, y] = batch();
      const model = new OptNetSudoku({
        rng: T.makeRng(1),
        qpOptions:
          kind === 'bounds'
            ? { structure: { Q: 'diagonal', G: 'bounds' } }
            : {},
      });
      const opt = new Adam(model.parameters(), { lr: 0.1 });
      const step = (): number =>
        T.scope(() => {
          const loss = mseLoss(model.forward(x), y);
          opt.zeroGrad();
          loss.backward();
          opt.step();
          return loss.itemSync();
        });
      for (let i = 0; i < 20; i++) step();
      const timing = await timeIt(step, {
        warmup: 2,
        minReps: 10,
        maxReps: 30,
        budgetMs: 8000,
      });
      return {
        timing,
        derived: `${(BATCH / (timing.medianMs / 1000)).toFixed(0)} puzzles/s`,
      };
    },
  };
}

/** The Sudoku step with both reductions, as shipped first. */
export function sudokuEntries(): Entry[] {
  return [sudokuStepEntry('dense'), sudokuStepEntry('bounds')];
}
