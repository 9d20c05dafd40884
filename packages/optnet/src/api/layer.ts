/**
 * OptNetLayer: the OptNet paper's general parameterization as an
 * nn-style module. Its output is the solution of
 *   minimize ½ zᵀQz + pᵀz  subject to  Gz ≤ h,  Az = b
 * where p comes from the previous layer and the learned parameters give
 *   Q = L Lᵀ + eps·I   (L masked to its lower triangle, so Q is always PD)
 *   h = G z0 + softplus(s0)
 *   b = A z0
 * z0 satisfies every constraint (strictly, since softplus > 0), so each
 * problem is feasible by construction whatever the parameters are.
 *
 * We use softplus(s0) rather than the paper's raw s0 ≥ 0 because plain SGD
 * cannot keep a raw s0 nonnegative, and s0² has a zero gradient at 0.
 *
 * Glossary: nz variables, nIneq inequalities, nEq equalities, nBatch items.
 */
import {
  eye,
  matmul,
  randn,
  softplus,
  tensor,
  DTypeError,
  ShapeError,
  ValueError,
  type FloatDType,
  type OptionKeys,
  type Rng,
  type Tensor,
} from '@optnet/tensor';
import { Module } from '@optnet/nn';
import { qp, qpAsync } from './qp.js';
import type { QpOptions } from './types.js';
import { refuseUnknownKeys } from './closest.js';
import { checkOptions } from './options.js';

/**
 * Options of OptNetLayer: the problem's sizes, and how it is built and
 * solved.
 * @example
 * const opts: OptNetLayerOptions = { nz: 10, nIneq: 20, nEq: 2, eps: 1e-3 };
 * const layer = new OptNetLayer(opts);
 */
export interface OptNetLayerOptions {
  /** Number of decision variables (the width of p and z). */
  nz: number;
  /** Number of inequality constraints Gz ≤ h (at least 1). */
  nIneq: number;
  /** Number of equality constraints Az = b (default 0, fewer than nz). */
  nEq?: number;
  /** Added to the diagonal of Q = L Lᵀ (default 1e-4). */
  eps?: number;
  /**
   * dtype of the parameters, of the input p and of the output z (default
   * 'float32', as `Linear`'s).
   */
  dtype?: FloatDType;
  /**
   * dtype the QP is solved in (default 'float64'). With a float32 layer it
   * solves in double and returns float32, as the paper's Sudoku model does:
   * p and the parameters are cast up, z is cast back, and the gradients
   * flow through both casts. `'float32'` solves in single precision: about
   * as accurate in z, but its gradients are much rougher (README,
   * Accuracy).
   */
  solveDtype?: FloatDType;
  /** Generator for the initial parameters (default: the global seeded one). */
  rng?: Rng;
  /** Passed to qp() on every forward. */
  qpOptions?: QpOptions;
}

/**
 * The learned tensors of an OptNetLayer (what `params()` returns and
 * optnetForward takes); A is null when nEq = 0.
 * @example
 * const layer = new OptNetLayer({ nz: 3, nIneq: 4 });
 * const { L, G, z0, s0, A }: OptNetParams = layer.params(); // A null
 */
export interface OptNetParams {
  /** [nz, nz]; its lower triangle gives Q = L Lᵀ + eps·I. */
  L: Tensor;
  /** The inequality matrix, [nIneq, nz]. */
  G: Tensor;
  /** A point that satisfies every constraint, [nz]. */
  z0: Tensor;
  /**
   * [nIneq] raw slacks: those at z0 are softplus(s0), so
   * h = G z0 + softplus(s0).
   */
  s0: Tensor;
  /** The equality matrix [nEq, nz] (b = A z0), or null. */
  A: Tensor | null;
}

/**
 * Sizes and constants the pure forward needs besides the parameters.
 * @example
 * const config: OptNetConfig = { eps: 1e-4, solveDtype: 'float64' };
 * const layer = new OptNetLayer({ nz: 3, nIneq: 4 });
 * optnetForward(layer.params(), randn([2, 3]), config); // [2, 3]
 */
export interface OptNetConfig {
  /** Added to the diagonal of Q = L Lᵀ. */
  eps: number;
  /** Passed to qp(). */
  qpOptions?: QpOptions;
  /** Solve in this dtype, returning p's (default: p's dtype). */
  solveDtype?: FloatDType;
}

