/**
 * qp(): the differentiable QP layer, a custom primitive; solveQp(): the
 * same solve with every diagnostic.
 *
 * Glossary: Q p G h A b the data; z primal, s slack, lam/nu duals;
 * nBatch nz nIneq nEq.
 *
 * Backward (implicit differentiation of the KKT conditions at the
 * solution, as in the OptNet paper). Differentiating
 *   Qz + p + Gᵀlam + Aᵀnu = 0,  lam∘(Gz − h) = 0,  Az = b
 * and solving the adjoint system for a loss gradient g = ∂ℓ/∂z gives one
 * solve with the forward's KKT matrix at d = lam/s:
 *   [Q  Gᵀ    Aᵀ] [a ]   [g]
 *   [G  −d⁻¹  0 ] [c ] = [0]
 *   [A  0     0 ] [e ]   [0]
 * and then
 *   ∂ℓ/∂p = −a            ∂ℓ/∂Q = −½(a zᵀ + z aᵀ)
 *   ∂ℓ/∂h = c             ∂ℓ/∂G = −(lam aᵀ + c zᵀ)
 *   ∂ℓ/∂b = e             ∂ℓ/∂A = −(nu aᵀ + e zᵀ)
 * For an argument shared across the batch the per-item gradients are
 * summed (autograd's rule for broadcasting), never averaged.
 */
import { definePrimitive } from '@optnet/autograd';
import { RuntimeError, where, zeros, type Tensor } from '@optnet/tensor';
import { QpError } from './errors.js';
import { solveKkt } from '../solver/kkt/kkt.js';
import type { KktFact } from '../solver/kkt/types.js';
import { maskOf } from '../solver/best.js';
import {
  runAsync,
  runSync,
  type Iterate,
  type PdipmOutcome,
} from '../solver/pdipm.js';
import { adjointFact, outer2 } from '../solver/adjoint.js';
import type { Solved } from '../solver/polish.js';
import { solveGen, type Prepared } from '../solver/prepare.js';
import { dropEmpty, toInputs, type QpArgs } from './inputs.js';
import { checkOptions } from './options.js';
import type { QpArg, QpOptions, QpResult } from './types.js';
import { checkShapes, type QpInputs } from './validate.js';

interface QpAttrs {
  readonly hasG: boolean;
  readonly hasA: boolean;
  readonly options: QpOptions;
  /** The solve, when qpAsync ran it before binding (else forward runs it). */
  readonly solved?: [Prepared, Solved];
}

interface QpResiduals {
  readonly prep: Prepared;
  readonly out: Solved;
  /** The backward's iterate and factorization; null until needed. */
  adjoint: { it: Iterate; fact: KktFact; skip: Tensor | null } | null;
}

/**
 * The iterate and factorization the backward solves with. An item that
 * ended 'numerical_error', 'infeasible' or 'unbounded' has no meaningful
 * KKT system (an infeasible one's duals grow without bound): it is
 * skipped (zero iterate, s = lam = 1, zero gradient), so it cannot poison
 * a gradient summed over the batch.
 */
function adjointOf(
  prep: Prepared,
  out: Solved,
): NonNullable<QpResiduals['adjoint']> {
  const bad = out.status.map(
    (s) => s === 'numerical_error' || s === 'infeasible' || s === 'unbounded',
  );
  if (!bad.some((b) => b))
    return { it: out.it, fact: adjointFact(prep.pre, out, null), skip: null };
  const skip = maskOf(bad);
  const fill = (t: Tensor | null, v: number): Tensor | null =>
    t === null ? null : where(skip, v, t);
  const it = {
    z: fill(out.it.z, 0)!,
    s: fill(out.it.s, 1),
    lam: fill(out.it.lam, 0),
    nu: fill(out.it.nu, 0),
  };
  return { it, fact: adjointFact(prep.pre, out, skip), skip };
}

function pack(x: QpInputs): [Tensor[], Pick<QpAttrs, 'hasG' | 'hasA'>] {
  const inputs = [x.Q, x.p];
  if (x.G !== null && x.h !== null) inputs.push(x.G, x.h);
  if (x.A !== null && x.b !== null) inputs.push(x.A, x.b);
  return [inputs, { hasG: x.G !== null, hasA: x.A !== null }];
}

function unpack(inputs: readonly Tensor[], attrs: QpAttrs): QpInputs {
  const [Q, p] = inputs;
  const G = attrs.hasG ? inputs[2] : null;
  const h = attrs.hasG ? inputs[3] : null;
  const A = attrs.hasA ? inputs[attrs.hasG ? 4 : 2] : null;
  const b = attrs.hasA ? inputs[attrs.hasG ? 5 : 3] : null;
  return { Q, p, G, h, A, b };
}

/**
 * Throw QP_NOT_SOLVED naming the items, their status, the iterations run
 * and the residuals.
 * @example
 * raiseIfNotSolved(out); // no-op when every item is 'solved'
 */
