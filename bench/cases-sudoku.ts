/**
 * One training step of the OptNet paper's Sudoku model at its batch size
 * (150 puzzles): the QP layer's forward (64 variables, z ≥ 0, 40 learned
 * equalities), MSE loss, backward, Adam, as `optnet sudoku` runs it.
 * - "bounds": the model as shipped, declaring Q diagonal and z ≥ 0 a
 *   simple bound (`structure`), so the solver factors one 40 × 40 matrix
 *   per puzzle and iteration (kernels/bounds-*-kernel.ts);
 * - "dense": the same model on the dual reduction (`kkt: 'dual'`) with its
 *   fused kernels (a 64 × 64 factorization per puzzle and iteration after
 *   eliminating the 40 equalities once).
 * - "qpth": the same step on the OptNet paper's own layer (PyTorch, one
 *   thread) through bench/peers/qpth_sudoku.py, from the same puzzles and
 *   parameters, where a python3 with torch is found (Debian's
 *   python3-torch); its first z is compared with ours.
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
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Entry } from './entry.js';
import { Skip, T, type Tensor } from './ops.js';
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
        qpOptions: kind === 'bounds' ? {} : { kkt: 'dual' },
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

/** The first python3 that imports torch ($PYTHON, /usr/bin/python3, python3). */
function pythonWithTorch(): string | null {
  const candidates = [process.env.PYTHON, '/usr/bin/python3', 'python3'];
  for (const py of candidates) {
    if (py === undefined) continue;
    const r = spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  return null;
}

/** Little-endian float64 files of `arrays` and meta.json (their shapes). */
function writeInputs(dir: string, arrays: Record<string, Tensor>): void {
  const meta: Record<string, readonly number[]> = {};
  for (const [name, t] of Object.entries(arrays)) {
    const data = Float64Array.from(t.dataSync());
    writeFileSync(join(dir, `${name}.bin`), new Uint8Array(data.buffer));
    meta[name] = t.shape;
  }
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));
}

function qpthSudokuEntry(): Entry {
  return {
    name: `sudoku step b${BATCH} f64 (qpth, 1 thread)`,
    async run() {
      const py = pythonWithTorch();
      if (py === null) {
        throw new Skip(
          'skipped: no python3 that imports torch (apt-get install python3-torch python3-numpy)',
        );
      }
      const [x, y] = batch();
      const model = new OptNetSudoku({ rng: T.makeRng(1) });
      const dir = mkdtempSync(join(tmpdir(), 'optnet-qpth-'));
      try {
        writeInputs(dir, {
          X: x.reshape([BATCH, 64]),
          Y: y.reshape([BATCH, 64]),
          A: model.A,
          logZ0: model.logZ0,
        });
        const script = fileURLToPath(
          new URL('./peers/qpth_sudoku.py', import.meta.url),
        );
        const r = spawnSync(py, [script, '--inputs', dir, '--reps', '10'], {
          encoding: 'utf8',
          maxBuffer: 64 << 20,
        });
        if (r.status !== 0)
          throw new Error(`qpth_sudoku.py: ${r.stderr.trim()}`);
        const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
          step_median_s: number;
          steps_s: number[];
          z: number[];
        };
        const ours = T.scope(() => model.forward(x).dataSync());
        let diff = 0;
        out.z.forEach((v, i) => (diff = Math.max(diff, Math.abs(v - ours[i]))));
        return {
          timing: {
            medianMs: out.step_median_s * 1000,
            minMs: Math.min(...out.steps_s) * 1000,
            reps: out.steps_s.length,
          },
          derived: `z = ours ± ${diff.toExponential(0)}`,
        };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** The Sudoku step with both reductions (as shipped first), then qpth's. */
export function sudokuEntries(): Entry[] {
  return [
    sudokuStepEntry('dense'),
    sudokuStepEntry('bounds'),
    qpthSudokuEntry(),
  ];
}
