/**
 * The nearest known name to a misspelt one, for "did you mean" hints in
 * option and flag errors (every package's).
 */

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
