/**
 * The experiment commands' shared pieces: flag parsing and help, the SVG
 * chart, the progress line, run folders and the resumable epoch loop.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeRng } from '@optnet/tensor';
import {
  flagsHelp,
  parseFlags,
  UsageError,
  type FlagSpec,
} from '../../src/experiments/common/flags.js';
import {
  lineChartSvg,
  stackedChartsSvg,
} from '../../src/experiments/common/svg-plot.js';
import { Progress } from '../../src/experiments/common/progress.js';
import { runInterruptible } from '../../src/experiments/common/command.js';
import { createRunDir } from '../../src/experiments/common/run-dir.js';
import {
  startState,
  trainLoop,
  type LoopState,
} from '../../src/experiments/common/train-loop.js';
import { checkSvg, yTicks } from './svg-check.js';

const SPEC = {
  epochs: { type: 'int', min: 1, default: 20, help: 'passes' },
  lr: { type: 'number', positive: true, help: 'rate' },
  model: { type: 'choice', choices: ['a', 'b'], default: 'a', help: 'm' },
  out: { type: 'string', help: 'dir' },
  quiet: { type: 'bool', help: 'q' },
} satisfies Record<string, FlagSpec>;

function usage(argv: string[]): string {
  try {
    parseFlags('cmd', argv, SPEC);
  } catch (e) {
    assert.instance(e, UsageError);
    return (e as Error).message;
  }
  throw new Error('no error');
}

test('flags: values, defaults, = form, positionals and what was given', () => {
  const f = parseFlags(
    'cmd',
    ['--lr=0.5', 'pos', '--quiet', '--out', 'd'],
    SPEC,
  );
  assert.equal(f.values, {
    lr: 0.5,
    quiet: true,
    out: 'd',
    epochs: 20,
    model: 'a',
  });
  assert.equal(f.positionals, ['pos']);
  assert.equal([...f.given].sort(), ['lr', 'out', 'quiet']);
  assert.is(parseFlags('cmd', [], SPEC).values.quiet, false);
});

test('flags: every mistake names the command, the flag and the value', () => {
  assert.match(
    usage(['--epoch', '3']),
    /cmd: unknown flag; got --epoch. Did you mean --epochs\?/,
  );
  assert.match(
    usage(['--epochs', '0']),
    /--epochs must be a positive integer; got "0"/,
  );
  assert.match(usage(['--epochs', '2.5']), /got "2.5"/);
  assert.match(
    usage(['--lr', '-1']),
    /--lr must be a positive number; got "-1"/,
  );
  assert.match(usage(['--model', 'c']), /--model must be a or b; got "c"/);
  assert.match(usage(['--out']), /--out needs a value/);
  assert.match(usage(['--quiet=1']), /--quiet takes no value/);
  assert.match(usage(['--out', 'a', '--out', 'b']), /--out given twice/);
});

test('flags: the help lists every flag with its default', () => {
  const help = flagsHelp(SPEC);
  for (const name of Object.keys(SPEC)) assert.match(help, `--${name}`);
  assert.match(help, /--epochs N\s+passes \(default 20\)/);
  assert.match(help, /--model a\|b\s+m \(default a\)/);
});

test('svg: a log-scale chart with a line per series, zeros at the floor', () => {
  const svg = lineChartSvg({
    title: 'errors <test>',
    xLabel: 'epoch',
    yLabel: 'error',
    x: [1, 2, 3, 4],
    series: [
      { name: 'train', values: [0.9, 0.2, 0.01, 0] },
      { name: 'test', values: [0.8, null, 0.02, 0.001], dashed: true },
    ],
    logY: true,
    floor: 1e-4,
  });
  checkSvg(svg);
  assert.match(svg, /errors &lt;test&gt;/);
  assert.is((svg.match(/<polyline/g) ?? []).length, 2); // test's gap splits it: [0.8] alone is not a line
  for (const t of ['>1e-4<', '>0.001<', '>0.01<', '>0.1<', '>1<'])
    assert.ok(svg.includes(t), t);
  assert.match(svg, /drawn at 1e-4/);
});

test('svg: a short log axis spans the decade(s) of its values, labelled at 1, 2, 5', () => {
  const chart = (values: number[]) =>
    lineChartSvg({
      title: 't',
      xLabel: 'epoch',
      yLabel: 'error, %',
      x: values.map((_, i) => i + 1),
      series: [{ name: 'test', values }],
      logY: true,
      floor: 0.01,
    });
  // One epoch at 100% (a tiny run's start): 10..100, the point at the top.
  const full = chart([100]);
  checkSvg(full);
  assert.equal(yTicks(full), [10, 20, 50, 100]);
  assert.match(full, /<circle cx="[\d.]+" cy="36" /);
  assert.equal(yTicks(chart([30, 50])), [10, 20, 50, 100]);
  assert.equal(yTicks(chart([0.3, 9])), [0.1, 0.2, 0.5, 1, 2, 5, 10]);
  // Zeros only: at the floor, the decade above it.
  assert.equal(yTicks(chart([0, 0])), [0.01, 0.02, 0.05, 0.1]);
  // Three decades and more: the powers of ten.
  assert.equal(yTicks(chart([0.3, 40])), [0.1, 1, 10, 100]);
  assert.equal(yTicks(chart([0, 2, 90])), [0.01, 0.1, 1, 10, 100]);
});

test('svg: a linear axis starts at 0, or with fitY spans the values only', () => {
  const chart = (fitY: boolean) =>
    lineChartSvg({
      title: 't',
      xLabel: 'epoch',
      yLabel: 'MSE',
      x: [1, 2, 3],
      series: [{ name: 'test', values: [15.5, 14.9, 14.2] }],
      fitY,
    });
  const ticks = (svg: string) =>
    [
      ...svg.matchAll(/text-anchor="end" dominant-baseline="middle">([^<]+)</g),
    ].map((m) => Number(m[1]));
  const zero = chart(false);
  const fit = chart(true);
  checkSvg(zero);
  checkSvg(fit);
  assert.is(Math.min(...ticks(zero)), 0);
  const t = ticks(fit);
  assert.ok(Math.min(...t) >= 14 && Math.min(...t) <= 14.2, `${t}`);
  assert.ok(Math.max(...t) >= 15.5 && Math.max(...t) <= 16, `${t}`);
});

test('svg: a linear chart of one point still renders', () => {
  const svg = lineChartSvg({
    title: 't',
    xLabel: 'x',
    yLabel: 'y',
    x: [1],
    series: [{ name: 's', values: [3] }],
  });
  checkSvg(svg);
  assert.ok(!svg.includes('NaN'));
  // In the middle of the plot (x 64 to 490), with one x tick: its own.
  assert.match(svg, /<circle cx="277" /);
  const xTicks = [...svg.matchAll(/y="366" text-anchor="middle">([^<]+)</g)];
  assert.equal(
    xTicks.map((m) => m[1]),
    ['1'],
  );
});

test('svg: a log x axis puts its ticks at 1, 2, 5 × 10^k in order', () => {
  const svg = lineChartSvg({
    title: 'sweep',
    xLabel: 'λ',
    yLabel: 'mse',
    x: [3, 10, 30, 100],
    series: [{ name: 'tv', values: [50, 20, 17, 50], dots: false }],
    logX: true,
  });
  checkSvg(svg);
  assert.not.match(svg, /<circle/);
  const xTicks = [...svg.matchAll(/<text x="([\d.]+)" y="366"[^>]*>([^<]+)</g)];
  assert.equal(
    xTicks.map((m) => m[2]),
    ['5', '10', '20', '50', '100'],
  );
  const xs = xTicks.map((m) => Number(m[1]));
  assert.ok(
    xs.every((x, i) => i === 0 || x > xs[i - 1]),
    String(xs),
  );
  // Equal ratios are equal distances: 5→50 as long as 10→100.
  assert.ok(Math.abs(xs[3] - xs[0] - (xs[4] - xs[1])) < 0.5, String(xs));
});

test('svg: a linear y axis covers every value (ticks past the largest)', () => {
  const svg = lineChartSvg({
    title: 'sweep',
    xLabel: 'λ',
    yLabel: 'mse',
    x: [1, 2, 3],
    series: [{ name: 'tv', values: [64, 51, 116.7] }],
  });
  checkSvg(svg);
  const yTicks = [
    ...svg.matchAll(/text-anchor="end" dominant-baseline="middle">([^<]+)</g),
  ];
  assert.equal(
    yTicks.map((m) => m[1]),
    ['0', '50', '100', '150'],
  );
  const ys = [...svg.matchAll(/<circle cx="[\d.]+" cy="([\d.]+)"/g)].map((m) =>
    Number(m[1]),
  );
  assert.ok(
    ys.every((y) => y >= 36 && y <= 348),
    String(ys),
  ); // inside the plot box
});

test('svg: stacked charts share one document, one panel under the other', () => {
  const chart = (title: string) => ({
    title,
    xLabel: 'sample',
    yLabel: 'value',
    x: [0, 1, 2],
    height: 200,
    series: [{ name: 'a', values: [1, 2, 3] }],
  });
  const svg = stackedChartsSvg([chart('first'), chart('second')]);
  checkSvg(svg);
  assert.match(svg, /height="400" viewBox="0 0 640 400"/);
  assert.match(
    svg,
    /<g transform="translate\(0 0\)">[^]*first[^]*<g transform="translate\(0 200\)">[^]*second/,
  );
  assert.is((svg.match(/<svg /g) ?? []).length, 1);
});

class Sink {
  text = '';
  constructor(readonly isTTY: boolean) {}
  write(s: string): boolean {
    this.text += s;
    return true;
  }
}

test('progress: plain lines every interval when stderr is not a terminal', () => {
  let now = 0;
  const sink = new Sink(false);
  const bar = new Progress({
    total: 10,
    label: 'epoch 1/2',
    unit: 'puzzles',
    stream: sink,
    interval: 5,
    now: () => now,
  });
  for (let i = 1; i <= 10; i++) {
    now += 1000;
    bar.update(i, 100, { loss: '0.5' });
  }
  bar.finish();
  const lines = sink.text.trim().split('\n');
  assert.is(lines.length, 2); // at 5 s and 10 s
  assert.is(lines[0], 'epoch 1/2 5/10 loss 0.5 · 100 puzzles/s · 0:05 left');
  assert.not.match(sink.text, /\r/);
});

test('progress: a terminal gets one redrawn line with a bar', () => {
  let now = 0;
  const sink = new Sink(true);
  const bar = new Progress({
    total: 4,
    label: 'e',
    stream: sink,
    now: () => (now += 500),
  });
  bar.update(2, 10, {});
  assert.ok(sink.text.startsWith('\r\x1b[2Ke ['), JSON.stringify(sink.text));
  assert.match(sink.text, /e \[#+\.+\] 2\/4 /);
  bar.finish();
  assert.ok(sink.text.endsWith('\r\x1b[2K'));
});

test('run folders: never reused, and a non-empty --out is refused', () => {
  const base = mkdtempSync(join(tmpdir(), 'optnet-runs-'));
  const cwd = process.cwd();
  process.chdir(base);
  try {
    const a = createRunDir('optnet x', undefined, 'x');
    const b = createRunDir('optnet x', undefined, 'x');
    assert.is.not(a, b);
    assert.equal(readdirSync('runs').length, 2);
    writeFileSync(join(a, 'keep.txt'), 'mine');
    // Each mistake is one UsageError that names the command first.
    const refused = (out: string, want: RegExp): void => {
      try {
        createRunDir('optnet x', out, 'x');
        assert.unreachable();
      } catch (e) {
        assert.instance(e, UsageError);
        assert.match((e as Error).message, want);
      }
    };
    refused(a, /^optnet x: --out must be .*never overwritten.*with files/);
    refused(
      join(a, 'keep.txt'),
      /^optnet x: --out must be .*keep\.txt", a file/,
    );
    refused(
      join(a, 'keep.txt', 'sub'),
      /^optnet x: cannot create the run folder/,
    );
    assert.is(
      createRunDir('optnet x', join(base, 'fresh'), 'x'),
      join(base, 'fresh'),
    );
  } finally {
    process.chdir(cwd);
  }
});

test('a stopped run says how to resume it, as the user runs the command line', async () => {
  for (const [prog, typed] of [
    [undefined, 'optnet denoise'],
    ['pnpm optnet', 'pnpm optnet denoise'],
  ] as const) {
    let err = '';
    let out = '';
    const code = await runInterruptible(
      'optnet denoise',
      'runs/x',
      {
        stdout: { write: (s) => (out += s) },
        stderr: { write: (s) => (err += s) },
        prog,
      },
      async () => ({ status: 'interrupted' as const }),
      () => ({}),
    );
    assert.is(code, 130);
    assert.is(out, '');
    assert.is(
      err,
      `optnet denoise: interrupted; continue with: ${typed} --resume runs/x\n`,
    );
  }
});

/** A loop whose steps record the rows they saw. */
async function record(
  epochs: number,
  state: LoopState,
  stopAfter = Infinity,
): Promise<{ seen: number[][]; last: LoopState | null; status: string }> {
  const seen: number[][] = [];
  let last: LoopState | null = null;
  let steps = 0;
  const status = await trainLoop({
    n: 10,
    batchSize: 3,
    epochs,
    state,
    step: (rows) => {
      seen.push([...rows]);
      steps++;
      return { loss: rows[0], errors: 1, count: rows.length };
    },
    endEpoch: async (_e, _s, next) => {
      last = next;
    },
    checkpoint: async (s) => {
      last = s;
    },
    stop: () => steps >= stopAfter,
    stream: new Sink(false),
  });
  return { seen, last, status };
}

test('train loop: a run stopped mid-epoch resumes with the same batches', async () => {
  const full = await record(3, startState(makeRng(7)));
  assert.is(full.status, 'done');
  assert.is(full.seen.length, 12); // 4 batches (3, 3, 3, 1) x 3 epochs
  for (let e = 0; e < 3; e++) {
    const rows = full.seen
      .slice(4 * e, 4 * e + 4)
      .flat()
      .sort((a, b) => a - b);
    assert.equal(rows, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  }
  assert.not.equal(full.seen[0], full.seen[4]); // a new order per epoch
  const first = await record(3, startState(makeRng(7)), 6);
  assert.is(first.status, 'interrupted');
  assert.is(first.last!.epoch, 2);
  assert.is(first.last!.nextBatch, 2);
  const rest = await record(3, first.last!);
  assert.equal([...first.seen, ...rest.seen], full.seen);
});

test('run folders go under runs/, which the repository ignores', () => {
  const lines = readFileSync(
    new URL('../../../../.gitignore', import.meta.url),
    'utf8',
  ).split('\n');
  assert.ok(lines.includes('runs/'), '.gitignore lists runs/');
});

test.run();
