/**
 * The denoising run's picture of its model at work: a few test signals,
 * each with its noisy observation and the model's denoised version.
 */
import { noGrad } from '@optnet/autograd';
import { scope, type Tensor } from '@optnet/tensor';
import type { Module } from '@optnet/nn';
import { stackedChartsSvg } from '../common/svg-plot.js';
import { signalTensor, type DenoiseData } from './signals.js';

/**
 * The first `count` test signals: clean, noisy and denoised, one chart
 * each, stacked in one SVG.
 * @example
 * await writeFileAtomic('signals.svg', signalsSvg(model, data));
 */
export function signalsSvg(
  model: Module,
  data: DenoiseData,
  count = 3,
): string {
  const k = Math.min(count, data.test.n);
  const denoised = noGrad(() =>
    scope(() => {
      const y = signalTensor(data.test, 'noisy', 'float64', 0, k);
      return Array.from((model.forward(y) as Tensor).dataSync());
    }),
  );
  const len = data.test.length;
  const x = Array.from({ length: len }, (_, t) => t);
  const row = (a: ArrayLike<number>, i: number): number[] =>
    Array.from(a).slice(i * len, (i + 1) * len);
  const charts = Array.from({ length: k }, (_, i) => ({
    title: `test signal ${i + 1}`,
    xLabel: 'sample',
    yLabel: 'value',
    x,
    height: 280,
    series: [
      {
        name: 'noisy',
        values: row(data.test.noisy, i),
        color: '#b0b0b0',
        dots: false,
        strokeWidth: 1,
      },
      {
        name: 'clean',
        values: row(data.test.clean, i),
        color: '#222222',
        dots: false,
        dashed: true,
      },
      { name: 'denoised', values: row(denoised, i), dots: false },
    ],
  }));
  return stackedChartsSvg(charts);
}
