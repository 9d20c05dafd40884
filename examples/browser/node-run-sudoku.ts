// The Sudoku page's computation (its ?small=1 run, then the model's answer
// to EXAMPLE_QUIZ) in Node, printed as one JSON line: the reference the
// browser test compares the page with.
//   node --conditions=source --import ./scripts/register.mjs examples/browser/node-run-sudoku.ts
import { complete, EXAMPLE_QUIZ, runSudokuDemo, SMALL } from './sudoku-demo.js';

const { losses, epochs, model } = await runSudokuDemo(SMALL);
const [played] = complete(model, [EXAMPLE_QUIZ]);
console.log(JSON.stringify({ losses, epochs, played }));
