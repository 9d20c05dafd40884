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

/**
 * Where a run's puzzles come from (saved in its config to reload them):
 * CSV files, or the seeded generator for the part no file gives. With a
 * `data` file and no `test` file, the last 10% of `data` test.
 */
export interface DataSource {
  /** Training CSV, or null for `trainSize` generated puzzles. */
  data: string | null;
  /** Test CSV, or null (generated `testSize`, or held out of `data`). */
  test: string | null;
  trainSize: number;
  testSize: number;
  /** Seed of the generated puzzles. */
  seed: number;
  /** sha256 of the files read, checked when a run resumes. */
  sha256: string | null;
}

/** Train and test puzzles. */
export interface SudokuData {
  train: SudokuPair[];
  test: SudokuPair[];
  source: DataSource;
}

/** The command whose data this is, for the errors. */
const CMD = 'optnet sudoku';

function readText(path: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new UsageError(
      `${CMD}: cannot read ${flag} "${path}"; got ${why}. Check the path.`,
    );
  }
}

/** parseSudokuCsv, its errors as usage errors (one line, exit code 2). */
function parseCsv(text: string, name: string): SudokuPair[] {
  try {
    return parseSudokuCsv(text, name);
  } catch (e) {
    if (e instanceof ValueError) throw new UsageError(`${CMD}: ${e.message}`);
    throw e;
  }
}

/**
 * `count` puzzles from the seeded generator: the same seed always gives the
 * same puzzles, and a run's generated train and test puzzles come from one
 * draw, so none is in both.
 * @example
 * const pairs = generatedPuzzles(1000, 1);
 */
export function generatedPuzzles(count: number, seed: number): SudokuPair[] {
  return generatePuzzles(count, makeRng(`sudoku-data/${seed}`));
}

/**
 * The puzzles `source` names (its sha256 is ignored and recomputed).
 * @example
 * const d = loadData({ data: null, test: null, trainSize: 9000, testSize: 1000, seed: 1, sha256: null });
 */
export function loadData(source: Omit<DataSource, 'sha256'>): SudokuData {
  const { data, test, trainSize, testSize, seed } = source;
  const texts = [data, test].map((f, i) =>
    f === null ? null : readText(f, i === 0 ? '--data' : '--test'),
  );
  const hash = createHash('sha256');
  for (const t of texts) hash.update(t ?? '').update('\0');
  const fromFile = texts.map((t, i) =>
    t === null ? null : parseCsv(t, [data, test][i]!),
  );
  let [train, tests] = fromFile;
  if (train === null || tests === null) {
    // The generated part(s): train first, then test, from one draw.
    const n =
      (train === null ? trainSize : 0) +
      (tests === null && data === null ? testSize : 0);
    const gen = generatedPuzzles(n, seed);
    train ??= gen.splice(0, trainSize);
    if (tests === null && data === null) tests = gen;
  }
  if (tests === null) {
    if (train.length < 2) {
      throw new UsageError(
        `${CMD}: --data needs at least 2 puzzles to hold some out for testing; got ${train.length} in "${data}". Add rows or pass --test.`,
      );
    }
    const held = Math.max(1, Math.round(train.length / 10));
    tests = train.slice(train.length - held);
    train = train.slice(0, train.length - held);
  }
  const sha256 = data === null && test === null ? null : hash.digest('hex');
  return { train, test: tests, source: { ...source, sha256 } };
}

/** Reload the puzzles of a saved run, checking that files did not change. */
export function reloadData(source: DataSource): SudokuData {
  const d = loadData(source);
  if (d.source.sha256 !== source.sha256) {
    throw new UsageError(
      `${CMD}: the data files changed since the run started; got a new sha256 for "${source.data ?? source.test}". ` +
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
