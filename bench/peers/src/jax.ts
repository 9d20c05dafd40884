/**
 * jax-js (wasm device, one thread under Node) as a benchmark peer: every
 * step is one jit-compiled function, as a jax-js user would write it.
 * jax-js counts references: a function consumes its array arguments, so
 * arrays used again are passed as `.ref`.
 */
import {
  blockUntilReady,
  defaultDevice,
  init,
  jit,
  lax,
  nn,
  numpy as np,
  valueAndGrad,
} from '@jax-js/jax';
import { installedVersion } from './version.js';
import type { ConvInputs, MlpInputs, Peer, PeerTask } from './types.js';

type A = np.Array;

/**
 * jax-js 0.1.25 tests typed arrays with `instanceof Float16Array`, which
 * Node 20 does not define: an empty class makes that test false.
 */
function shimFloat16Array(): void {
  const g = globalThis as { Float16Array?: unknown };
  g.Float16Array ??= class Float16ArrayAbsent {};
}

const arr = (d: Float32Array | Float64Array, shape: number[]): A =>
  np
    .array(d, { dtype: d instanceof Float64Array ? np.float64 : np.float32 })
    .reshape(shape);

/** Flat copies of arrays (`data()` consumes each). */
async function read(xs: A[]): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const x of xs)
    out.push(Float32Array.from((await x.data()) as Float32Array));
  return out;
}

/** Mean cross-entropy of logits against one-hot rows y. */
const crossEntropy = (logits: A, y: A): A =>
  nn.logSoftmax(logits, -1).mul(y).sum(-1).mean().neg();

/**
 * A training step task: `loss(params, x, y)` differentiated, SGD on
 * every parameter, the whole step under jit.
 */
function trainTask(
  loss: (p: A[], x: A, y: A) => A,
  params0: A[],
  x: A,
  y: A,
  lr: number,
): PeerTask {
  const vg = valueAndGrad(loss);
  const step = jit((p: A[], xs: A, ys: A) => {
    const [l, g] = vg(
      p.map((t) => t.ref),
      xs,
      ys,
    );
    return [l, p.map((t, i) => t.sub(g[i].mul(lr)))];
  });
  const lossGrad = jit((p: A[], xs: A, ys: A) => vg(p, xs, ys));
  let params = params0.map((t) => t.ref);
  return {
    async step() {
      const [l, next] = step(params, x.ref, y.ref) as unknown as [A, A[]];
      params = next;
      await blockUntilReady([l, ...params]);
      l.dispose();
    },
    async check() {
      const [l, g] = lossGrad(
        params0.map((t) => t.ref),
        x.ref,
        y.ref,
      ) as unknown as [A, A[]];
      return read([l, ...g]);
    },
    dispose() {
      for (const t of [...params, ...params0, x, y]) t.dispose();
      step.dispose();
      lossGrad.dispose();
    },
  };
}

function matmul(a: Float32Array, b: Float32Array, n: number): PeerTask {
  const ja = arr(a, [n, n]);
  const jb = arr(b, [n, n]);
  const mm = jit((x: A, y: A) => np.matmul(x, y));
  return {
    async step() {
      await mm(ja.ref, jb.ref).data();
    },
    check: async () => read([mm(ja.ref, jb.ref)]),
    dispose() {
      ja.dispose();
      jb.dispose();
      mm.dispose();
    },
  };
}

function mlpStep(m: MlpInputs): PeerTask {
  const shapes = [[784, 256], [256], [256, 10], [10]];
  const loss = ([w1, b1, w2, b2]: A[], x: A, y: A): A =>
    crossEntropy(np.matmul(nn.relu(np.matmul(x, w1).add(b1)), w2).add(b2), y);
  return trainTask(
    loss,
    m.params.map((p, i) => arr(p, shapes[i])),
    arr(m.x, [m.batch, 784]),
    arr(m.y, [m.batch, 10]),
    m.lr,
  );
}

function convStep(c: ConvInputs): PeerTask {
  const flat = 32 * 24 * 24;
  const shapes = [
    [16, 1, 3, 3],
    [16, 1, 1],
    [32, 16, 3, 3],
    [32, 1, 1],
    [flat, 10],
    [10],
  ];
  const loss = ([w1, b1, w2, b2, w3, b3]: A[], x: A, y: A): A => {
    const h1 = nn.relu(lax.conv(x, w1, [1, 1], 'VALID').add(b1));
    const h2 = nn.relu(lax.conv(h1, w2, [1, 1], 'VALID').add(b2));
    return crossEntropy(np.matmul(h2.reshape([c.batch, flat]), w3).add(b3), y);
  };
  return trainTask(
    loss,
    c.params.map((p, i) => arr(p, shapes[i])),
    arr(c.x, [c.batch, 1, 28, 28]),
    arr(c.y, [c.batch, 10]),
    c.lr,
  );
}

function softmaxCe(
  logits: Float32Array,
  y: Float32Array,
  rows: number,
  cols: number,
): PeerTask {
  const jl = arr(logits, [rows, cols]);
  const jy = arr(y, [rows, cols]);
  const f = jit(valueAndGrad((l: A, t: A) => crossEntropy(l, t)));
  const run = () => f(jl.ref, jy.ref) as unknown as [A, A];
  return {
    async step() {
      const [l, g] = run();
      await blockUntilReady([l, g]);
      l.dispose();
      g.dispose();
    },
    check: async () => read(run()),
    dispose() {
      jl.dispose();
      jy.dispose();
      f.dispose();
    },
  };
}

function choleskySolve(
  a: Float64Array,
  b: Float64Array,
  batch: number,
  n: number,
): PeerTask {
  const ja = arr(a, [batch, n, n]);
  const jb = arr(b, [batch, n, 1]);
  // not under jit: jax-js 0.1.25 cannot jit a triangular solve fed by a
  // traced value ("routine primitive triangular_solve input is not imm")
  const f = (m: A, r: A): A => {
    const l = np.linalg.cholesky(m);
    const y = lax.linalg.triangularSolve(l.ref, r, {
      leftSide: true,
      lower: true,
    });
    return lax.linalg.triangularSolve(l, y, {
      leftSide: true,
      lower: true,
      transposeA: true,
    });
  };
  return {
    async step() {
      await f(ja.ref, jb.ref).data();
    },
    async check() {
      const x = await f(ja.ref, jb.ref).data();
      return [Float64Array.from(x as Float64Array)];
    },
    dispose() {
      ja.dispose();
      jb.dispose();
    },
  };
}

/**
 * jax-js on its wasm device.
 * @example const jax = await jaxPeer(); jax.matmul(a, b, 256);
 */
export async function jaxPeer(): Promise<Peer> {
  shimFloat16Array();
  await init('wasm');
  defaultDevice('wasm');
  return {
    name: 'jax-js',
    version: installedVersion('@jax-js/jax'),
    matmul,
    mlpStep,
    convStep,
    softmaxCe,
    choleskySolve,
  };
}
