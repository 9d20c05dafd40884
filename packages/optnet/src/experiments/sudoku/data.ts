/**
 * The puzzles a Sudoku run trains and tests on: the built-in seeded
 * generator (default 9000 train, 1000 test: the paper's sizes) or CSV files.
 */
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import {
  makeRng,
  tensor,
  ValueError,
  type FloatDType,
  type Tensor,
} from '@optnet/tensor';
import { UsageError } from '../common/flags.js';
import { parseSudokuCsv } from './csv.js';
import { generatePuzzles, oneHotBoards, type SudokuPair } from './puzzles.js';

/** Where a run's puzzles come from (saved in its config to reload them). */
export type DataSource =
  | { kind: 'generated'; seed: number; train: number; test: number }
  | { kind: 'file'; data: string; test: string | null; sha256: string };

/** Train and test puzzles. */
export interface SudokuData {
  train: SudokuPair[];
  test: SudokuPair[];
  source: DataSource;
}

/**
 * `train + test` distinct generated puzzles; the test puzzles are the last
 * `test`, so no test puzzle is also a training puzzle.
 * @example
 * const d = generatedData(9000, 1000, 1);
 */
export function generatedData(
  train: number,
  test: number,
  seed: number,
): SudokuData {
  const all = generatePuzzles(train + test, makeRng(`sudoku-data/${seed}`));
  return {
    train: all.slice(0, train),
    test: all.slice(train),
    source: { kind: 'generated', seed, train, test },
  };
}

function readText(path: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new UsageError(
      `${flag}: cannot read "${path}"; got ${why}. Check the path.`,
    );
  }
}

/** parseSudokuCsv, its errors as usage errors (one line, exit code 2). */
function parseCsv(text: string, name: string): SudokuPair[] {
  try {
    return parseSudokuCsv(text, name);
  } catch (e) {
    if (e instanceof ValueError) throw new UsageError(e.message);
    throw e;
  }
}

/**
 * Puzzles from CSV files: every row of `data` trains and `test` tests; with
 * no `test`, the last 10% of `data` (1000 of the paper's 10,000) test.
 * @example
 * const d = fileData('../shared/data/sudoku4_optnet_paper.csv', null);
 */
export function fileData(data: string, test: string | null): SudokuData {
  const text = readText(data, '--data');
  const testText = test === null ? null : readText(test, '--test');
  const hash = createHash('sha256').update(text);
  if (testText !== null) hash.update('\0').update(testText);
  const rows = parseCsv(text, data);
  const source: DataSource = {
    kind: 'file',
    data,
    test,
    sha256: hash.digest('hex'),
  };
  if (testText !== null) {
    return { train: rows, test: parseCsv(testText, test!), source };
  }
  if (rows.length < 2) {
    throw new UsageError(
      `--data: needs at least 2 puzzles to hold some out for testing; got ${rows.length} in "${data}". Add rows or pass --test.`,
    );
  }
  const nTest = Math.max(1, Math.round(rows.length / 10));
  return {
    train: rows.slice(0, rows.length - nTest),
    test: rows.slice(rows.length - nTest),
    source,
  };
}

/** Reload the puzzles of a saved run, checking that files did not change. */
export function reloadData(source: DataSource): SudokuData {
  if (source.kind === 'generated') {
    return generatedData(source.train, source.test, source.seed);
  }
  const d = fileData(source.data, source.test);
  if (d.source.kind === 'file' && d.source.sha256 !== source.sha256) {
    throw new UsageError(
      `--resume: the data files changed since the run started; got a new sha256 for "${source.data}". ` +
        'Restore the files, or start a new run.',
    );
  }
  return d;
}

/**
 * One-hot boards [n, 4, 4, 4] of the quizzes or the solutions.
 * @example
 * const x = boardTensor(d.train, 'quiz', 'float64');
 */
export function boardTensor(
  pairs: readonly SudokuPair[],
  which: 'quiz' | 'solution',
  dtype: FloatDType,
): Tensor {
  const data = oneHotBoards(pairs.map((p) => p[which]));
  return tensor(dtype === 'float64' ? data : Float32Array.from(data), {
    shape: [pairs.length, 4, 4, 4],
  });
}
