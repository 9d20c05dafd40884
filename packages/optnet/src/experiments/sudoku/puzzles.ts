/**
 * 4x4 Sudoku boards: every solution grid, a seeded generator of puzzles with
 * exactly one solution, the `quizzes,solutions` CSV format, and the one-hot
 * encoding the models see.
 *
 * A board is a string of 16 digits, row by row, 0 for a blank. A 4x4 grid is
 * solved when each row, column and 2x2 box holds 1, 2, 3 and 4. There are 288
 * such grids, few enough to find every puzzle's solutions by checking them
 * all (a puzzle is unique when exactly one grid agrees with its clues).
 */
import type { Rng } from '@optnet/tensor';

/** Cells of a 4x4 board, and the 12 groups (rows, columns, boxes). */
export const CELLS = 16;
const GROUPS: readonly (readonly number[])[] = (() => {
  const g: number[][] = [];
  for (let i = 0; i < 4; i++) {
    g.push([0, 1, 2, 3].map((j) => 4 * i + j)); // row i
    g.push([0, 1, 2, 3].map((j) => 4 * j + i)); // column i
    const r = 2 * Math.floor(i / 2);
    const c = 2 * (i % 2);
    g.push([4 * r + c, 4 * r + c + 1, 4 * r + c + 4, 4 * r + c + 5]); // box i
  }
  return g;
})();

/** The groups' names, in GROUPS' order. */
const GROUP_NAMES: readonly string[] = [0, 1, 2, 3].flatMap((i) => [
  `row ${i + 1}`,
  `column ${i + 1}`,
  `the ${['top-left', 'top-right', 'bottom-left', 'bottom-right'][i]} box`,
]);

/**
 * The first rule the clues of `quiz` break, in words ('two 1s in row 1'),
 * or null when no row, column or box repeats a clue.
 * @example
 * clueClash('1100000000000000'); // 'two 1s in row 1'
 */
export function clueClash(quiz: string): string | null {
  for (let k = 0; k < GROUPS.length; k++) {
    const seen = new Set<string>();
    for (const i of GROUPS[k]) {
      const d = quiz[i];
      if (d === '0') continue;
      if (seen.has(d)) return `two ${d}s in ${GROUP_NAMES[k]}`;
      seen.add(d);
    }
  }
  return null;
}

/**
 * A puzzle and its solution, 16 digits each (0 = blank in the quiz).
 * @example
 * const pair: SudokuPair = { quiz: '1000000000000000', solution: '1234341221434321' };
 */
export interface SudokuPair {
  /** The clues, row by row, 0 for a blank. */
  readonly quiz: string;
  /** The solved grid, row by row. */
  readonly solution: string;
}

/**
 * Whether `board` (16 digits, no blanks) obeys the rules: each row, column
 * and box holds 1..4 once.
 * @example
 * isSolvedGrid('1234341221434321'); // true
 */
export function isSolvedGrid(board: string): boolean {
  if (!/^[1-4]{16}$/.test(board)) return false;
  return GROUPS.every((g) => new Set(g.map((i) => board[i])).size === 4);
}

let gridCache: readonly string[] | null = null;

/**
 * All 288 solved 4x4 grids, in lexicographic order.
 * @example
 * allGrids().length; // 288
 */
export function allGrids(): readonly string[] {
  if (gridCache !== null) return gridCache;
  const out: string[] = [];
  const cells: string[] = new Array(CELLS).fill('0');
  const fits = (i: number, d: string): boolean =>
    GROUPS.every((g) => !g.includes(i) || g.every((j) => cells[j] !== d));
  const fill = (i: number): void => {
    if (i === CELLS) {
      out.push(cells.join(''));
      return;
    }
    for (const d of '1234') {
      if (!fits(i, d)) continue;
      cells[i] = d;
      fill(i + 1);
      cells[i] = '0';
    }
  };
  fill(0);
  gridCache = out;
  return out;
}

/**
 * The grids that agree with the clues of `quiz` (at most `limit` of them).
 * @example
 * solutionsOf('1200340000000000', 2).length; // 2 or fewer
 */
export function solutionsOf(quiz: string, limit: number = Infinity): string[] {
  const found: string[] = [];
  for (const g of allGrids()) {
    let ok = true;
    for (let i = 0; i < CELLS && ok; i++) {
      if (quiz[i] !== '0' && quiz[i] !== g[i]) ok = false;
    }
    if (ok) found.push(g);
    if (found.length >= limit) break;
  }
  return found;
}

