/**
 * How a tensor prints: `toString()` and Node's `util.inspect` (so
 * `console.log(t)`) show the values, PyTorch style, then the shape, dtype,
 * backend and grad flag:
 *
 *   tensor([[ 1.0000, -2.5000],
 *           [ 3.0000,  4.0000]],
 *          shape=[2, 2], dtype=float32, backend=cpu, requiresGrad=false)
 *
 * Past 1000 elements each axis longer than 6 shows its first and last 3
 * entries around `...`, and only those are read. A backend without
 * synchronous reads shows a note instead of values: printing never waits.
 * The inspector hook is the global `Symbol.for` key Node looks up, so
 * nothing here imports `node:util` and the package still bundles for a
 * browser.
 */
import { concat, slice } from '../api/movement.js';
import type { DType, TypedArray } from '../dtype.js';
import { setGradEnabled } from '../graph.js';
import { scope } from '../memory.js';
import { fmtShape, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';

/** Past this many elements, axes are elided (PyTorch's threshold). */
const THRESHOLD = 1000;
/** Entries kept at each end of an elided axis. */
const EDGE = 3;
/** Rows of values wrap at this column. */
const LINE_WIDTH = 80;
const PREFIX = 'tensor(';

/**
 * The tensor as text: its values (elided when large), shape, dtype,
 * backend and grad flag.
 * @example
 * formatTensor(tensor([1, 2])); // 'tensor([1., 2.], shape=[2], ...)'
 */
export function formatTensor(t: Tensor): string {
  const meta =
    `shape=${fmtShape(t.shape)}, dtype=${t.dtype}, ` +
    `backend=${t.backend.name}, requiresGrad=${t.requiresGrad}`;
  const values = `${PREFIX}${formatValues(t)}, `;
  const lastLine = values.length - values.lastIndexOf('\n') - 1;
  // The metadata goes on its own line when the last row would run past
  // the line width.
  const sep =
    lastLine + meta.length + 1 > LINE_WIDTH
      ? `\n${' '.repeat(PREFIX.length)}`
      : '';
  return `${values.trimEnd()}${sep === '' ? ' ' : sep}${meta})`;
}

function formatValues(t: Tensor): string {
  if (t.isDisposed) return '<disposed>';
  if (!t.backend.canReadSync || t.backend.readSync === undefined) {
    return `<values not read: the ${t.backend.name} backend reads asynchronously; use await t.toArray()>`;
  }
  const elide = t.size > THRESHOLD;
  const data = elide ? readEdges(t) : t.dataSync();
  const shown = t.shape.map((n) => (elide && n > 2 * EDGE ? 2 * EDGE : n));
  const cells = formatCells(data, t.dtype);
  const width = cells.reduce((w, c) => Math.max(w, c.length), 0);
  const padded = cells.map((c) => c.padStart(width));
  return renderArray(padded, t.shape, shown, elide, PREFIX.length);
}

/** The first and last EDGE entries of every long axis, read back. */
function readEdges(t: Tensor): TypedArray {
  const prev = setGradEnabled(false);
  try {
    return scope(() => {
      let x = t;
      t.shape.forEach((n, axis) => {
        if (n <= 2 * EDGE) return;
        const at = (start: number) =>
          slice(
            x,
            t.shape.map((_, i) =>
              i === axis ? { start, stop: start + EDGE } : {},
            ),
          );
        x = concat([at(0), at(n - EDGE)], axis);
      });
      return x.dataSync();
    });
  } finally {
    setGradEnabled(prev);
  }
}

/** Each value as text, in one style for the whole tensor (PyTorch's). */
function formatCells(data: TypedArray, dtype: DType): string[] {
  const values = Array.from(data);
  if (dtype === 'bool') return values.map((v) => (v !== 0 ? 'true' : 'false'));
  if (dtype === 'int32') return values.map(String);
  const finite = values.filter(Number.isFinite);
  let max = 0;
  let min = Infinity;
  for (const v of finite) {
    const a = Math.abs(v);
    if (a > 0) [max, min] = [Math.max(max, a), Math.min(min, a)];
  }
  let fmt: (v: number) => string;
  if (finite.every(Number.isInteger) && max < 1e8) {
    fmt = (v) => `${v.toFixed(0)}.`;
  } else if (max >= 1e8 || (max > 0 && (min < 1e-4 || max / min > 1e3))) {
    fmt = (v) => v.toExponential(4);
  } else {
    fmt = (v) => v.toFixed(4);
  }
  return values.map((v) => {
    if (Number.isNaN(v)) return 'nan';
    if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
    return fmt(v);
  });
}

/**
 * Nested brackets over the shown cells (row-major, `shown` their shape);
 * `indent` is the column of the opening bracket.
 */
function renderArray(
  cells: string[],
  shape: Shape,
  shown: readonly number[],
  elide: boolean,
  indent: number,
): string {
  if (shape.length === 0) return cells[0];
  const strides = shown.map((_, i) =>
    shown.slice(i + 1).reduce((a, b) => a * b, 1),
  );
  const gap = (dim: number, i: number) =>
    elide && shape[dim] > 2 * EDGE && i === EDGE;
  const render = (dim: number, offset: number, col: number): string => {
    const n = shown[dim];
    const items: string[] = [];
    for (let i = 0; i < n; i++) {
      if (gap(dim, i)) items.push(dim === shape.length - 1 ? ' ...' : '...');
      items.push(
        dim === shape.length - 1
          ? cells[offset + i]
          : render(dim + 1, offset + i * strides[dim], col + 1),
      );
    }
    if (dim === shape.length - 1) return `[${wrapRow(items, col + 1)}]`;
    const blank = '\n'.repeat(Math.max(0, shape.length - dim - 2));
    return `[${items.join(`,\n${blank}${' '.repeat(col + 1)}`)}]`;
  };
  return render(0, 0, indent);
}

/** `a, b, c` broken into lines that fit LINE_WIDTH, starting at `col`. */
function wrapRow(items: string[], col: number): string {
  const width = items.reduce((w, c) => Math.max(w, c.length), 0) + 2;
  const perLine = Math.max(1, Math.floor((LINE_WIDTH - col) / width));
  const lines: string[] = [];
  for (let i = 0; i < items.length; i += perLine) {
    lines.push(items.slice(i, i + perLine).join(', '));
  }
  return lines.join(`,\n${' '.repeat(col)}`);
}

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

Tensor.prototype.toString = function (this: Tensor): string {
  return formatTensor(this);
};
(Tensor.prototype as unknown as Record<symbol, unknown>)[INSPECT] = function (
  this: Tensor,
): string {
  return formatTensor(this);
};
