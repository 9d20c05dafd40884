/**
 * The nearest known name to a misspelt one, for "did you mean" hints in
 * option and flag errors (every package's).
 */
import { Tensor } from './tensor.js';

/** Edit distance (insert, delete, substitute; each costs 1). */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const sub = prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      row.push(Math.min(sub, prev[j] + 1, row[j - 1] + 1));
    }
    prev = row;
  }
  return prev[b.length];
}

/**
 * The known name closest to `name` (case, `_` and `-` ignored): within one
 * edit per three letters, or one a prefix of the other ('tolerance' →
 * 'tol'); else null.
 * @example
 * closestName('maxIters', ['tol', 'maxIter']); // 'maxIter'
 */
export function closestName(
  name: string,
  known: Iterable<string>,
): string | null {
  const norm = (s: string): string => s.toLowerCase().replace(/[_-]/g, '');
  const k = norm(name);
  let best: string | null = null;
  let bestD = Infinity;
  for (const candidate of known) {
    const n = norm(candidate);
    const prefix = k.length >= 3 && (n.startsWith(k) || k.startsWith(n));
    const d = prefix ? Math.min(1, distance(k, n)) : distance(k, n);
    const near = d <= Math.max(1, Math.floor(k.length / 3));
    if ((near || prefix) && d < bestD) {
      best = candidate;
      bestD = d;
    }
  }
  return best;
}

/**
 * One entry per key an options type takes: a key added to the type
 * without one here fails to compile, so the list of known options cannot
 * fall behind the type.
 * @example
 * const KEYS: OptionKeys<{ lr?: number; eps?: number }> = { lr: 1, eps: 1 };
 */
export type OptionKeys<T> = { readonly [K in keyof Required<T>]: 1 };

/**
 * The message for the first key of `options` that is not in `known` (one
 * set to undefined counts as unset), naming `op`, the key and its value,
 * the closest known key (`closestName`: a snake_case spelling finds its
 * camelCase twin) and all of them; null when every key is known. Each
 * package throws it as its own error (`NnError`, `ValueError`).
 * @example
 * unknownOptionMessage('Adam', { weight_decay: 0.1 }, ['lr', 'weightDecay']);
 * // "Adam: unknown option 'weight_decay'; got weight_decay: 0.1. Did you mean 'weightDecay'? ..."
 */
export function unknownOptionMessage(
  op: string,
  options: object,
  known: readonly string[],
): string | null {
  for (const [key, value] of Object.entries(options)) {
    if (known.includes(key) || value === undefined) continue;
    const near = closestName(key, known);
    return `${op}: unknown option '${key}'; got ${key}: ${showValue(value)}.${near === null ? '' : ` Did you mean '${near}'?`} Known options: ${known.join(', ')}.`;
  }
  return null;
}

/**
 * A value as an option error shows it: short, on one line (a string
 * quoted, a tensor by its shape, an array by its length).
 * @example
 * showValue('diag'); // "'diag'"
 * showValue(zeros([2, 3])); // 'a tensor [2, 3]'
 */
export function showValue(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (v instanceof Tensor) return `a tensor [${v.shape.join(', ')}]`;
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'object' && v !== null) return 'an object';
  return String(v);
}