/**
 * Clue counts of the generated puzzles, with the weights of the OptNet
 * paper's 10,000 puzzles (4 clues: 13.6%, 5: 55.5%, 6: 28.6%, 7: 2.2%,
 * 8: 0.05%).
 */
const CLUE_WEIGHTS: readonly (readonly [number, number])[] = [
  [4, 1363],
  [5, 5554],
  [6, 2860],
  [7, 218],
  [8, 5],
];

function drawClueCount(rng: Rng): number {
  const total = CLUE_WEIGHTS.reduce((s, [, w]) => s + w, 0);
  let u = rng() * total;
  for (const [k, w] of CLUE_WEIGHTS) {
    if (u < w) return k;
    u -= w;
  }
  return CLUE_WEIGHTS[CLUE_WEIGHTS.length - 1][0];
}

function shuffled(n: number, rng: Rng): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/**
 * Blank cells of `grid` in a random order, keeping the solution unique,
 * until `clues` remain; null when this order gets stuck above `clues` (the
 * caller draws again).
 */
function carve(grid: string, clues: number, rng: Rng): string | null {
  const cells = grid.split('');
  let left = CELLS;
  for (const i of shuffled(CELLS, rng)) {
    if (left === clues) break;
    const keep = cells[i];
    cells[i] = '0';
    if (solutionsOf(cells.join(''), 2).length === 1) left--;
    else cells[i] = keep;
  }
  return left === clues ? cells.join('') : null;
}

/**
 * `count` distinct 4x4 puzzles, each with exactly one solution, drawn from
 * `rng`: a random solved grid, then cells blanked in a random order while
 * the solution stays unique, down to a clue count drawn with the paper's
 * weights. The same rng state gives the same puzzles.
 * @example
 * const pairs = generatePuzzles(10, makeRng(0)); // [{ quiz, solution }, ...]
 */
export function generatePuzzles(count: number, rng: Rng): SudokuPair[] {
  const grids = allGrids();
  const seen = new Set<string>();
  const out: SudokuPair[] = [];
  while (out.length < count) {
    const clues = drawClueCount(rng);
    let quiz: string | null = null;
    let solution = '';
    // Some grids and orders get stuck above `clues`: draw again until one
    // reaches it, so the clue counts keep the drawn spread.
    while (quiz === null) {
      solution = grids[Math.floor(rng() * grids.length)];
      quiz = carve(solution, clues, rng);
    }
    if (seen.has(quiz)) continue;
    seen.add(quiz);
    out.push({ quiz, solution });
  }
  return out;
}

/**
 * One-hot encoding of boards, [n, 4, 4, 4] flattened row-major: cell
 * (r, c) holding digit d sets entry (r, c, d − 1); a blank is all zeros.
 * @example
 * oneHotBoards(['1234341221434321']).length; // 64
 */
export function oneHotBoards(boards: readonly string[]): Float64Array {
  const out = new Float64Array(boards.length * CELLS * 4);
  boards.forEach((b, n) => {
    for (let i = 0; i < CELLS; i++) {
      const d = b.charCodeAt(i) - 48;
      if (d > 0) out[(n * CELLS + i) * 4 + d - 1] = 1;
    }
  });
  return out;
}

/**
 * Boards from per-cell scores [n·16·4] (any real numbers): each cell takes
 * the digit with the largest score (the first on ties).
 * @example
 * argmaxBoards(oneHotBoards(['1234341221434321'])); // ['1234341221434321']
 */
export function argmaxBoards(scores: ArrayLike<number>): string[] {
  const n = scores.length / (CELLS * 4);
  const boards: string[] = [];
  for (let b = 0; b < n; b++) {
    let s = '';
    for (let i = 0; i < CELLS; i++) {
      const o = (b * CELLS + i) * 4;
      let best = 0;
      for (let d = 1; d < 4; d++)
        if (scores[o + d] > scores[o + best]) best = d;
      s += String(best + 1);
    }
    boards.push(s);
  }
  return boards;
}

/**
 * The board as four lines of digits with box separators, blanks as '.'.
 * @example
 * formatBoard('1200340000000000');
 * // 1 2 | . .
 * // 3 4 | . .
 * // ----+----
 * // ...
 */
export function formatBoard(board: string): string {
  const row = (r: number): string => {
    const d = board
      .slice(4 * r, 4 * r + 4)
      .replace(/0/g, '.')
      .split('');
    return `${d[0]} ${d[1]} | ${d[2]} ${d[3]}`;
  };
  return [row(0), row(1), '----+----', row(2), row(3)].join('\n');
}
