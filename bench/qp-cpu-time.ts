/**
 * The QP forward's CPU time, one thread: for comparisons on a busy shared
 * host, where wall-clock medians move by 30-60% between runs while the
 * process's own CPU time (process.cpuUsage) moves far less.
 *
 *   node --conditions=source --import ./scripts/register.mjs \
 *     bench/qp-cpu-time.ts on,off 10,0 50,0 64,40
 *
 * The first argument lists the variants, timed interleaved in this
 * process: `on` and `off` (QpOptions.polish), `default` (no options, for
 * a checkout without the polish option). Each further argument is a size
 * nz,nEq (nIneq = nz), a batch of 128 float64 randomQp problems with the
 * bench's seed (nz + nEq), solved by qp under noGrad with z read back, as
 * the "qp fwd" bench rows do. Per size: 3 s of CPU warm-up, then 31
 * rounds (9 from nz 50) of one solve per variant; prints one JSON line per
 * variant with the median and minimum CPU ms and the median wall ms.
 */
import * as T from '../packages/tensor/src/index.js';
import { noGrad } from '../packages/autograd/src/index.js';
import { qp } from '@optnet/optnet';
import { randomQp } from '@optnet/optnet/testing';
import { qpSize } from './util.js';

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

const options = (v: string) => (v === 'default' ? {} : { polish: v === 'on' });

function measure(variants: readonly string[], nz: number, nEq: number) {
  const d = randomQp(qpSize(nz, nEq));
  const fwd = (v: string) =>
    T.scope(() =>
      noGrad(() => qp(d.Q, d.p, d.G, d.h, d.A, d.b, options(v))).dataSync(),
    );
  const w0 = cpuMs();
  for (let i = 0; i < 3 || cpuMs() - w0 < 3000; i++) variants.forEach(fwd);
  const cpu = new Map(variants.map((v) => [v, [] as number[]]));
  const wall = new Map(variants.map((v) => [v, [] as number[]]));
  for (let r = 0; r < (nz >= 50 ? 9 : 31); r++) {
    for (const v of variants) {
      const [c0, t0] = [cpuMs(), performance.now()];
      fwd(v);
      cpu.get(v)!.push(cpuMs() - c0);
      wall.get(v)!.push(performance.now() - t0);
    }
  }
  for (const v of variants) {
    const c = cpu.get(v)!;
    const row = {
      nz,
      nEq,
      v,
      cpuMed: +median(c).toFixed(2),
      cpuMin: +Math.min(...c).toFixed(2),
      wallMed: +median(wall.get(v)!).toFixed(2),
      reps: c.length,
    };
    console.log(JSON.stringify(row));
  }
}

const [variants, ...sizes] = process.argv.slice(2);
for (const s of sizes) {
  const [nz, nEq] = s.split(',').map(Number);
  measure(variants.split(','), nz, nEq);
}
