/**
 * The Sudoku CSV format of the OptNet paper's data set: a header line
 * `quizzes,solutions`, then one puzzle per line as two 16-digit boards
 * (0 = blank in the quiz). Every row is checked before anything is used, and
 * the first bad one is reported with its line number.
 */
import { ValueError } from '@optnet/tensor';
import { isSolvedGrid, type SudokuPair } from './puzzles.js';

/**
 * Parse a `quizzes,solutions` CSV into puzzle pairs. Throws a ValueError
 * (code BAD_ARGUMENT) naming the file, the line and what is wrong: a missing
 * header, a row without two fields, a board that is not 16 digits, a
 * solution that breaks the rules, or a clue that disagrees with it.
 * @example
 * parseSudokuCsv('quizzes,solutions\n1000000000000000,1234341221434321\n');
 */
export function parseSudokuCsv(text: string, name = 'csv'): SudokuPair[] {
  const lines = text.split(/\r?\n/);
  const bad = (
    line: number,
    rule: string,
    got: string,
    hint: string,
  ): never => {
    throw new ValueError(
      'BAD_ARGUMENT',
      `sudoku data: ${name} line ${line}: ${rule}; got ${got}. ${hint}`,
    );
  };
  const header = lines[0].trim().replace(/^\uFEFF/, '');
  if (header !== 'quizzes,solutions') {
    bad(
      1,
      'the header must be "quizzes,solutions"',
      JSON.stringify(header.slice(0, 40)),
      'Start the file with that line.',
    );
  }
  const pairs: SudokuPair[] = [];
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (raw === '') continue;
    pairs.push(parseRow(raw, i + 1, bad));
  }
  if (pairs.length === 0) {
    bad(2, 'the file needs at least one puzzle', 'none', 'Add rows.');
  }
  return pairs;
}

type Bad = (line: number, rule: string, got: string, hint: string) => never;

function parseRow(raw: string, line: number, bad: Bad): SudokuPair {
  const fields = raw.split(',').map((f) => f.trim());
  const hint = 'Each row is QUIZ,SOLUTION: 16 digits each, 0 = blank.';
  if (fields.length !== 2) {
    bad(line, 'a row needs 2 fields', `${fields.length}: "${raw}"`, hint);
  }
  const [quiz, solution] = fields;
  if (!/^[0-4]{16}$/.test(quiz)) {
    bad(line, 'a quiz is 16 digits 0-4', `"${quiz}"`, hint);
  }
  if (!/^[1-4]{16}$/.test(solution)) {
    bad(line, 'a solution is 16 digits 1-4', `"${solution}"`, hint);
  }
  if (!isSolvedGrid(solution)) {
    bad(
      line,
      'the solution must hold 1-4 once in each row, column and 2x2 box',
      `"${solution}"`,
      'Check the row.',
    );
  }
  for (let c = 0; c < 16; c++) {
    if (quiz[c] !== '0' && quiz[c] !== solution[c]) {
      bad(
        line,
        "each clue must equal the solution's digit",
        `cell ${c + 1}: clue ${quiz[c]}, solution ${solution[c]}`,
        'Check the row.',
      );
    }
  }
  return { quiz, solution };
}

/**
 * The pairs as CSV text with the header (the inverse of parseSudokuCsv).
 * @example
 * sudokuCsv([{ quiz: '1000000000000000', solution: '1234341221434321' }]);
 */
export function sudokuCsv(pairs: readonly SudokuPair[]): string {
  const rows = pairs.map((p) => `${p.quiz},${p.solution}`);
  return ['quizzes,solutions', ...rows, ''].join('\n');
}
