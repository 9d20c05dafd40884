/**
 * Total-variation denoising as a QP layer whose difference operator D is
 * learned (the OptNet paper's denoising experiment). This file is meant to
 * be copied as the start of your own model (in your project, import from
 * '@optnet/optnet', '@optnet/nn' and '@optnet/tensor').
 *
 * TV denoising of a noisy signal y ∈ ℝⁿ is
 *
 *   minimize_x  ½‖x − y‖² + ‖Dx‖₁
 *
 * with D the (n−1)×n difference operator (Dx)ᵢ = x₍ᵢ₊₁₎ − xᵢ scaled by the
 * regularization weight λ (λ·‖D₀x‖₁ = ‖(λD₀)x‖₁, so one matrix holds both).
 * The layer solves its dual, a QP in ν ∈ ℝⁿ⁻¹ with box constraints:
 *
 *   minimize_ν  ½ νᵀ(DDᵀ)ν − (Dy)ᵀν   subject to  −1 ≤ ν ≤ 1
 *
 * and returns x = y − Dᵀν. (‖Dx‖₁ = max over |ν| ≤ 1 of νᵀDx; minimizing
 * over x first gives x = y − Dᵀν and the dual above.) Why the dual: it has
 * n−1 variables and Q = DDᵀ is positive definite for the difference
 * operator, where the primal as a QP needs 2n−1 variables (x and the
 * bounds t ≥ |Dx|) and a singular Q. The two have the same solution x, so
 * learning D in the dual learns the same model.
 *
 * With D = λ·D₀ fixed this is plain TV denoising (`--model tv`); OptNet
 * with `--learn D` starts there and learns all (n−1)·n entries of D from
 * the loss. (It stays at TV's error; the default `--learn qp`,
 * tuned-model.ts, learns every matrix of a larger QP and goes below.)
 */
import { eye, matmul, ones, tensor, concat } from '@optnet/tensor';
import type { FloatDType, Tensor } from '@optnet/tensor';
import { Module } from '@optnet/nn';
import { qp } from '../../api/qp.js';
import type { QpOptions } from '../../api/types.js';

/**
 * The (n−1)×n difference operator: row i is −1 at i and +1 at i + 1.
 * @example
 * differenceOperator(3, 'float64').arraySync(); // [[-1, 1, 0], [0, -1, 1]]
 */
export function differenceOperator(n: number, dtype: FloatDType): Tensor {
  const d = new Float64Array((n - 1) * n);
  for (let i = 0; i < n - 1; i++) {
    d[i * n + i] = -1;
    d[i * n + i + 1] = 1;
  }
  return tensor(d, { shape: [n - 1, n], dtype });
}

/** Options of OptNetDenoise. */
export interface OptNetDenoiseOptions {
  /** Signal length (default 100). */
  n?: number;
  /** TV's weight: D starts as λ times the difference operator. */
  lambda: number;
  /** dtype of D and of the solve (default 'float64'). */
  dtype?: FloatDType;
  /** Passed to qp() on every forward. */
  qpOptions?: QpOptions;
}

/**
 * TV denoising with a learnable D: [batch, n] noisy signals in, [batch, n]
 * denoised signals out.
 * @example
 * const model = new OptNetDenoise({ lambda: 20 });
 * const x = model.forward(noisy); // noisy: [batch, 100]
 */
export class OptNetDenoise extends Module {
  /** The learned operator, [n − 1, n]. */
  D: Tensor;
  readonly #G: Tensor;
  readonly #h: Tensor;
  readonly #qpOptions: QpOptions;

  constructor(options: OptNetDenoiseOptions) {
    super();
    const { n = 100, lambda, dtype = 'float64' } = options;
    this.D = differenceOperator(n, dtype).mul(lambda);
    this.D.requiresGrad = true;
    const I = eye(n - 1, { dtype });
    this.#G = concat([I, I.neg()], 0); // ν ≤ 1 and −ν ≤ 1
    this.#h = ones([2 * (n - 1)], { dtype });
    this.#qpOptions = options.qpOptions ?? {};
  }

  forward(y: Tensor): Tensor {
    const Dt = this.D.transpose(0, 1);
    const Q = matmul(this.D, Dt);
    const p = matmul(y, Dt).neg(); // row b: −D·y_b
    const nu = qp(Q, p, this.#G, this.#h, null, null, this.#qpOptions);
    return y.sub(matmul(nu, this.D));
  }
}