/**
 * The QP data an OptNetLayer's parameters define (b null when nEq = 0).
 * @example
 * const layer = new OptNetLayer({ nz: 3, nIneq: 4 });
 * const { Q, G, h }: OptNetProblem = optnetProblem(layer.params(), 1e-4);
 */
export interface OptNetProblem {
  /** [nz, nz] = L Lᵀ + eps·I, positive definite. */
  Q: Tensor;
  /** [nIneq, nz], as learned. */
  G: Tensor;
  /** [nIneq] = G z0 + softplus(s0). */
  h: Tensor;
  /** [nEq, nz], as learned, or null. */
  A: Tensor | null;
  /** [nEq] = A z0, or null. */
  b: Tensor | null;
}

function lowerMask(n: number, like: Tensor): Tensor {
  const f64 = like.dtype === 'float64';
  const m = new (f64 ? Float64Array : Float32Array)(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) m[i * n + j] = 1;
  return tensor(m, { shape: [n, n], backend: like.backend });
}

/**
 * The QP data (Q, G, h, A, b) the parameters define, without solving: to
 * inspect what a trained layer learned, or to solve it with solveQp.
 * @example
 * const layer = new OptNetLayer({ nz: 3, nIneq: 4 });
 * const { Q, h } = optnetProblem(layer.params(), layer.eps); // [3, 3], [4]
 */
export function optnetProblem(
  params: OptNetParams,
  eps: number,
): OptNetProblem {
  const { L, G, z0, s0, A } = params;
  const nz = L.shape[0];
  const Lm = L.mul(lowerMask(nz, L));
  const Q = matmul(Lm, Lm, { transB: true }).add(
    eye(nz, { dtype: L.dtype, backend: L.backend }).mul(eps),
  );
  const h = matmul(G, z0.unsqueeze(-1)).squeeze(-1).add(softplus(s0));
  const b = A === null ? null : matmul(A, z0.unsqueeze(-1)).squeeze(-1);
  return { Q, G, h, A, b };
}

/** The arguments of the layer's qp call. */
type QpCall = [
  Tensor,
  Tensor,
  Tensor,
  Tensor,
  Tensor | null,
  Tensor | null,
  QpOptions,
];

/**
 * The qp arguments the parameters and p define, in the solve dtype; a
 * solve dtype the backend does not hold is DTYPE_UNSUPPORTED naming
 * solveDtype.
 */
function qpCall(params: OptNetParams, p: Tensor, config: OptNetConfig): QpCall {
  const dtype = config.solveDtype ?? p.dtype;
  if (!p.backend.dtypes.includes(dtype)) {
    throw new DTypeError(
      'DTYPE_UNSUPPORTED',
      `OptNetLayer: the ${p.backend.name} backend holds ${p.backend.dtypes.join(', ')}; got solveDtype ${dtype}. ` +
        `Pass solveDtype: '${p.dtype}' (its gradients are rougher: README, Accuracy), or run the layer on the CPU.`,
    );
  }
  // cast is the identity when the dtypes already agree; otherwise its VJP
  // casts the gradient back, so training sees float32 gradients of a
  // float64 solve.
  const { L, G: G0, z0, s0, A: A0 } = params;
  const up = {
    L: L.cast(dtype),
    G: G0.cast(dtype),
    z0: z0.cast(dtype),
    s0: s0.cast(dtype),
    A: A0 === null ? null : A0.cast(dtype),
  };
  const { Q, G, h, A, b } = optnetProblem(up, config.eps);
  return [Q, p.cast(dtype), G, h, A, b, config.qpOptions ?? {}];
}

/**
 * The layer's math as a pure function of its parameters (what
 * OptNetLayer.forward calls; differentiable in p and every parameter):
 * for functional code that holds the parameters itself.
 * @example
 * const layer = new OptNetLayer({ nz: 3, nIneq: 4 });
 * const p = randn([2, 3]);
 * const z = optnetForward(layer.params(), p, { eps: 1e-4 }); // [2, 3]
 */
export function optnetForward(
  params: OptNetParams,
  p: Tensor,
  config: OptNetConfig,
): Tensor {
  return qp(...qpCall(params, p, config)).cast(p.dtype);
}

/**
 * optnetForward on any backend (qpAsync: the solver's reads awaited).
 * @example const z = await optnetForwardAsync(layer.params(), p, { eps: 1e-4 });
 */
