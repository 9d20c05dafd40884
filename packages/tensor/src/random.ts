/**
 * Random generators. Every draw comes from a seeded seedrandom generator:
 * the caller passes one (`{ rng }`), or the global one is used, which
 * starts from seed 0 and can be reseeded with `seed(n)`.
 */
import seedrandom from 'seedrandom';
import { ValueError } from './errors.js';

/**
 * A generator of uniform numbers in [0, 1): what every random function
 * takes as `rng`. Make one with `makeRng(seed)`, never from Math.random,
 * so runs are reproducible.
 * @example
 * const rng: Rng = makeRng(0);
 * randn([3], { rng });
 */
export type Rng = () => number;

let globalRng: Rng = seedrandom('0');

/**
 * A new seeded generator. Its position can be saved with `rngState` and
 * resumed with `restoreRng` (checkpoints of layers that draw, like Dropout).
 * @example
 * const rng = makeRng(42);
 * rand([2, 2], { rng }); // the same values on every run
 */
export function makeRng(seedValue: number | string): Rng {
  const prng = seedrandom(String(seedValue), { state: true });
  const rng: Rng = () => prng();
  states.set(rng, () => JSON.stringify(prng.state()));
  return rng;
}

/** The generators made here, and how to read their positions. */
const states = new WeakMap<Rng, () => string>();

/**
 * The position of a generator from `makeRng` or `restoreRng`, as a string
 * (null for any other function).
 * @example
 * const rng = makeRng(1);
 * const saved = rngState(rng)!;
 * const same = restoreRng(saved);
 * rng() === same(); // true
 */
export function rngState(rng: Rng): string | null {
  return states.get(rng)?.() ?? null;
}

/**
 * A generator that continues from `state` (from rngState): it draws the
 * same numbers the saved one would have drawn next. For resuming a run
 * from a checkpoint.
 * @example
 * const rng = makeRng(1);
 * rng();
 * const resumed = restoreRng(rngState(rng)!);
 * resumed() === rng(); // true: both draw the second number
 */
export function restoreRng(state: string): Rng {
  let parsed: seedrandom.State.Arc4;
  try {
    parsed = JSON.parse(state) as seedrandom.State.Arc4;
  } catch {
    throw new ValueError(
      'BAD_ARGUMENT',
      `restoreRng: state must come from rngState; got ${JSON.stringify(state.slice(0, 40))}.`,
    );
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    !Array.isArray(parsed.S) ||
    parsed.S.length !== 256
  ) {
    throw new ValueError(
      'BAD_ARGUMENT',
      `restoreRng: state must come from rngState; got ${JSON.stringify(state.slice(0, 40))}.`,
    );
  }
  const prng = seedrandom('', { state: parsed });
  const rng: Rng = () => prng();
  states.set(rng, () => JSON.stringify(prng.state()));
  return rng;
}

/**
 * Reseed the global generator (the one random functions use without an
 * `rng`), to repeat a run's draws.
 * @example
 * seed(0);
 * const a = rand([2]);
 * seed(0);
 * const b = rand([2]); // the same values as a
 */
export function seed(seedValue: number | string): void {
  globalRng = seedrandom(String(seedValue));
}

export function getRng(rng?: Rng): Rng {
  return rng ?? globalRng;
}

/** Standard normal by Box–Muller; consumes two uniforms per pair. */
export function fillNormal(
  out: { length: number; [i: number]: number },
  rng: Rng,
): void {
  for (let i = 0; i < out.length; i += 2) {
    const u1 = 1 - rng(); // (0, 1]: log stays finite
    const u2 = rng();
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
}
