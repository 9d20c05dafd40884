/**
 * The one choke point: every primitive, built-in or custom, runs through
 * `apply`. It checks shapes and dtypes (the op's rule), checks that inputs
 * live on one backend, allocates outputs, runs the kernel, and records the
 * graph node when a gradient may be needed.
 */
import { assertHolds, getBackend } from './backend.js';
import { RuntimeError } from './errors.js';
import { isGradEnabled, setGradEnabled } from './graph.js';
import type { CustomOp, KernelOp, Primitive } from './op.js';
import { sizeOf } from './shape.js';
import { Tensor } from './tensor.js';

/**
 * Apply a primitive to tensors; returns its outputs. Every op goes through
 * here (the functions and methods are wrappers); call it directly for a
 * primitive of your own.
 * @example
 * const [y] = apply(primitives.exp, [tensor([0, 1])], {}); // [1, e]
 */
export function apply<A>(
  op: Primitive<A>,
  inputs: readonly Tensor[],
  attrs: A,
): Tensor[] {
  const outputs =
    op.kind === 'kernel'
      ? runKernel(op, inputs, attrs)
      : runCustom(op, inputs, attrs);
  // A decomposed op was recorded by the primitives it ran.
  if (!outputs.decomposed)
    record(op, inputs, attrs, outputs.outputs, outputs.residuals);
  return outputs.outputs;
}

/**
 * `apply` for single-output primitives: the output itself, not an array.
 * @example
 * const y = apply1(primitives.exp, [tensor([0, 1])], {}); // [1, e]
 */
export function apply1<A>(
  op: Primitive<A>,
  inputs: readonly Tensor[],
  attrs: A,
): Tensor {
  return apply(op, inputs, attrs)[0];
}

function runKernel<A>(op: KernelOp<A>, inputs: readonly Tensor[], attrs: A) {
  const backend = inputs.length > 0 ? inputs[0].backend : undefined;
  for (const t of inputs) {
    if (t.backend !== backend) {
      throw new RuntimeError(
        'BACKEND_MISMATCH',
        `${op.name}: all inputs must live on one backend; got ${inputs
          .map((x) => x.backend.name)
          .join(', ')}. Move one with await t.to(backend).`,
      );
    }
  }
  const metas = op.shape(inputs, attrs);
  const be = backend ?? getBackend();
  if (be.hasKernel !== undefined && !be.hasKernel(op as KernelOp<unknown>)) {
    if (op.decompose === undefined) throw noKernel(op.name, be.name);
    return {
      outputs: op.decompose(inputs, attrs),
      residuals: undefined,
      decomposed: true,
    };
  }
  if (op.aliasOf !== undefined && be.share !== undefined) {
    const m = metas[0];
    return {
      outputs: [
        new Tensor(be, be.share(inputs[op.aliasOf].buffer), m.shape, m.dtype),
      ],
      residuals: undefined,
      decomposed: false,
    };
  }
  for (const m of metas) assertHolds(op.name, be, m.dtype);
  const zero = op.fillsOutputs !== true;
  const outs = metas.map(
    (m) =>
      new Tensor(
        be,
        be.allocate(m.dtype, sizeOf(m.shape), zero),
        m.shape,
        m.dtype,
      ),
  );
  be.run(
    op,
    inputs.map((t) => ({ buffer: t.buffer, shape: t.shape, dtype: t.dtype })),
    outs.map((t) => ({ buffer: t.buffer, shape: t.shape, dtype: t.dtype })),
    attrs,
  );
  return { outputs: outs, residuals: undefined, decomposed: false };
}

function noKernel(op: string, backend: string): RuntimeError {
  return new RuntimeError(
    'NO_KERNEL',
    `${op}: every op needs a kernel on its backend or a decompose into ` +
      `other primitives; got neither on the ${backend} backend. Give the ` +
      `op a decompose, or move its inputs to the CPU with await t.to(backend).`,
  );
}

function runCustom<A>(op: CustomOp<A>, inputs: readonly Tensor[], attrs: A) {
  // The forward is opaque to autograd: its inner ops are not recorded.
  const prev = setGradEnabled(false);
  try {
    const r = op.forward(inputs, attrs);
    return { outputs: r.outputs, residuals: r.residuals, decomposed: false };
  } finally {
    setGradEnabled(prev);
  }
}

function record<A>(
  op: Primitive<A>,
  inputs: readonly Tensor[],
  attrs: A,
  outputs: Tensor[],
  residuals: unknown,
) {
  if (!isGradEnabled() || !inputs.some((t) => t.requiresGrad)) return;
  const versions = [...inputs, ...outputs].map((t) => t.version);
  const node = { op, inputs: [...inputs], attrs, outputs, residuals, versions };
  for (const o of outputs) {
    if (o.dtype === 'float32' || o.dtype === 'float64') {
      o.requiresGrad = true;
      o.node = node;
    }
  }
}
