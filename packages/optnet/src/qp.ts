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
import { matmul, zeros, type Tensor } from '@optnet/tensor';
import { QpError } from './errors.js';
import { factorKkt, solveKkt, type KktFact } from './kkt.js';
import { runAsync, runSync, type Iterate, type PdipmOutcome } from './pdipm.js';
import { solveGen, type Prepared } from './prepare.js';
import type { QpOptions, QpResult } from './types.js';
import { checkShapes, type QpInputs } from './validate.js';

interface QpAttrs {
  readonly hasG: boolean;
  readonly hasA: boolean;
  readonly options: QpOptions;
}

interface QpResiduals {
  readonly prep: Prepared;
  readonly it: Iterate;
  readonly fact: KktFact | null;
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

/** Throw QP_NOT_SOLVED naming the items, their status and residuals. */
export function raiseIfNotSolved(out: PdipmOutcome, maxIter: number): void {
  const bad = out.status.map((s, i) => [s, i] as const).filter(([s]) => s !== 'solved');
  if (bad.length === 0) return;
  const shown = bad.slice(0, 5).map(([s, i]) => `item ${i}: ${s}`).join(', ');
  const more = bad.length > 5 ? `, and ${bad.length - 5} more` : '';
  const worst = bad[0][1];
  const st = out.stats[worst];
  const kinds = new Set(bad.map(([s]) => s));
  const hint = kinds.has('infeasible')
    ? 'No z satisfies Gz ≤ h, Az = b for those items; check how h and b are produced.'
    : kinds.has('unbounded')
      ? 'The objective decreases without bound; make Q positive definite or bound z.'
      : 'Raise maxIter or tol, scale the data, or pass onNotSolved: "return" and read the status with solveQp.';
  throw new QpError('QP_NOT_SOLVED', `qp: ${bad.length}/${out.status.length} problems not solved after ${maxIter} iterations (${shown}${more}; item ${worst} primal residual ${fmt(st?.[0])}, dual ${fmt(st?.[1])}, gap ${fmt(st?.[2])}). ${hint}`);
}

const fmt = (v: number | undefined): string => (v === undefined ? '?' : v.toExponential(1));

/** Sum over the batch of x ⊗ y (shared argument) or the per-item outer products. */
function outer(x: Tensor, y: Tensor, shared: boolean): Tensor {
  return shared ? matmul(x, y, { transA: true }) : x.unsqueeze(-1).mul(y.unsqueeze(-2));
}

function vecGrad(v: Tensor, shared: boolean): Tensor {
  return shared ? v.sum(0) : v;
}

const qpPrimitive = definePrimitive<QpAttrs, QpResiduals>({
  name: 'qp',
  forward(inputs, attrs) {
    const [prep, out] = runSync(solveGen(unpack(inputs, attrs), attrs.options));
    if (attrs.options.onNotSolved !== 'return') raiseIfNotSolved(out, attrs.options.maxIter ?? 50);
    // The backward's factorization, at the solution; skipped when nothing
    // needs a gradient (the VJP would then factor lazily).
    const fact = inputs.some((t) => t.requiresGrad) ? factorKkt(prep.pre, out.it.s, out.it.lam) : null;
    const z = prep.shape.batched ? out.it.z : out.it.z.reshape([prep.shape.nz]);
    return { outputs: [z.reshape(z.shape)], residuals: { prep, it: out.it, fact } };
  },
  vjp({ prep, it, fact }, [gz], ctx) {
    const { nBatch, nz } = prep.shape;
    const g = gz.reshape([nBatch, nz]);
    const f = fact ?? factorKkt(prep.pre, it.s, it.lam);
    const zs = it.s === null ? null : it.s.mul(0); // rc = rz = 0
    const ry = it.nu === null ? null : it.nu.mul(0);
    const { dz: a, dlam: c, dnu: e } = solveKkt(f, { rx: g.neg(), rc: zs, rz: zs, ry });
    const x = unpack(ctx.inputs, ctx.attrs);
    const z = it.z;
    const shared = (t: Tensor, base: number): boolean => t.rank === base;
    const dQ = outer(a, z, shared(x.Q, 2)).add(outer(z, a, shared(x.Q, 2))).mul(-0.5);
    const grads: Tensor[] = [dQ, vecGrad(a.neg(), shared(x.p, 1))];
    if (x.G !== null && x.h !== null && c !== null && it.lam !== null) {
      grads.push(outer(it.lam, a, shared(x.G, 2)).add(outer(c, z, shared(x.G, 2))).neg(), vecGrad(c, shared(x.h, 1)));
    }
    if (x.A !== null && x.b !== null && e !== null && it.nu !== null) {
      grads.push(outer(it.nu, a, shared(x.A, 2)).add(outer(e, z, shared(x.A, 2))).neg(), vecGrad(e, shared(x.b, 1)));
    }
    return grads;
  },
});

/**
 * The solution z* of a batch of QPs
 *   minimize ½ zᵀQz + pᵀz  subject to  Gz ≤ h,  Az = b,
 * differentiable in all six arguments. Each argument may carry a leading
 * batch axis or be shared; pass null for a missing (G, h) or (A, b) pair.
 * Throws QpError QP_NOT_SOLVED when an item is not solved (unless
 * `onNotSolved: 'return'`). Needs a backend with synchronous reads (CPU);
 * use solveQp elsewhere.
 * @example
 * const z = qp(Q, p, G, h, null, null); // z: [nBatch, nz]
 * z.sum().backward(); // Q.grad, p.grad, G.grad, h.grad
 */
export function qp(
  Q: Tensor, p: Tensor,
  G: Tensor | null = null, h: Tensor | null = null,
  A: Tensor | null = null, b: Tensor | null = null,
  options: QpOptions = {},
): Tensor {
  checkShapes({ Q, p, G, h, A, b }); // before packing drops a lone G or h
  const [inputs, has] = pack({ Q, p, G, h, A, b });
  return qpPrimitive.bind(inputs, { ...has, options })[0];
}

/**
 * Solve a batch of QPs and return z, the duals, slacks, and per item the
 * status, iterations, residuals and objective. Never throws for an item
 * that fails to solve: read `status`. Not differentiable (use qp).
 * @example
 * const r = await solveQp(Q, p, G, h);
 * r.status[0]; // 'solved'
 */
export async function solveQp(
  Q: Tensor, p: Tensor,
  G: Tensor | null = null, h: Tensor | null = null,
  A: Tensor | null = null, b: Tensor | null = null,
  options: QpOptions = {},
): Promise<QpResult> {
  const [prep, out] = await runAsync(solveGen({ Q, p, G, h, A, b }, options));
  const { batched, nz, nIneq, nEq, nBatch } = prep.shape;
  const shape = (t: Tensor | null, n: number): Tensor => {
    const full = t ?? zeros([nBatch, 0], { dtype: Q.dtype });
    return batched ? full : full.reshape([n]);
  };
  return {
    z: shape(out.it.z, nz),
    lam: shape(out.it.lam, nIneq),
    nu: shape(out.it.nu, nEq),
    s: shape(out.it.s, nIneq),
    status: out.status,
    iterations: out.iterations,
    primalResidual: out.stats.map((s) => s[0]),
    dualResidual: out.stats.map((s) => s[1]),
    gap: out.stats.map((s) => s[2]),
    objective: out.stats.map((s) => s[3]),
  };
}
