/**
 * One training step of the OptNet paper's Sudoku model at its batch size
 * (150 puzzles): the QP layer's forward (64 variables, z ≥ 0, 40 learned
 * equalities), MSE loss, backward, Adam, as `optnet sudoku` runs it.
 * - "bounds": the model as shipped, on the bounds reduction (`kkt:
 *   'bounds'`, the model's default, which its declared diagonal Q and
 *   simple bounds allow): one 40 × 40 factorization per puzzle and
 *   iteration (kernels/bounds-*-kernel.ts);
 * - "bounds, polished": the same with each QP answer polished to its
 *   active set's vertex (`polish: true`, `optnet sudoku --polish on`; the
 *   model does not polish by default), which shows what polishing costs;
 * - "dense": the same model on the dual reduction (`kkt: 'dual'`) with
 *   its fused kernels (a 64 × 64 factorization per puzzle and iteration
 *   after eliminating the 40 equalities once).
 * The bounds row's qpth column: the same step on the OptNet paper's own
 * layer (PyTorch, one thread) through bench/peers/qpth_sudoku.py, from the
 * same puzzles and parameters, where a python3 with torch is found
 * (Debian's python3-torch), in rounds interleaved with ours; its first z
 * is compared with ours.
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
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Entry, RunContext } from './entry.js';
import { T, type Tensor } from './ops.js';
import {
  NO_TORCH,
  pythonWithTorch,
  runPeerScript,
  writeInputs,
} from './python.js';
import { summarize, timeIt, type PeerCell, type Timing } from './util.js';

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

type Kind = 'bounds' | 'polished' | 'dense';

const QP_OPTIONS = {
  bounds: { kkt: 'bounds' },
  polished: { kkt: 'bounds', polish: true },
  dense: { kkt: 'dual' },
} as const;

function sudokuStepEntry(kind: Kind): Entry {
  const label = kind === 'polished' ? 'bounds KKT, polished' : `${kind} KKT`;
  return {
    name: `sudoku step b${BATCH} f64 (${label})`,
    async run(ctx: RunContext) {
      const [x, y] = batch();
      const model = new OptNetSudoku({
        rng: T.makeRng(1),
        qpOptions: QP_OPTIONS[kind],
      });
      // the qpth peer starts from the same untrained parameters
      const inputs = {
        X: x.reshape([BATCH, 64]),
        Y: y.reshape([BATCH, 64]),
        A: T.keep(model.A.mul(1)),
        logZ0: T.keep(model.logZ0.mul(1)),
      };
      const z0 = T.scope(() => model.forward(x).dataSync());
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
      const derived = (t: Timing) =>
        `${(BATCH / (t.medianMs / 1000)).toFixed(0)} puzzles/s`;
      const opts = { warmup: 2, minReps: 10, maxReps: 30, budgetMs: 8000 };
      if (ctx.peers === null || kind !== 'bounds') {
        const timing = await timeIt(step, opts);
        return { timing, derived: derived(timing) };
      }
      const py = pythonWithTorch();
      if (py === null) {
        const timing = await timeIt(step, opts);
        const peers = [{ peer: 'qpth', missing: NO_TORCH }];
        return { timing, derived: derived(timing), peers };
      }
      const [timing, cell] = await againstQpth(py, inputs, z0, step);
      return { timing, derived: derived(timing), peers: [cell] };
    },
  };
}

/** Rounds of (qpth's steps, ours); qpth's z from the start checked against z0. */
async function againstQpth(
  py: string,
  inputs: Record<string, Tensor>,
  z0: ArrayLike<number>,
  step: () => number,
): Promise<[Timing, PeerCell]> {
  const dir = mkdtempSync(join(tmpdir(), 'optnet-qpth-'));
  try {
    writeInputs(dir, inputs);
    const ours: number[] = [];
    const theirs: number[] = [];
    const ratios: number[] = [];
    let diff = 0;
    for (let r = 0; r < 3; r++) {
      const out = runPeerScript<{ steps_s: number[]; z: number[] }>(
        py,
        'qpth_sudoku.py',
        ['--inputs', dir, '--reps', '3', '--warmup', '1'],
      );
      // Ten steps a round after two untimed ones: the first steps after
      // qpth's process run on cold caches, and three (as before) left the
      // round's median to one or two of them.
      const t = await timeIt(step, { warmup: 2, minReps: 10, maxReps: 10 });
      const q = summarize(out.steps_s.map((v) => v * 1000));
      ours.push(t.medianMs);
      theirs.push(...out.steps_s.map((v) => v * 1000));
      ratios.push(t.medianMs / q.medianMs);
      out.z.forEach((v, i) => (diff = Math.max(diff, Math.abs(v - z0[i]))));
    }
    const cell: PeerCell = {
      peer: 'qpth',
      timing: summarize(theirs),
      ratio: summarize(ratios).medianMs,
      diff,
      mismatch: !(diff <= 1e-3),
      note: 'Δ: first z, absolute',
    };
    return [summarize(ours), cell];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The Sudoku step with both reductions (as shipped first). */
export function sudokuEntries(): Entry[] {
  return [
    sudokuStepEntry('bounds'),
    sudokuStepEntry('polished'),
    sudokuStepEntry('dense'),
  ];
}
