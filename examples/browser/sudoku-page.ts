/**
 * sudoku.html's script: trains the OptNet Sudoku model in the page
 * (sudoku-demo.ts) with a progress bar, the test error after each epoch
 * and the model's answer to a held-out puzzle, then completes puzzles the
 * user types. `?small=1` runs the test's short configuration;
 * `?play=PUZZLE` completes PUZZLE once trained; `?report=1` posts the
 * numbers and the drawn boards to the server that served it.
 */
import { clueClash, isSolvedGrid, solutionsOf } from '@optnet/optnet/sudoku';
import {
  complete,
  EXAMPLE_QUIZ,
  FULL,
  runSudokuDemo,
  SMALL,
  type SudokuEpoch,
} from './sudoku-demo.js';
import { report, reportFailure } from './report.js';

const $ = <T extends HTMLElement>(id: string) =>
  document.getElementById(id) as T;
const params = new URLSearchParams(location.search);
const config = params.has('small') ? SMALL : FULL;

/**
 * Draws the model's `answer` to `quiz`: a clue it kept in bold, one it
 * changed in red, a blank it filled green or red against `solution` (when
 * known).
 */
function draw(quiz: string, answer: string, solution: string | null): void {
  const board = $('board');
  board.replaceChildren(
    ...[...answer].map((digit, i) => {
      const cell = document.createElement('div');
      cell.textContent = digit;
      const want = quiz[i] !== '0' ? quiz[i] : solution?.[i];
      if (quiz[i] !== '0' && digit === want) cell.className = 'given';
      else if (want !== undefined)
        cell.className = digit === want ? 'right' : 'wrong';
      return cell;
    }),
  );
}

function addEpoch(e: SudokuEpoch, seconds: number): void {
  const row = document.createElement('tr');
  for (const text of [
    String(e.epoch),
    `${(100 * e.testError).toFixed(1)}%`,
    `${(100 * e.blankAccuracy).toFixed(1)}%`,
    seconds.toFixed(1),
  ]) {
    const td = document.createElement('td');
    td.textContent = text;
    row.append(td);
  }
  $('epochs').append(row);
}

/** Why `quiz` is not a puzzle, or null. */
function badQuiz(quiz: string): string | null {
  if (!/^[0-4]{16}$/.test(quiz))
    return `a puzzle is 16 digits from 0 to 4 (0 for a blank); got "${quiz}" (${quiz.length} characters).`;
  const clash = clueClash(quiz);
  if (clash !== null) return `these clues break the rules: ${clash}.`;
  if (solutionsOf(quiz, 1).length === 0)
    return 'no 4x4 grid completes these clues.';
  return null;
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const secs = () => (performance.now() - t0) / 1000;
  const progress = $<HTMLProgressElement>('progress');
  const status = $('status');
  const r = await runSudokuDemo(config, {
    async step(done, total, loss) {
      progress.value = done / total;
      status.textContent = `step ${done}/${total} · loss ${loss.toFixed(5)} · ${secs().toFixed(1)} s`;
      // Let the page repaint between steps.
      await new Promise((ok) => setTimeout(ok, 0));
    },
    epoch(e) {
      addEpoch(e, secs());
      draw(e.shown.quiz, e.shown.answer, e.shown.solution);
    },
  });
  const last = r.epochs[r.epochs.length - 1];
  status.textContent = `trained: ${r.losses.length} Adam steps on ${config.train} puzzles in ${secs().toFixed(1)} s; test error ${(100 * last.testError).toFixed(1)}% on ${config.test} others`;
  const cells = () => Array.from($('board').children, (c) => c.textContent);
  const trainedBoard = cells();
  const form = $<HTMLFormElement>('play');
  $<HTMLInputElement>('quiz').value = EXAMPLE_QUIZ;
  form.hidden = false;
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const quiz = $<HTMLInputElement>('quiz').value.trim();
    const verdict = $('verdict');
    const bad = badQuiz(quiz);
    verdict.className = bad === null ? '' : 'error';
    if (bad !== null) {
      verdict.textContent = bad;
      return;
    }
    const [answer] = complete(r.model, [quiz]);
    const kept = [...quiz].every((d, i) => d === '0' || d === answer[i]);
    draw(quiz, answer, null);
    verdict.textContent =
      isSolvedGrid(answer) && kept
        ? 'The model’s answer follows the rules and keeps your clues.'
        : 'The model’s answer breaks the rules (train longer, or try another puzzle).';
  });
  const play = params.get('play');
  if (play !== null) {
    $<HTMLInputElement>('quiz').value = play;
    form.requestSubmit();
  }
  await report({
    result: { losses: r.losses, epochs: r.epochs },
    cells: trainedBoard,
    played: { cells: cells(), verdict: $('verdict').textContent },
  });
}

main().catch((e: unknown) => reportFailure(e, $('status')));
