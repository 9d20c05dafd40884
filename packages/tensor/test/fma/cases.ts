// The float32 products wasm-fma.test.ts checks, shared with its child.
import * as T from '@optnet/tensor';

export interface Case {
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly transA?: boolean;
  readonly transB?: boolean;
  readonly seed: number;
}

/**
 * Edge tiles in both directions (rows not a multiple of 4 or 6, columns
 * not of 8), two depth blocks (k > 256), two row blocks (m > 126), each
 * transpose, and both micro-tiles (with fused multiply-add, m = 7 runs
 * 4-row panels and the others 6-row ones: sgemm.ts tileRows).
 */
export const CASES: readonly Case[] = [
  { m: 7, k: 5, n: 3, seed: 1 },
  { m: 130, k: 300, n: 21, seed: 2 },
  { m: 64, k: 513, n: 40, transA: true, seed: 3 },
  { m: 45, k: 77, n: 66, transB: true, seed: 4 },
  { m: 200, k: 260, n: 9, transA: true, transB: true, seed: 5 },
];

/** Seeded float32 operands of `c`, stored as its transposes say. */
export function inputsOf(c: Case): [T.Tensor, T.Tensor] {
  const rng = T.makeRng(c.seed);
  const a = T.randn(c.transA ? [c.k, c.m] : [c.m, c.k], { rng });
  const b = T.randn(c.transB ? [c.n, c.k] : [c.k, c.n], { rng });
  return [a, b];
}

/**
 * A product whose entries are −(1 + 2⁻¹¹) + (1 + 2⁻¹²)²: exactly 2⁻²⁴
 * when the last product is fused into the sum, 0 when it is rounded first
 * (the square is 1 + 2⁻¹¹ + 2⁻²⁴, a tie that rounds to 1 + 2⁻¹¹).
 */
export function fusedProbe(): [T.Tensor, T.Tensor] {
  const x = 1 + 2 ** -12;
  const a = T.tensor(
    [
      [-1, x],
      [-1, x],
    ],
    { dtype: 'float32' },
  );
  const b = T.tensor(
    [
      [1 + 2 ** -11, 1 + 2 ** -11],
      [x, x],
    ],
    { dtype: 'float32' },
  );
  return [a, b];
}

/** A CPU backend without float64: the op suite's cases run in float32. */
export class Float32Cpu extends T.CpuBackend {
  override readonly name = 'cpu-f32';
  override readonly dtypes: readonly T.DType[] = ['float32', 'int32', 'bool'];
}
