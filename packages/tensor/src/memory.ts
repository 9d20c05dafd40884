/**
 * Scopes: every tensor created inside `scope(fn)` is disposed when fn
 * returns, except the tensors in its return value (searched through arrays
 * and plain objects) and tensors passed to `keep`. Pointless on the CPU,
 * where the garbage collector frees typed arrays, but essential on a GPU,
 * where buffers are not collected.
 */
import type { Tensor } from './tensor.js';

const stack: Set<Tensor>[] = [];

/** Called by the Tensor constructor. */
export function track(t: Tensor): void {
  if (stack.length > 0) stack[stack.length - 1].add(t);
}

/**
 * Remove `t` from every open scope, so no scope disposes it: for a tensor
 * made inside a scope that must outlive it without being returned.
 * @example
 * let saved = zeros([1]);
 * scope(() => {
 *   saved = keep(ones([3])); // survives the scope
 *   ones([3]); // disposed when the scope ends
 * });
 */
export function keep<T extends Tensor>(t: T): T {
  for (const s of stack) s.delete(t);
  return t;
}

/**
 * Run `fn` and dispose every tensor it created but did not return.
 * Works with async functions too (the scope closes when the promise
 * settles). Wrap training steps in it on a GPU, where buffers are not
 * garbage collected.
 * @example
 * const x = tensor([1, 2]);
 * const y = scope(() => x.mul(2).add(1).exp()); // intermediates freed
 */
export function scope<T>(fn: () => T): T {
  stack.push(new Set());
  let result: T;
  try {
    result = fn();
  } catch (e) {
    close(undefined);
    throw e;
  }
  if (result instanceof Promise) {
    // Cannot keep a sync stack across awaits: end the scope now for tensors
    // made synchronously, and keep whatever the promise resolves to alive.
    const made = stack.pop()!;
    return result.then((v) => {
      disposeExcept(made, v);
      return v;
    }) as T;
  }
  close(result);
  return result;
}

function close(result: unknown): void {
  const made = stack.pop()!;
  disposeExcept(made, result);
}

function disposeExcept(made: Set<Tensor>, result: unknown): void {
  const kept = new Set<Tensor>();
  collect(result, kept, 0);
  for (const t of made) {
    if (kept.has(t)) {
      // Returned tensors belong to the enclosing scope now.
      if (stack.length > 0) stack[stack.length - 1].add(t);
    } else {
      t.dispose();
    }
  }
}

function collect(v: unknown, into: Set<Tensor>, depth: number): void {
  if (depth > 8 || v === null || typeof v !== 'object') return;
  if (isTensor(v)) {
    into.add(v);
    return;
  }
  if (Array.isArray(v)) {
    for (const x of v) collect(x, into, depth + 1);
    return;
  }
  if (v instanceof Map) {
    for (const x of v.values()) collect(x, into, depth + 1);
    return;
  }
  if (Object.getPrototypeOf(v) === Object.prototype) {
    for (const x of Object.values(v)) collect(x, into, depth + 1);
  }
}

function isTensor(v: object): v is Tensor {
  return (v as { isTensor?: unknown }).isTensor === true;
}

/** Number of scopes currently open (for tests and diagnostics). */
export function scopeDepth(): number {
  return stack.length;
}