export function raiseIfNotSolved(out: PdipmOutcome): void {
  const bad = out.status
    .map((s, i) => [s, i] as const)
    .filter(([s]) => s !== 'solved');
  if (bad.length === 0) return;
  const shown = bad
    .slice(0, 5)
    .map(([s, i]) => `item ${i}: ${s} after ${out.iterations[i]}`)
    .join(', ');
  const ran = out.iterations.reduce((m, k) => Math.max(m, k), 0);
  const more = bad.length > 5 ? `, and ${bad.length - 5} more` : '';
  const worst = bad[0][1];
  const st = out.stats[worst];
  const kinds = new Set(bad.map(([s]) => s));
  const hint = kinds.has('infeasible')
    ? 'No z satisfies Gz ≤ h, Az = b for those items; check how h and b are produced.'
    : kinds.has('unbounded')
      ? 'The objective decreases without bound; make Q positive definite or bound z.'
      : 'Raise maxIter or tol, scale the data, or pass onNotSolved: "return" and read the status with solveQp.';
  throw new QpError(
    'QP_NOT_SOLVED',
    `qp: ${bad.length}/${out.status.length} problems not solved after ${ran} iterations (${shown}${more}; item ${worst} primal residual ${fmt(st?.[0])}, dual ${fmt(st?.[1])}, gap ${fmt(st?.[2])}). ${hint}`,
  );
}

const fmt = (v: number | undefined): string =>
  v === undefined ? '?' : v.toExponential(1);

function vecGrad(v: Tensor, shared: boolean): Tensor {
  return shared ? v.sum(0) : v;
}

/**
 * The gradients of a constraint pair (M, v) = (G, h) or (A, b) with duals
 * y and adjoint c: ∂M = −(y aᵀ + c zᵀ), ∂v = c. A pair without rows, which
 * the solver never saw (y = c = null), gets zeros of its empty shapes.
 */
function pairGrads(
  m: Tensor,
  v: Tensor,
  y: Tensor | null,
  c: Tensor | null,
  a: Tensor,
  z: Tensor,
): (Tensor | null)[] {
  if (y === null || c === null)
    return [m, v].map((t) =>
      t.requiresGrad
        ? zeros(t.shape, { dtype: t.dtype, backend: t.backend })
        : null,
    );
  return [
    m.requiresGrad ? outer2(y, a, c, z, -1, m.rank === 2) : null,
    v.requiresGrad ? vecGrad(c, v.rank === 1) : null,
  ];
}

const qpPrimitive = definePrimitive<QpAttrs, QpResiduals>({
  name: 'qp',
  forward(inputs, attrs) {
    const [prep, out] =
      attrs.solved ??
      runSync(solveGen(dropEmpty(unpack(inputs, attrs)), attrs.options));
    attrs.options.onResult?.({
      status: out.status,
      iterations: out.iterations,
      polished: out.polished,
    });
    if (attrs.options.onNotSolved !== 'return') raiseIfNotSolved(out);
    // The backward's factorization, at the solution; skipped when nothing
    // needs a gradient (the VJP would then factor lazily).
    const adjoint = inputs.some((t) => t.requiresGrad)
      ? adjointOf(prep, out)
      : null;
    const z = prep.shape.batched ? out.it.z : out.it.z.reshape([prep.shape.nz]);
    return {
      outputs: [z.reshape(z.shape)],
      // Once the adjoint's factorization is made, polishing's (which it
      // may have reused in part) is not kept alive for the backward too.
      residuals: {
        prep,
        out: adjoint === null ? out : { ...out, first: null },
        adjoint,
      },
    };
  },
  vjp(res, [gz], ctx) {
    const { nBatch, nz } = res.prep.shape;
    res.adjoint ??= adjointOf(res.prep, res.out);
    const { it, fact, skip } = res.adjoint;
    const gAll = gz.reshape([nBatch, nz]);
    const g = skip === null ? gAll : where(skip, 0, gAll);
    const zs = it.s === null ? null : it.s.mul(0); // rc = rz = 0
    const ry = it.nu === null ? null : it.nu.mul(0);
    const {
      dz: a,
      dlam: c,
      dnu: e,
    } = solveKkt(fact, { rx: g.neg(), rc: zs, rz: zs, ry });
    const x = unpack(ctx.inputs, ctx.attrs);
    const z = it.z;
    const shared = (t: Tensor, base: number): boolean => t.rank === base;
    // Only the gradients some input needs (a p from a previous layer with
    // fixed Q, G, A skips the three matrix-sized ones).
    const grads: (Tensor | null)[] = [
      x.Q.requiresGrad ? outer2(a, z, z, a, -0.5, shared(x.Q, 2)) : null,
      x.p.requiresGrad ? vecGrad(a.neg(), shared(x.p, 1)) : null,
    ];
    if (x.G !== null && x.h !== null)
      grads.push(...pairGrads(x.G, x.h, it.lam, c, a, z));
    if (x.A !== null && x.b !== null)
      grads.push(...pairGrads(x.A, x.b, it.nu, e, a, z));
    return grads;
  },
});

/**
 * The entry points' common checks, in order: the options, the arguments
 * made into tensors, their shapes (before packing drops a lone G or h).
 * Each error names `op`.
 */
