/**
 * The OptNet paper's "OptNet tuned from TV" denoiser: a general QP layer
 * whose every matrix is learned, started where it computes total-variation
 * denoising. This file is meant to be copied as the start of your own
 * model (in your project, import from '@optnet/optnet', '@optnet/nn' and
 * '@optnet/tensor').
 *
 * The layer solves, for each noisy signal y ∈ ℝⁿ, a QP in z ∈ ℝ²ⁿ⁻¹:
 *
 *   minimize_z  ½ zᵀQz + (Wy + c)ᵀz   subject to  Gz ≤ h
 *
 * with Q = LLᵀ + εI (L lower-triangular), and returns the first n entries
 * of z. Everything (L, W, c, G, h) is learned. At the start z = (x, t) with
 * t ∈ ℝⁿ⁻¹ bounding the jumps, and the QP is TV denoising with weight λ:
 *
 *   minimize  ½‖x‖² − yᵀx + λ·Σ tᵢ   subject to  D₀x − t ≤ 0,  −D₀x − t ≤ 0
 *
 * (L = diag(1ₙ, 10⁻⁴·1ₙ₋₁), W = [−I; 0], c = (0, λ·1), G = [D₀ −I; −D₀ −I],
 * h = 0; D₀ the difference operator), since ½‖x‖² − yᵀx = ½‖x − y‖² − ½‖y‖²
 * and what ε adds, ε‖x‖²/2 and (10⁻⁸ + ε)‖t‖²/2, is negligible (the
 * test finds the same signals as TV's to 0.05 at heights 10 to 99). From there the
 * layer may learn any QP of that size: a filter of the input (W), couplings
 * between x and t (Q), other constraints (G, h). That freedom is what
 * carries it below TV; learning D alone (optnet-model.ts) stays at TV.
 */
import { concat, eye, matmul, slice, tensor, zeros } from '@optnet/tensor';
import type { FloatDType, Tensor } from '@optnet/tensor';
import { Module } from '@optnet/nn';
import { qp } from '../../api/qp.js';
import type { QpOptions } from '../../api/types.js';
import { differenceOperator } from './optnet-model.js';

/** Options of OptNetTunedDenoise. */
export interface OptNetTunedDenoiseOptions {
  /** Signal length (default 100). */
  n?: number;
  /** TV's weight at the start: the entries of c that weigh t. */
  lambda: number;
  /** ε in Q = LLᵀ + εI, which keeps Q positive definite (default 1e-4). */
  eps?: number;
  /** dtype of the parameters and of the solve (default 'float64'). */
  dtype?: FloatDType;
  /** Passed to qp() on every forward. */
  qpOptions?: QpOptions;
}

/** √ of the t block's starting weight in Q (L's diagonal there). */
const T_SCALE = 1e-4;

/**
 * A QP layer started at TV denoising with every matrix learned: [batch, n]
 * noisy signals in, [batch, n] denoised signals out.
 * @example
 * const model = new OptNetTunedDenoise({ lambda: 20 });
 * const x = model.forward(noisy); // noisy: [batch, 100]
 */
export class OptNetTunedDenoise extends Module {
  /** Q's factor (only its lower triangle is used), [2n − 1, 2n − 1]. */
  L: Tensor;
  /** The input map: the linear term is W·y + c. W: [2n − 1, n]. */
  W: Tensor;
  /** The linear term's constant part, [2n − 1]. */
  c: Tensor;
  /** The inequalities' matrix in Gz ≤ h, [2n − 2, 2n − 1]. */
  G: Tensor;
  /** The inequalities' right-hand side, [2n − 2]. */
  h: Tensor;
  readonly #lower: Tensor;
  readonly #epsI: Tensor;
  readonly #n: number;
  readonly #qpOptions: QpOptions;

  constructor(options: OptNetTunedDenoiseOptions) {
    super();
    const { n = 100, lambda, eps = 1e-4, dtype = 'float64' } = options;
    const nz = 2 * n - 1;
    const m = n - 1;
    const I = (k: number): Tensor => eye(k, { dtype });
    const lDiag = new Float64Array(nz).fill(1);
    lDiag.fill(T_SCALE, n);
    this.L = zeros([nz, nz], { dtype }).addDiagonal(tensor(lDiag, { dtype }));
    this.W = concat([I(n).neg(), zeros([m, n], { dtype })], 0);
    this.c = tensor(new Float64Array(nz).fill(lambda, n), { dtype });
    const D = differenceOperator(n, dtype);
    this.G = concat(
      [concat([D, I(m).neg()], 1), concat([D.neg(), I(m).neg()], 1)],
      0,
    );
    this.h = zeros([2 * m], { dtype });
    for (const w of [this.L, this.W, this.c, this.G, this.h]) {
      w.requiresGrad = true;
    }
    const lower = new Float64Array(nz * nz);
    for (let i = 0; i < nz; i++) lower.fill(1, i * nz, i * nz + i + 1);
    this.#lower = tensor(lower, { shape: [nz, nz], dtype });
    this.#epsI = I(nz).mul(eps);
    this.#n = n;
    this.#qpOptions = options.qpOptions ?? {};
  }

  forward(y: Tensor): Tensor {
    const L = this.L.mul(this.#lower);
    const Q = matmul(L, L.transpose(0, 1)).add(this.#epsI);
    const p = matmul(y, this.W.transpose(0, 1)).add(this.c);
    const z = qp(Q, p, this.G, this.h, null, null, this.#qpOptions);
    return slice(z, [{}, { stop: this.#n }]);
  }
}