export async function optnetForwardAsync(
  params: OptNetParams,
  p: Tensor,
  config: OptNetConfig,
): Promise<Tensor> {
  return (await qpAsync(...qpCall(params, p, config))).cast(p.dtype);
}

function checkSize(name: string, v: number, min: number, hint: string): void {
  if (!Number.isInteger(v) || v < min) {
    throw new ValueError(
      'BAD_ARGUMENT',
      `OptNetLayer: ${name} must be an integer ≥ ${min}; got ${v}. ${hint}`,
    );
  }
}

function checkDtype(name: string, dtype: unknown): void {
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new DTypeError(
      'DTYPE_MISMATCH',
      `OptNetLayer: ${name} must be 'float32' or 'float64'; got ${String(dtype)}. ` +
        `The QP is solved in floating point.`,
    );
  }
}

/** The keys OptNetLayerOptions takes (a key added there fails tsc here). */
const LAYER_KEYS: OptionKeys<OptNetLayerOptions> = {
  nz: 1,
  nIneq: 1,
  nEq: 1,
  eps: 1,
  dtype: 1,
  solveDtype: 1,
  rng: 1,
  qpOptions: 1,
};

/**
 * An unknown key (a typo such as nEqs, which would otherwise leave nEq at
 * 0 without a word) throws ValueError BAD_ARGUMENT naming the closest known
 * one; qpOptions get qp's own checks now rather than at the first forward.
 */
function checkLayerOptions(options: OptNetLayerOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new ValueError(
      'BAD_ARGUMENT',
      `OptNetLayer: options must be an object; got ${String(options)}. Pass { nz, nIneq } at least.`,
    );
  }
  refuseUnknownKeys('OptNetLayer', options, Object.keys(LAYER_KEYS));
  checkOptions('OptNetLayer (qpOptions)', options.qpOptions);
}

function checkConfig(
  nz: number,
  nIneq: number,
  nEq: number,
  eps: number,
): void {
  checkSize('nz', nz, 1, "Pass the width of p, the previous layer's output.");
  checkSize(
    'nIneq',
    nIneq,
    1,
    'OptNetLayer needs at least one inequality; call qp() directly otherwise.',
  );
  checkSize('nEq', nEq, 0, 'Pass 0 for no equality constraints.');
  if (nEq >= nz) {
    throw new ValueError(
      'BAD_ARGUMENT',
      `OptNetLayer: nEq must be smaller than nz; got nEq ${nEq}, nz ${nz}. With nEq ≥ nz the equalities alone fix z.`,
    );
  }
  if (!(eps >= 0) || !Number.isFinite(eps)) {
    throw new ValueError(
      'BAD_ARGUMENT',
      `OptNetLayer: eps must be a finite number ≥ 0; got ${eps}. The default 1e-4 keeps Q positive definite.`,
    );
  }
}

/**
 * A differentiable QP layer with learned Q, G, h, A, b (the OptNet
 * paper's general form), an nn Module: its parameters are the fields L,
 * G, z0, s0 and A (when nEq > 0), named so in `namedParameters()`,
 * `stateDict()` and checkpoints, and trained by any @optnet/nn optimizer.
 * float32 by default, like `Linear`, so it composes in a `Sequential`; it
 * solves in double (`solveDtype`, default 'float64') and returns float32.
 * @example
 * const layer = new OptNetLayer({ nz: 4, nIneq: 6, rng: makeRng(1) });
 * const p = randn([8, 4]); // float32, from the previous layer
 * const z = layer.forward(p); // [8, 4]
 * z.square().sum().backward(); // layer.L.grad, layer.G.grad, ...
 */
export class OptNetLayer extends Module {
  /** Number of decision variables (the width of p and z). */
  readonly nz: number;
  /** Number of inequality constraints. */
  readonly nIneq: number;
  /** Number of equality constraints (0: none, and A is null). */
  readonly nEq: number;
  /** Added to the diagonal of Q = L Lᵀ. */
  readonly eps: number;
  /** dtype of the parameters, of p and of z. */
  readonly dtype: FloatDType;
  /** dtype the QP is solved in. */
  readonly solveDtype: FloatDType;
  /** Passed to qp() on every forward; may be changed between calls. */
  qpOptions: QpOptions;
  /** [nz, nz] parameter: Q = L Lᵀ + eps·I from its lower triangle. */
  L: Tensor;
  /** [nIneq, nz] parameter: the inequality matrix. */
  G: Tensor;
  /** [nz] parameter: a feasible point, h = G z0 + softplus(s0). */
  z0: Tensor;
  /** [nIneq] parameter: the slacks at z0 are softplus(s0). */
  s0: Tensor;
  /** [nEq, nz] parameter (b = A z0), or null when nEq = 0. */
  A: Tensor | null;

