/**
 * The OptNet paper's Sudoku model trained in the page (sudoku.html), as a
 * function Node runs too (the browser test compares the two): seeded 4x4
 * puzzles from the generator of `optnet sudoku`, the paper's recipe (Adam
 * at lr 0.1, MSE on one-hot boards), and after each epoch the error on
 * held-out puzzles and the model's answer to the first of them. The
 * hooks let the page draw between steps.
 */
import { makeRng, scope, tensor, type Tensor } from '@optnet/tensor';
import { noGrad } from '@optnet/autograd';
import { Adam, mseLoss } from '@optnet/nn';
import {
  argmaxBoards,
  generatePuzzles,
  oneHotBoards,
  OptNetSudoku,
  type SudokuPair,
} from '@optnet/optnet/sudoku';

/** The size of a run. */
export interface SudokuDemoConfig {
  /** Puzzles to train on, and to test on. */
  readonly train: number;
  readonly test: number;
  readonly batch: number;
  readonly epochs: number;
  readonly seed: number;
}

/**
 * The page's default: 120 steps, about 25 s on one core of a 2-core
 * server (in Node: test error 1% after epoch 8, of 200 puzzles).
 */
export const FULL: SudokuDemoConfig = {
  train: 1800,
  test: 200,
  batch: 150,
  epochs: 10,
  seed: 1,
};

/**
 * What the browser test runs (and Node beside it): 30 steps, a few
 * seconds; too short to solve whole puzzles, long enough to fill about
 * half the blank cells right (chance: a quarter).
 */
export const SMALL: SudokuDemoConfig = {
  train: 450,
  test: 50,
  batch: 75,
  epochs: 5,
  seed: 1,
};

/** The puzzle the page offers to complete (its input's first value). */
export const EXAMPLE_QUIZ = '1000003000020400';

/** The state after an epoch. */
export interface SudokuEpoch {
  readonly epoch: number;
  /** Share of the test puzzles whose board is not exactly the solution. */
  readonly testError: number;
  /** Share of the test puzzles' blank cells the model fills right (chance: ¼). */
  readonly blankAccuracy: number;
  /** The first test puzzle, its solution and the model's answer. */
  readonly shown: SudokuPair & { readonly answer: string };
}

/** Called after each step and each epoch; may be async (to repaint). */
export interface SudokuHooks {
  step?(done: number, total: number, loss: number): void | Promise<void>;
  epoch?(e: SudokuEpoch): void | Promise<void>;
}

/** What a run returns. */
export interface SudokuDemoResult {
  readonly losses: number[];
  readonly epochs: SudokuEpoch[];
  /** The trained model, to complete puzzles of the user's. */
  readonly model: OptNetSudoku;
}

const boards = (list: readonly string[]): Tensor =>
  tensor(oneHotBoards(list), { shape: [list.length, 4, 4, 4] });

/**
 * The model's board for each quiz (argmax of z per cell).
 * @example const [answer] = complete(model, ['1200340000000000']);
 */
export function complete(model: OptNetSudoku, quizzes: string[]): string[] {
  return scope(() =>
    noGrad(() => argmaxBoards(model.forward(boards(quizzes)).dataSync())),
  );
}

/** Share of the quizzes' blank cells that `answers` fill right. */
function blankAccuracy(
  pairs: readonly SudokuPair[],
  answers: string[],
): number {
  let [blank, right] = [0, 0];
  pairs.forEach(({ quiz, solution }, n) => {
    for (let i = 0; i < quiz.length; i++) {
      if (quiz[i] !== '0') continue;
      blank++;
      if (answers[n][i] === solution[i]) right++;
    }
  });
  return right / blank;
}

/**
 * Train and test as `config` says, calling `hooks` as it goes.
 * @example const r = await runSudokuDemo(SMALL); // r.epochs[3].testError
 */
export async function runSudokuDemo(
  config: SudokuDemoConfig,
  hooks: SudokuHooks = {},
): Promise<SudokuDemoResult> {
  const { train, test, batch, epochs, seed } = config;
  const pairs = generatePuzzles(train + test, makeRng(seed));
  const [trainSet, testSet] = [pairs.slice(0, train), pairs.slice(train)];
  const model = new OptNetSudoku({ rng: makeRng(seed) });
  const opt = new Adam(model.parameters(), { lr: 0.1 });
  const steps = Math.ceil(train / batch);
  const losses: number[] = [];
  const out: SudokuEpoch[] = [];
  for (let e = 1; e <= epochs; e++) {
    for (let s = 0; s < steps; s++) {
      const part = trainSet.slice(s * batch, (s + 1) * batch);
      const loss = scope(() => {
        const x = boards(part.map((p) => p.quiz));
        const y = boards(part.map((p) => p.solution));
        const l = mseLoss(model.forward(x), y);
        opt.zeroGrad();
        l.backward();
        opt.step();
        return l.itemSync();
      });
      losses.push(loss);
      await hooks.step?.((e - 1) * steps + s + 1, epochs * steps, loss);
    }
    const answers = complete(
      model,
      testSet.map((p) => p.quiz),
    );
    const wrong = answers.filter((a, i) => a !== testSet[i].solution).length;
    const epoch = {
      epoch: e,
      testError: wrong / testSet.length,
      blankAccuracy: blankAccuracy(testSet, answers),
      shown: { ...testSet[0], answer: answers[0] },
    };
    out.push(epoch);
    await hooks.epoch?.(epoch);
  }
  return { losses, epochs: out, model };
}
