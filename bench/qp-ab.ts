/**
 * The QP forward of two checkouts, A/B in one process: the other tree's
 * packages are imported from its sources beside this tree's, and each
 * round times one solve of each (alternating which runs first), so both
 * see the same machine load. The figure to quote is the median of the
 * per-round ratios; separate processes on this shared host moved by
 * 10-30% between runs, this by a few percent.
 *
 *   node --conditions=source --import ./scripts/register.mjs \
 *     bench/qp-ab.ts ../old-checkout 10,0 50,0 64,40
 *
 * With `--bwd` (anywhere in the arguments) each round times the forward
 * and backward instead, as the "qp fwd+bwd" rows do: every input requires
 * a gradient, z·c summed (c seeded) is differentiated, and each gradient
 * is read back. Caution: in this mode the first tree (this one) measured
 * 11-13% slower than the second at nz 50, whichever tree came first
 * (2026-12-04: 1.134 one way, 1/1.116 the other, for two trees that
 * separate processes timed within 1%); run it both ways and take the
 * geometric mean of the ratios, or time separate processes.
 *
 * Each tree builds the problems with its own randomQp: if the generator
 * changed between the two, they solve different problems (compare with a
 * tree whose testing/random-qp.ts matches). The other tree needs its
 * dependencies installed (`pnpm install`). Each
 * size nz,nEq (nIneq = nz) is a batch of 128 float64 randomQp problems
 * with the bench's seed (nz + nEq), solved by qp with default options
 * under noGrad and z read back, as the "qp fwd" bench rows do: 3 s of
 * warm-up, then 61 rounds (15 from nz 50). One JSON line per size: the
 * median wall ms of each tree and the median per-round ratio this/other.
 */
import { resolve } from 'node:path';
import { qpSize } from './util.js';

interface Tree {
  readonly fwd: (nz: number, nEq: number, bwd: boolean) => () => void;
}

/** A tree's qp and randomQp, imported from its package sources. */
async function load(root: string): Promise<Tree> {
  const src = (pkg: string, file: string) =>
    import(resolve(root, 'packages', pkg, 'src', file));
  const [optnet, testing, tensor, autograd] = await Promise.all([
    src('optnet', 'index.ts'),
    src('optnet', 'testing.ts'),
    src('tensor', 'index.ts'),
    src('autograd', 'index.ts'),
  ]);
  return {
    fwd: (nz, nEq, bwd) => {
      const d = testing.randomQp(qpSize(nz, nEq));
      if (!bwd)
        return () =>
          tensor.scope(() =>
            autograd
              .noGrad(() => optnet.qp(d.Q, d.p, d.G, d.h, d.A, d.b))
              .dataSync(),
          );
      const leaves = [d.Q, d.p, d.G, d.h, d.A, d.b].filter((t) => t !== null);
      const c = tensor.randn([d.p.shape[0], nz], {
        rng: tensor.makeRng(1),
        dtype: 'float64',
      });
      return () =>
        tensor.scope(() => {
          for (const t of leaves) {
            t.requiresGrad = true;
            t.grad = null;
          }
          const z = optnet.qp(d.Q, d.p, d.G, d.h, d.A, d.b);
          z.mul(c).sum().backward();
          for (const t of leaves) {
            t.grad.dataSync();
            // as an optimizer's zeroGrad: the memory is recycled
            t.grad.dispose();
            t.grad = null;
            t.requiresGrad = false;
          }
        });
    },
  };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

function timed(f: () => void): number {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const bwd = args.includes('--bwd');
  const [other, ...sizes] = args.filter((a) => a !== '--bwd');
  if (other === undefined || sizes.length === 0) {
    console.error('usage: bench/qp-ab.ts OTHER_TREE nz,nEq [nz,nEq ...]');
    process.exit(2);
  }
  const trees = [await load(resolve('.')), await load(resolve(other))];
  for (const size of sizes) {
    const [nz, nEq] = size.split(',').map(Number);
    const [mine, theirs] = trees.map((t) => t.fwd(nz, nEq, bwd));
    const w0 = performance.now();
    for (let i = 0; i < 3 || performance.now() - w0 < 3000; i++) {
      mine();
      theirs();
    }
    const rows: [number, number][] = [];
    for (let r = 0; r < (nz >= 50 ? 15 : 61); r++) {
      const a = r % 2 ? timed(mine) : 0;
      const b = timed(theirs);
      rows.push([r % 2 ? a : timed(mine), b]);
    }
    const row = {
      nz,
      nEq,
      timed: bwd ? 'fwd+bwd' : 'fwd',
      thisMs: +median(rows.map((x) => x[0])).toFixed(2),
      otherMs: +median(rows.map((x) => x[1])).toFixed(2),
      ratio: +median(rows.map(([a, b]) => a / b)).toFixed(3),
      rounds: rows.length,
    };
    console.log(JSON.stringify(row));
  }
}

await main();
