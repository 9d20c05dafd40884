/**
 * @optnet/optnet/sudoku: the OptNet paper's Sudoku model and the 4x4 board
 * tools `optnet sudoku` is built from, for experiments of your own: the
 * model, a seeded generator of puzzles with exactly one solution, the
 * `quizzes,solutions` CSV format, and the one-hot encoding.
 * @example
 * import { OptNetSudoku, generatePuzzles, oneHotBoards } from '@optnet/optnet/sudoku';
 * const pairs = generatePuzzles(150, makeRng(1));
 * const x = tensor(oneHotBoards(pairs.map((p) => p.quiz)), { shape: [150, 4, 4, 4] });
 * const z = new OptNetSudoku({ rng: makeRng(1) }).forward(x);
 *
 * @module \@optnet/optnet/sudoku
 */
export {
  OptNetSudoku,
  type OptNetSudokuOptions,
} from './experiments/sudoku/optnet-model.js';
export {
  allGrids,
  argmaxBoards,
  clueClash,
  formatBoard,
  generatePuzzles,
  isSolvedGrid,
  oneHotBoards,
  solutionsOf,
  type SudokuPair,
} from './experiments/sudoku/puzzles.js';
export { parseSudokuCsv, sudokuCsv } from './experiments/sudoku/csv.js';