function checkedInputs(op: string, args: QpArgs, options: QpOptions): QpInputs {
  checkOptions(op, options);
  const x = toInputs(op, args);
  checkShapes(x);
  return x;
}

/**
 * The solution z* of a batch of QPs
 *   minimize ½ zᵀQz + pᵀz  subject to  Gz ≤ h,  Az = b,
 * differentiable in all six arguments. Each argument may carry a leading
 * batch axis or be shared; pass null (or a pair without rows, qpth's
 * G [0, nz], h [0]) for a missing (G, h) or (A, b) pair. Plain nested
 * arrays are converted (see QpArg). Throws QpError BAD_OPTION for an
 * unknown option or a bad value, QP_NOT_SOLVED when an item is not solved
 * (unless `onNotSolved: 'return'`). Needs a backend with synchronous reads
 * (CPU); use qpAsync (or solveQp) elsewhere.
 * @example
 * // min ½‖z‖² − z₁ − 2z₂ subject to z₁ + z₂ ≤ 1
 * const p = tensor([-1, -2], { dtype: 'float64', requiresGrad: true });
 * const z = qp([[1, 0], [0, 1]], p, [[1, 1]], [1], null, null); // [0, 1]
 * z.sum().backward(); // p.grad [0, 0]: z₁ + z₂ stays 1
 */
export function qp(
  Q: QpArg,
  p: QpArg,
  G: QpArg | null = null,
  h: QpArg | null = null,
  A: QpArg | null = null,
  b: QpArg | null = null,
  options: QpOptions = {},
): Tensor {
  const x = checkedInputs('qp', { Q, p, G, h, A, b }, options);
  const be = x.Q.backend;
  if (!be.canReadSync) {
    throw new RuntimeError(
      'SYNC_READ_UNSUPPORTED',
      `qp: the solver reads one small tensor per iteration, synchronously here; got the ${be.name} backend, which reads asynchronously. ` +
        `Use await qpAsync(...) with the same arguments (an OptNetLayer: await layer.forwardAsync(p)).`,
    );
  }
  const [inputs, has] = pack(x);
  return qpPrimitive.bind(inputs, { ...has, options })[0];
}

/**
 * qp on any backend: the same differentiable z*, with the solver's reads
 * awaited (one small tensor per interior-point iteration) instead of
 * synchronous, so it runs where tensors cannot be read synchronously (a
 * GPU). Takes qp's arguments and options and checks them the same way;
 * its result is recorded for autograd exactly as qp's. A kernel failure
 * (a Q that is not positive definite, NaN in the data) rejects the
 * promise.
 * @example
 * const z = await qpAsync(Q, p, G, h, null, null);
 * z.sum().backward();
 */
export async function qpAsync(
  Q: QpArg,
  p: QpArg,
  G: QpArg | null = null,
  h: QpArg | null = null,
  A: QpArg | null = null,
  b: QpArg | null = null,
  options: QpOptions = {},
): Promise<Tensor> {
  const x = checkedInputs('qpAsync', { Q, p, G, h, A, b }, options);
  const [inputs, has] = pack(x);
  const solved = await runAsync(solveGen(dropEmpty(x), options));
  return qpPrimitive.bind(inputs, { ...has, options, solved })[0];
}

/**
 * Solve a batch of QPs and return z, the duals, slacks, and per item the
 * status, iterations, residuals and objective. Never throws for an item
 * that fails to solve: read `status`. Not differentiable (use qp). Takes
 * the arguments and options of qp and checks them the same way.
 * @example
 * const r = await solveQp([[2]], [-2], [[1]], [0.5], null, null);
 * r.status[0]; // 'solved'
 * r.z; // [0.5]; r.lam [1]; r.objective[0] -0.75
 */
export async function solveQp(
  Q: QpArg,
  p: QpArg,
  G: QpArg | null = null,
  h: QpArg | null = null,
  A: QpArg | null = null,
  b: QpArg | null = null,
  options: QpOptions = {},
): Promise<QpResult> {
  const x = checkedInputs('solveQp', { Q, p, G, h, A, b }, options);
  const [prep, out] = await runAsync(solveGen(dropEmpty(x), options));
  options.onResult?.({
    status: out.status,
    iterations: out.iterations,
    polished: out.polished,
  });
  const { batched, nz, nIneq, nEq, nBatch } = prep.shape;
  const shape = (t: Tensor | null, n: number): Tensor => {
    const full =
      t ?? zeros([nBatch, 0], { dtype: x.Q.dtype, backend: x.Q.backend });
    return batched ? full : full.reshape([n]);
  };
  return {
    z: shape(out.it.z, nz),
    lam: shape(out.it.lam, nIneq),
    nu: shape(out.it.nu, nEq),
    s: shape(out.it.s, nIneq),
    status: out.status,
    iterations: out.iterations,
    polished: out.polished,
    primalResidual: out.stats.map((s) => s[0]),
    dualResidual: out.stats.map((s) => s[1]),
    gap: out.stats.map((s) => s[2]),
    objective: out.stats.map((s) => s[3]),
  };
}
