/**
 * A line chart as a standalone SVG document: one or more series over a shared
 * x axis, the y axis linear or logarithmic (as in the OptNet paper's error
 * curves). Written by hand: the chart is a few dozen elements.
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

/** Evenly spaced "nice" ticks (steps of 1, 2 or 5 × 10^k) covering [lo, hi]. */
function linearTicks(lo: number, hi: number, count = 5): number[] {
  const span = hi - lo || Math.abs(hi) || 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
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

function yAxis(values: number[], logY: boolean, floor: number): YAxis {
  if (logY) {
    const clamped = values.map((v) => Math.max(v, floor));
    const lo = Math.floor(Math.log10(Math.min(...clamped)));
    const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...clamped))));
    const ticks: number[] = [];
    for (let e = lo; e <= hi; e++) ticks.push(10 ** e);
    const map = (v: number): number =>
      (Math.log10(Math.max(v, floor)) - lo) / (hi - lo);
    return { lo: 10 ** lo, hi: 10 ** hi, ticks, map };
  }
  const ticks = linearTicks(Math.min(0, ...values), Math.max(...values));
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
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const finite = o.series.flatMap((s) =>
    s.values.filter((v): v is number => v !== null && Number.isFinite(v)),
  );
  const positive = finite.filter((v) => v > 0);
  const floor =
    o.floor ?? (positive.length > 0 ? Math.min(...positive) / 10 : 1e-3);
  const y = yAxis(finite.length > 0 ? finite : [0, 1], o.logY ?? false, floor);
  const x0 = Math.min(...o.x);
  const x1 = Math.max(...o.x) > x0 ? Math.max(...o.x) : x0 + 1;
  const px = (v: number): number => M.left + ((v - x0) / (x1 - x0)) * pw;
  const py = (v: number): number => M.top + ph - y.map(v) * ph;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${M.left + pw / 2}" y="22" text-anchor="middle" font-size="15">${esc(o.title)}</text>`,
  ];
  for (const t of y.ticks) {
    const yy = num(py(t));
    parts.push(
      `<line x1="${M.left}" x2="${M.left + pw}" y1="${yy}" y2="${yy}" stroke="#e3e3e3"/>`,
      `<text x="${M.left - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">${tickLabel(t)}</text>`,
    );
  }
  for (const t of linearTicks(x0, x1, Math.min(10, o.x.length))) {
    if (!Number.isInteger(t) && o.x.every(Number.isInteger)) continue;
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
    parts.push(...seriesSvg(s, i, o.x, px, py));
  });
  if (o.logY && finite.some((v) => v <= floor)) {
    parts.push(
      `<text x="${M.left}" y="${H - 30}" fill="#666" font-size="11">values ≤ ${tickLabel(floor)} (e.g. 0) are drawn at ${tickLabel(floor)}</text>`,
    );
  }
  parts.push('</svg>', '');
  return parts.join('\n');
}

function seriesSvg(
  s: ChartSeries,
  i: number,
  xs: readonly number[],
  px: (v: number) => number,
  py: (v: number) => number,
): string[] {
  const color = s.color ?? PALETTE[i % PALETTE.length];
  const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
  const runs: string[][] = [[]];
  const dots: string[] = [];
  s.values.forEach((v, k) => {
    if (v === null || !Number.isFinite(v)) {
      runs.push([]);
      return;
    }
    const p = `${num(px(xs[k]))},${num(py(v))}`;
    runs[runs.length - 1].push(p);
    dots.push(
      `<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="2.5" fill="${color}"/>`,
    );
  });
  const lines = runs
    .filter((r) => r.length > 1)
    .map(
      (r) =>
        `<polyline points="${r.join(' ')}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`,
    );
  const ly = M.top + 14 + 20 * i;
  const lx = px(Math.max(...xs)) + 14;
  return [
    ...lines,
    ...dots,
    `<line x1="${num(lx)}" x2="${num(lx + 22)}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"${dash}/>`,
    `<text x="${num(lx + 28)}" y="${ly}" dominant-baseline="middle">${esc(s.name)}</text>`,
  ];
}
