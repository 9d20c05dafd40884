/**
 * Line charts as standalone SVG documents: one or more series over a shared
 * x axis, each axis linear or logarithmic (as in the OptNet paper's error
 * curves), and several charts stacked in one document (a few signals with
 * their denoised versions). Written by hand: a chart is a few dozen
 * elements.
 */

/** One line of the chart. */
export interface ChartSeries {
  name: string;
  /** One value per x; null or a non-finite value leaves a gap. */
  values: readonly (number | null)[];
  /** An SVG colour (default: a palette colour). */
  color?: string;
  /** Draw dashed (default false). */
  dashed?: boolean;
  /** Mark each point with a dot (default true). */
  dots?: boolean;
  /** Line width (default 2). */
  strokeWidth?: number;
}

/** Options of lineChartSvg. */
export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  x: readonly number[];
  series: readonly ChartSeries[];
  /** Logarithmic y axis (default false). */
  logY?: boolean;
  /** Logarithmic x axis (default false; every x must be positive). */
  logX?: boolean;
  /**
   * Without logY: the y axis spans the values only, where by default it
   * starts at 0 (for values that move a few percent, as a denoiser's MSE).
   */
  fitY?: boolean;
  /**
   * With logY: values ≤ floor are drawn at floor (a log axis has no 0), and
   * a note under the chart says so. Default: a tenth of the smallest
   * positive value.
   */
  floor?: number;
  width?: number;
  height?: number;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e'];
const M = { left: 64, right: 150, top: 36, bottom: 52 };

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const num = (v: number): string => String(Math.round(v * 10) / 10);

/** Tick label: 0.01, 1e-4, 25, 2.5 without trailing noise. */
function tickLabel(v: number): string {
  if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5)) {
    return v.toExponential(0).replace('e+', 'e');
  }
  return String(Number(v.toPrecision(3)));
}

/**
 * Evenly spaced "nice" ticks (steps of 1, 2 or 5 × 10^k) inside [lo, hi],
 * or with `cover` from the step at or below lo to the one at or above hi
 * (an axis drawn from its first tick to its last then holds every value).
 */
function linearTicks(
  lo: number,
  hi: number,
  count = 5,
  cover = false,
): number[] {
  const span = hi - lo || Math.abs(hi) || 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => s >= raw)!;
  const first = cover
    ? Math.floor(lo / step + 1e-9) * step
    : Math.ceil(lo / step - 1e-9) * step;
  const last = cover ? Math.ceil(hi / step - 1e-9) * step : hi;
  const ticks: number[] = [];
  for (let t = first; t <= last + step * 1e-9; t += step) {
    ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  }
  return ticks;
}

interface YAxis {
  lo: number;
  hi: number;
  ticks: number[];
  map: (v: number) => number; // value → [0, 1] from the bottom
}

/**
 * A log axis from the decade at or below the smallest value to the one at
 * or above the largest (values below `floor` count as `floor`). Values on
 * a single power of ten get the decade below it (an error of 100% is drawn
 * at the top of 10..100, not at the bottom of 100..1000), or above it when
 * they all sit at the floor. An axis of one or two decades is labelled at
 * 1, 2 and 5 × 10^k, a longer one at the powers of ten.
 */
function logAxis(values: number[], floor: number): YAxis {
  const clamped = values.map((v) => Math.max(v, floor));
  const top = Math.max(...clamped);
  // ± 1e-9: log10(1000) is 2.9999999999999996.
  let lo = Math.floor(Math.log10(Math.min(...clamped)) + 1e-9);
  let hi = Math.ceil(Math.log10(top) - 1e-9);
  if (hi === lo) {
    if (top <= floor) hi += 1;
    else lo -= 1;
  }
  const steps = hi - lo <= 2 ? [1, 2, 5] : [1];
  const ticks: number[] = [];
  for (let e = lo; e <= hi; e++) {
    for (const m of e < hi ? steps : [1]) ticks.push(m * 10 ** e);
  }
  const map = (v: number): number =>
    (Math.log10(Math.max(v, floor)) - lo) / (hi - lo);
  return { lo: 10 ** lo, hi: 10 ** hi, ticks, map };
}

function yAxis(
  values: number[],
  logY: boolean,
  floor: number,
  fit = false,
): YAxis {
  if (logY) return logAxis(values, floor);
  const ticks = linearTicks(
    fit ? Math.min(...values) : Math.min(0, ...values),
    Math.max(...values),
    5,
    true,
  );
  const lo = ticks[0];
  const hi = ticks[ticks.length - 1] > lo ? ticks[ticks.length - 1] : lo + 1;
  return { lo, hi, ticks, map: (v) => (v - lo) / (hi - lo) };
}

/**
 * The chart as SVG text.
 * @example
 * const svg = lineChartSvg({
 *   title: 'Sudoku', xLabel: 'epoch', yLabel: 'error', x: [1, 2, 3],
 *   series: [{ name: 'test', values: [0.5, 0.1, 0.02] }], logY: true,
 * });
 */
export function lineChartSvg(o: LineChartOptions): string {
  const W = o.width ?? 640;
  const H = o.height ?? 400;
  return [svgOpen(W, H), ...chartBody(o, W, H), '</svg>', ''].join('\n');
}

/**
 * Several charts stacked top to bottom in one SVG document, each as
 * lineChartSvg draws it (its own title, axes and legend).
 * @example
 * const svg = stackedChartsSvg([chartA, chartB]); // LineChartOptions each
 */