  constructor(options: OptNetLayerOptions) {
    checkLayerOptions(options);
    const {
      nz,
      nIneq,
      nEq = 0,
      eps = 1e-4,
      dtype = 'float32',
      solveDtype = 'float64',
      rng,
      qpOptions = {},
    } = options;
    super();
    checkConfig(nz, nIneq, nEq, eps);
    checkDtype('dtype', dtype);
    checkDtype('solveDtype', solveDtype);
    this.nz = nz;
    this.nIneq = nIneq;
    this.nEq = nEq;
    this.eps = eps;
    this.dtype = dtype;
    this.solveDtype = solveDtype;
    this.qpOptions = qpOptions;
    const leaf = (t: Tensor): Tensor => {
      t.requiresGrad = true;
      return t;
    };
    const r = { rng, dtype };
    // L near the identity keeps the initial Q well conditioned; G rows of
    // norm about 1; s0 ~ N(0, 0.25) gives slacks softplus(s0) ≈ 0.5–1 at z0.
    this.L = leaf(
      eye(nz, { dtype }).add(randn([nz, nz], r).mul(0.3 / Math.sqrt(nz))),
    );
    this.G = leaf(randn([nIneq, nz], r).mul(1 / Math.sqrt(nz)));
    this.z0 = leaf(randn([nz], r).mul(0.5));
    this.s0 = leaf(randn([nIneq], r).mul(0.5));
    this.A = nEq > 0 ? leaf(randn([nEq, nz], r).mul(1 / Math.sqrt(nz))) : null;
  }

  /** The current parameters as the pure function optnetForward takes them. */
  params(): OptNetParams {
    return { L: this.L, G: this.G, z0: this.z0, s0: this.s0, A: this.A };
  }

  /**
   * z* for each row of p ([nBatch, nz] → [nBatch, nz], or [nz] → [nz]).
   * Throws QpError QP_NOT_SOLVED if the solver fails on an item.
   */
  forward(p: Tensor): Tensor {
    this.#checkInput(p);
    return optnetForward(this.params(), p, this.#config());
  }

  /**
   * `forward` on any backend (a GPU): the solver's reads are awaited. The
   * backend must hold `solveDtype` (a GPU holds float32 only).
   * @example const z = await layer.forwardAsync(p);
   */
  override async forwardAsync(p: Tensor): Promise<Tensor> {
    this.#checkInput(p);
    return optnetForwardAsync(this.params(), p, this.#config());
  }

  #config(): OptNetConfig {
    return {
      eps: this.eps,
      qpOptions: this.qpOptions,
      solveDtype: this.solveDtype,
    };
  }

  /** p's shape [nBatch, nz] or [nz], and the layer's dtype. */
  #checkInput(p: Tensor): void {
    const last = p.shape[p.rank - 1];
    if ((p.rank !== 1 && p.rank !== 2) || last !== this.nz) {
      throw new ShapeError(
        'SHAPE_MISMATCH',
        `OptNetLayer: p must be [nBatch, ${this.nz}] or [${this.nz}]; got [${p.shape.join(', ')}]. Make the previous layer output nz = ${this.nz} features.`,
      );
    }
    if (p.dtype !== this.dtype) {
      throw new DTypeError(
        'DTYPE_MISMATCH',
        `OptNetLayer: p must have the layer's dtype; got ${p.dtype}, layer ${this.dtype}. ` +
          `Cast p with p.cast('${this.dtype}'), or build the layer with dtype '${p.dtype}' ` +
          `(solveDtype sets the precision of the solve alone).`,
      );
    }
  }

  /**
   * `nz=…, nIneq=…, nEq=…, eps=…, dtype=…, solveDtype=…`, inside
   * `toString()`'s parentheses.
   */
  override extraRepr(): string {
    return `nz=${this.nz}, nIneq=${this.nIneq}, nEq=${this.nEq}, eps=${this.eps}, dtype=${this.dtype}, solveDtype=${this.solveDtype}`;
  }
}
