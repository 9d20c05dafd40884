/**
 * The backward walker: reverse topological order over recorded graph nodes,
 * one VJP rule per node, then the one place where broadcast cotangents are
 * summed down to each input's shape and shape-checked, naming the op.
 */
import * as T from '@optnet/tensor';
import {
  OptnetError,
  RuntimeError,
  type GraphNode,
  type Primitive,
  type Tensor,
} from '@optnet/tensor';
import { vjpRules } from './vjp/rules.js';
import type { VjpRule } from './vjp/types.js';

/** Rules of custom primitives live on the primitive (see definePrimitive). */
interface WithVjp {
  readonly customVjp?: VjpRule<unknown>;
}

function ruleFor(op: Primitive<unknown>): VjpRule<unknown> | null {
  const custom = (op as WithVjp).customVjp;
  if (custom) return custom;
  const table = vjpRules as unknown as Record<
    string,
    VjpRule<unknown> | null | undefined
  >;
  const rule = table[op.name];
  if (rule === undefined) {
    throw new RuntimeError(
      'NOT_DIFFERENTIABLE',
      `backward: primitive ${op.name} has no VJP rule; got it on the path to the output. ` +
        `Define it with definePrimitive({ name, forward, vjp }) to make it differentiable.`,
    );
  }
  return rule;
}

/** Nodes reachable from `roots`, producers before consumers. */
function topoOrder(roots: readonly Tensor[]): GraphNode[] {
  const seen = new Set<GraphNode>();
  const order: GraphNode[] = [];
  const stack: [GraphNode, boolean][] = roots.flatMap((r) =>
    r.node ? [[r.node, false] as [GraphNode, boolean]] : [],
  );
  while (stack.length > 0) {
    const [node, expanded] = stack.pop()!;
    if (expanded) {
      order.push(node);
      continue;
    }
    if (seen.has(node)) continue;
    seen.add(node);
    stack.push([node, true]);
    for (const x of node.inputs)
      if (x.node && !seen.has(x.node)) stack.push([x.node, false]);
  }
  return order;
}

/**
 * Sum a cotangent `g` over broadcast axes so it has the shape of input `x`
 * (input number `index` of `op`); throw naming `op` if impossible. The
 * walker calls it on every rule's result, so rules never reduce broadcast
 * axes themselves.
 * @example
 * const g = ones([4, 3]); // cotangent of x + y with x [1, 3], y [4, 3]
 * unbroadcast('add', g, zeros([1, 3]), 0); // [[4, 4, 4]]
 */