export function stackedChartsSvg(charts: readonly LineChartOptions[]): string {
  const W = Math.max(...charts.map((c) => c.width ?? 640));
  const heights = charts.map((c) => c.height ?? 400);
  const H = heights.reduce((a, b) => a + b, 0);
  const parts = [svgOpen(W, H)];
  let top = 0;
  charts.forEach((c, i) => {
    parts.push(`<g transform="translate(0 ${top})">`);
    parts.push(...chartBody(c, c.width ?? 640, heights[i]), '</g>');
    top += heights[i];
  });
  parts.push('</svg>', '');
  return parts.join('\n');
}

function svgOpen(W: number, H: number): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">\n` +
    `<rect width="${W}" height="${H}" fill="white"/>`
  );
}

interface XAxis {
  ticks: number[];
  map: (v: number) => number; // value → [0, 1] from the left
}

function xAxis(xs: readonly number[], logX: boolean): XAxis {
  if (logX) {
    const lo = Math.log10(Math.min(...xs));
    const hi = Math.max(lo + 1e-9, Math.log10(Math.max(...xs)));
    const ticks: number[] = [];
    for (let e = Math.floor(lo); e <= Math.ceil(hi); e++) {
      for (const m of [1, 2, 5]) {
        const t = m * 10 ** e;
        if (Math.log10(t) >= lo - 1e-9 && Math.log10(t) <= hi + 1e-9)
          ticks.push(t);
      }
    }
    return { ticks, map: (v) => (Math.log10(v) - lo) / (hi - lo) };
  }
  // One x (a run's first epoch) sits in the middle, not on the left edge.
  const one = Math.max(...xs) === Math.min(...xs);
  const x0 = Math.min(...xs) - (one ? 0.5 : 0);
  const x1 = one ? x0 + 1 : Math.max(...xs);
  const ticks = linearTicks(x0, x1, Math.min(10, xs.length)).filter(
    (t) => Number.isInteger(t) || !xs.every(Number.isInteger),
  );
  return { ticks, map: (v) => (v - x0) / (x1 - x0) };
}

/** The chart's elements, in a W×H box at the origin. */
function chartBody(o: LineChartOptions, W: number, H: number): string[] {
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const finite = o.series.flatMap((s) =>
    s.values.filter((v): v is number => v !== null && Number.isFinite(v)),
  );
  const positive = finite.filter((v) => v > 0);
  const floor =
    o.floor ?? (positive.length > 0 ? Math.min(...positive) / 10 : 1e-3);
  const y = yAxis(
    finite.length > 0 ? finite : [0, 1],
    o.logY ?? false,
    floor,
    o.fitY,
  );
  const x = xAxis(o.x, o.logX ?? false);
  const px = (v: number): number => M.left + x.map(v) * pw;
  const py = (v: number): number => M.top + ph - y.map(v) * ph;
  const parts: string[] = [
    `<text x="${M.left + pw / 2}" y="22" text-anchor="middle" font-size="15">${esc(o.title)}</text>`,
  ];
  for (const t of y.ticks) {
    const yy = num(py(t));
    parts.push(
      `<line x1="${M.left}" x2="${M.left + pw}" y1="${yy}" y2="${yy}" stroke="#e3e3e3"/>`,
      `<text x="${M.left - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">${tickLabel(t)}</text>`,
    );
  }
  for (const t of x.ticks) {
    parts.push(
      `<text x="${num(px(t))}" y="${M.top + ph + 18}" text-anchor="middle">${tickLabel(t)}</text>`,
    );
  }
  parts.push(
    `<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#444"/>`,
    `<text x="${M.left + pw / 2}" y="${H - 12}" text-anchor="middle">${esc(o.xLabel)}</text>`,
    `<text transform="translate(16 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`,
  );
  o.series.forEach((s, i) => {
    parts.push(...seriesSvg(s, i, o.x, px, py, M.left + pw + 14));
  });
  if (o.logY && finite.some((v) => v <= floor)) {
    parts.push(
      `<text x="${M.left}" y="${H - 30}" fill="#666" font-size="11">values ≤ ${tickLabel(floor)} (e.g. 0) are drawn at ${tickLabel(floor)}</text>`,
    );
  }
  return parts;
}

function seriesSvg(
  s: ChartSeries,
  i: number,
  xs: readonly number[],
  px: (v: number) => number,
  py: (v: number) => number,
  lx: number,
): string[] {
  const color = s.color ?? PALETTE[i % PALETTE.length];
  const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
  const width = s.strokeWidth ?? 2;
  const runs: string[][] = [[]];
  const dots: string[] = [];
  s.values.forEach((v, k) => {
    if (v === null || !Number.isFinite(v)) {
      runs.push([]);
      return;
    }
    const [cx, cy] = [num(px(xs[k])), num(py(v))];
    runs[runs.length - 1].push(`${cx},${cy}`);
    if (s.dots ?? true) {
      dots.push(`<circle cx="${cx}" cy="${cy}" r="2.5" fill="${color}"/>`);
    }
  });
  const lines = runs
    .filter((r) => r.length > 1)
    .map(
      (r) =>
        `<polyline points="${r.join(' ')}" fill="none" stroke="${color}" stroke-width="${width}"${dash}/>`,
    );
  const ly = M.top + 14 + 20 * i;
  return [
    ...lines,
    ...dots,
    `<line x1="${num(lx)}" x2="${num(lx + 22)}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"${dash}/>`,
    `<text x="${num(lx + 28)}" y="${ly}" dominant-baseline="middle">${esc(s.name)}</text>`,
  ];
}
