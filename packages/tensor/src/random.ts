/**
 * Random generators. Every draw comes from a seeded seedrandom generator:
 * the caller passes one (`{ rng }`), or the global one is used, which
 * starts from seed 0 and can be reseeded with `seed(n)`.
 */
import seedrandom from 'seedrandom';

/** A generator of uniform numbers in [0, 1). */
export type Rng = () => number;

let globalRng: Rng = seedrandom('0');

/**
 * A new seeded generator.
 * @example const rng = makeRng(42); rand([2, 2], { rng });
 */
export function makeRng(seedValue: number | string): Rng {
  return seedrandom(String(seedValue));
}

/** Reseed the global generator. */
export function seed(seedValue: number | string): void {
  globalRng = seedrandom(String(seedValue));
}

export function getRng(rng?: Rng): Rng {
  return rng ?? globalRng;
}

/** Standard normal by Box–Muller; consumes two uniforms per pair. */
export function fillNormal(out: { length: number; [i: number]: number }, rng: Rng): void {
  for (let i = 0; i < out.length; i += 2) {
    const u1 = 1 - rng(); // (0, 1]: log stays finite
    const u2 = rng();
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
}
