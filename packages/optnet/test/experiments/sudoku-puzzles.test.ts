/**
 * 4x4 Sudoku boards: the grid enumeration, the puzzle generator (unique
 * solutions, the paper's clue spread, seeded), the CSV format and its errors.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { makeRng, ValueError } from '@optnet/tensor';
import {
  allGrids,
  argmaxBoards,
  clueClash,
  formatBoard,
  generatePuzzles,
  isSolvedGrid,
  oneHotBoards,
  solutionsOf,
} from '../../src/experiments/sudoku/puzzles.js';
import { parseSudokuCsv, sudokuCsv } from '../../src/experiments/sudoku/csv.js';
import { OptNetSudoku } from '../../src/experiments/sudoku/optnet-model.js';
import {
  boardTensor,
  generatedPuzzles,
} from '../../src/experiments/sudoku/data.js';
import type { QpOptions } from '../../src/api/types.js';
import { noGrad } from '@optnet/autograd';

const PAPER = fileURLToPath(
  new URL(
    '../../../../../shared/data/sudoku4_optnet_paper.csv',
    import.meta.url,
  ),
);

test('there are 288 solved 4x4 grids, all distinct and valid', () => {
  const g = allGrids();
  assert.is(g.length, 288);
  assert.is(new Set(g).size, 288);
  assert.ok(g.every(isSolvedGrid));
  assert.not.ok(isSolvedGrid('1234123412341234')); // columns repeat
  assert.not.ok(isSolvedGrid('1234341221434320')); // a blank
});

test('clueClash names the first repeated clue; clues that clash have no solution', () => {
  assert.is(clueClash('1100000000000000'), 'two 1s in row 1');
  assert.is(clueClash('1000100000000000'), 'two 1s in column 1');
  assert.is(clueClash('0000000000300003'), 'two 3s in the bottom-right box');
  assert.is(clueClash('1234341221434321'), null);
  // Random clue sets: a clash means no grid completes them; every clue set
  // taken from a solved grid has none.
  const rng = makeRng('clashes');
  let clashes = 0;
  for (let k = 0; k < 300; k++) {
    const quiz = Array.from({ length: 16 }, () =>
      rng() < 0.3 ? String(1 + Math.floor(rng() * 4)) : '0',
    ).join('');
    if (clueClash(quiz) === null) continue;
    clashes++;
    assert.equal(solutionsOf(quiz, 1), [], quiz);
  }
  assert.ok(clashes > 100, `${clashes} clashing quizzes drawn`);
  for (const p of generatePuzzles(50, makeRng(4))) {
    assert.is(clueClash(p.quiz), null);
  }
});

test('generated puzzles have one solution, agree with it, and are distinct', () => {
  const pairs = generatePuzzles(400, makeRng(3));
  assert.is(pairs.length, 400);
  assert.is(new Set(pairs.map((p) => p.quiz)).size, 400);
  for (const { quiz, solution } of pairs) {
    assert.equal(solutionsOf(quiz), [solution]);
  }
});

test('generated clue counts follow the paper set (mostly 5, 4 to 8)', () => {
  const pairs = generatePuzzles(2000, makeRng(4));
  const counts = new Map<number, number>();
  for (const { quiz } of pairs) {
    const k = [...quiz].filter((d) => d !== '0').length;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  for (const k of counts.keys()) assert.ok(k >= 4 && k <= 8, `clues ${k}`);
  const frac = (k: number): number => (counts.get(k) ?? 0) / pairs.length;
  // The paper's set: 13.6% / 55.5% / 28.6% / 2.2% for 4 / 5 / 6 / 7 clues.
  assert.ok(Math.abs(frac(5) - 0.555) < 0.05, `5 clues: ${frac(5)}`);
  assert.ok(Math.abs(frac(6) - 0.286) < 0.05, `6 clues: ${frac(6)}`);
  assert.ok(Math.abs(frac(4) - 0.136) < 0.04, `4 clues: ${frac(4)}`);
});

test('the same seed gives the same puzzles; another seed others', () => {
  const a = generatePuzzles(50, makeRng('x'));
  assert.equal(generatePuzzles(50, makeRng('x')), a);
  assert.not.equal(generatePuzzles(50, makeRng('y')), a);
});

test('one-hot encoding and argmax decoding are inverse on solved grids', () => {
  const boards = allGrids().slice(0, 20);
  const x = oneHotBoards(boards);
  assert.is(x.length, 20 * 64);
  assert.equal(argmaxBoards(x), [...boards]);
  // A blank cell is all zeros.
  const blank = oneHotBoards(['0'.repeat(16)]);
  assert.ok(blank.every((v) => v === 0));
  assert.is(formatBoard('1200340000000000').split('\n')[0], '1 2 | . .');
});

test("the paper's CSV parses: 10,000 unique puzzles", () => {
  const pairs = parseSudokuCsv(readFileSync(PAPER, 'utf8'), 'paper');
  assert.is(pairs.length, 10000);
  for (const p of pairs.slice(0, 200)) {
    assert.equal(solutionsOf(p.quiz), [p.solution]);
  }
  assert.equal(parseSudokuCsv(sudokuCsv(pairs.slice(0, 5))), pairs.slice(0, 5));
});

function csvError(text: string): string {
  try {
    parseSudokuCsv(text, 'f.csv');
  } catch (e) {
    assert.instance(e, ValueError);
    return (e as Error).message;
  }
  throw new Error('no error');
}

test('a malformed row is one clear error with its line number', () => {
  const head = 'quizzes,solutions\n1000000000000000,1234341221434321\n';
  assert.match(csvError('a,b\n'), /f\.csv line 1: the header must be/);
  assert.match(
    csvError(`${head}123,1234341221434321\n`),
    /line 3: a quiz is 16 digits/,
  );
  assert.match(
    csvError(`${head}1000000000000000\n`),
    /line 3: a row needs 2 fields/,
  );
  assert.match(
    csvError(`${head}0000000000000000,1234123412341234\n`),
    /line 3: the solution must hold 1-4 once/,
  );
  assert.match(
    csvError(`${head}2000000000000000,1234341221434321\n`),
    /line 3: each clue must equal the solution's digit; got cell 1: clue 2/,
  );
  assert.match(csvError('quizzes,solutions\n'), /at least one puzzle/);
});

test('OptNetSudoku refuses an unknown option, naming the closest known one (a misspelt nEq would train with 40 rows without a word)', () => {
  assert.throws(
    () => new OptNetSudoku({ neqs: 20 } as never),
    (e: unknown) =>
      e instanceof ValueError &&
      e.code === 'BAD_ARGUMENT' &&
      /OptNetSudoku: unknown option 'neqs'.*Did you mean 'nEq'\?/.test(
        e.message,
      ),
  );
  assert.is(new OptNetSudoku({ nEq: 8, rng: makeRng(1) }).A.shape[0], 8);
});

test('OptNetSudoku does not polish unless asked: every answer is the interior point, and qpOptions { polish: true } polishes', () => {
  const boards = boardTensor(generatedPuzzles(12, 3), 'quiz', 'float64');
  const polishedOf = (qpOptions: QpOptions): boolean[] => {
    let seen: readonly boolean[] = [];
    const model = new OptNetSudoku({
      rng: makeRng(1),
      qpOptions: { ...qpOptions, onResult: (i) => void (seen = i.polished) },
    });
    noGrad(() => model.forward(boards));
    return [...seen];
  };
  const plain = polishedOf({});
  assert.is(plain.length, 12);
  assert.ok(
    plain.every((p) => !p),
    `${plain}`,
  );
  const polished = polishedOf({ polish: true });
  assert.ok(
    polished.some((p) => p),
    `${polished}`,
  );
});

test.run();