export function unbroadcast(
  op: string,
  g: Tensor,
  x: Tensor,
  index: number,
): Tensor {
  if (T.shapesEqual(g.shape, x.shape)) return g;
  const lead = g.rank - x.rank;
  const fits =
    lead >= 0 && x.shape.every((d, i) => d === g.shape[i + lead] || d === 1);
  if (!fits) {
    throw new OptnetError(
      'SHAPE_MISMATCH',
      `backward: the VJP of ${op} returned ${T.fmtShape(g.shape)} for input #${index} of shape ` +
        `${T.fmtShape(x.shape)}; got shapes that do not broadcast. This is a bug in that rule.`,
    );
  }
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || (x.shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  return T.reshape(T.sum(g, axes, true), x.shape);
}

/**
 * A `vjp` (or `grad`) whose function is running: whether that function
 * took a gradient itself (runBackward marks every trace open around it).
 */
export interface Trace {
  tookGrad: boolean;
}

/** The traces now running their function, innermost last. */
const traces: Trace[] = [];

/**
 * Open a trace around a function about to be differentiated; close it
 * with endTrace when the function returns.
 * @example
 * const t = beginTrace();
 * try { out = f(x); } finally { endTrace(t); }
 */
export function beginTrace(): Trace {
  const t = { tookGrad: false };
  traces.push(t);
  return t;
}

/**
 * Close a trace opened by beginTrace.
 * @example endTrace(t);
 */
export function endTrace(t: Trace): void {
  const i = traces.lastIndexOf(t);
  if (i >= 0) traces.splice(i, 1);
}

/**
 * Run `fn` with no trace open: gradients taken inside it are not the
 * enclosing vjp's business (a custom primitive's forward, whose backward
 * is its own rule; noGrad, an explicit stop-gradient).
 * @example const out = outsideTraces(() => spec.forward(inputs, attrs));
 */
export function outsideTraces<R>(fn: () => R): R {
  const saved = traces.splice(0, traces.length);
  try {
    return fn();
  } finally {
    traces.push(...saved);
  }
}

/**
 * Cotangents of every tensor on the paths from `roots` back, given the
 * roots' cotangents `seeds`. Runs without recording (no higher-order
 * graph). `vjp` and `backward` are built on it; call it for the cotangents
 * of intermediates too, not only of leaves.
 * @example
 * const x = tensor([1, 2], { requiresGrad: true });
 * const y = x.square();
 * const cts = runBackward([y], [ones([2])]);
 * cts.get(x); // [2, 4]
 */
export function runBackward(
  roots: readonly Tensor[],
  seeds: readonly Tensor[],
): Map<Tensor, Tensor> {
  // A gradient taken inside a function being differentiated is not
  // recorded: the enclosing vjp must not return a derivative through it.
  for (const t of traces) t.tookGrad = true;
  const cts = new Map<Tensor, Tensor>();
  roots.forEach((r, i) => accumulate(cts, r, seeds[i]));
  const prev = T.setGradEnabled(false);
  try {
    const order = topoOrder(roots);
    for (let k = order.length - 1; k >= 0; k--) step(order[k], cts);
  } finally {
    T.setGradEnabled(prev);
  }
  return cts;
}

function step(node: GraphNode, cts: Map<Tensor, Tensor>): void {
  const outCts = node.outputs.map((o) => cts.get(o) ?? null);
  if (outCts.every((c) => c === null)) return;
  checkVersions(node);
  const rule = ruleFor(node.op);
  if (rule === null) return;
  const filled = node.outputs.map(
    (o, i) =>
      outCts[i] ?? T.zeros(o.shape, { dtype: o.dtype, backend: o.backend }),
  );
  const needs = node.inputs.map((x) => x.requiresGrad);
  const inCts = rule(
    { inputs: node.inputs, outputs: node.outputs, attrs: node.attrs, needs },
    filled,
  );
  node.inputs.forEach((x, i) => {
    const g = inCts[i];
    if (!x.requiresGrad || g === null || g === undefined) return;
    accumulate(cts, x, unbroadcast(node.op.name, g, x, i));
  });
}

/**
 * Throws MODIFIED_IN_PLACE when an input or output of `node` was changed
 * by `assign` after the node was recorded: its rule would read the new
 * values and give a gradient of another function (PyTorch raises too).
 */
function checkVersions(node: GraphNode): void {
  const seen = node.versions;
  if (seen === undefined) return;
  const all = [...node.inputs, ...node.outputs];
  all.forEach((t, i) => {
    if (t.version === seen[i]) return;
    const which =
      i < node.inputs.length
        ? `input ${i}`
        : `output ${i - node.inputs.length}`;
    throw new RuntimeError(
      'MODIFIED_IN_PLACE',
      `backward: ${which} of ${node.op.name} (${t.dtype}${T.fmtShape(t.shape)}) was changed in place (assign) after the forward used it; got version ${t.version}, recorded ${seen[i]}. Its gradient would use the new values: run the forward again after changing it, or change a copy (t.clone()).`,
    );
  });
}

function accumulate(cts: Map<Tensor, Tensor>, x: Tensor, g: Tensor): void {
  const prev = cts.get(x);
  cts.set(x, prev ? T.add(prev, g) : g);
}

/**
 * What `tensor.backward(seed)` runs (importing this package installs it):
 * accumulate into `.grad` of every leaf that requires grad. The seed
 * defaults to 1 for a one-element root.
 * @example
 * const x = tensor([1, 2], { requiresGrad: true });
 * backward(x.square().sum()); // the same as .backward()
 * x.grad; // [2, 4]
 */
export function backward(root: Tensor, seed?: Tensor): void {
  if (!root.requiresGrad) {
    throw new RuntimeError(
      'NOT_DIFFERENTIABLE',
      `backward: the output does not require grad; got ${root.dtype}${T.fmtShape(root.shape)} with no recorded graph. ` +
        `Create inputs with { requiresGrad: true } and do not compute inside noGrad.`,
    );
  }
  if (!seed && root.size !== 1) {
    throw new RuntimeError(
      'BAD_ARGUMENT',
      `backward: an implicit gradient needs a one-element output; got ${T.fmtShape(root.shape)}. ` +
        `Reduce it (y.sum()) or pass a cotangent: y.backward(ct).`,
    );
  }
  const s =
    seed ?? T.full(root.shape, 1, { dtype: root.dtype, backend: root.backend });
  const leaves = T.scope(() => {
    const cts = runBackward([root], [s]);
    const out = new Map<Tensor, Tensor>();
    for (const [t, g] of cts) if (t.node === null) out.set(t, g);
    return out;
  });
  const prev = T.setGradEnabled(false);
  try {
    for (const [leaf, g] of leaves) {
      const old = leaf.grad;
      leaf.grad = T.keep(old ? T.add(old, g) : g);
      if (old) {
        old.dispose();
        if (g !== s) g.dispose();
      }
    }
  } finally {
    T.setGradEnabled(prev);
  }
}
