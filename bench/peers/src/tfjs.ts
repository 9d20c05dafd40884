/**
 * TensorFlow.js with its WebAssembly backend (one thread under Node) as a
 * benchmark peer, written as a TF.js user would: tf.variableGrads for the
 * training steps, SGD by hand (as ours), tf.tidy around each step.
 */
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import {
  Missing,
  type ConvInputs,
  type MlpInputs,
  type Peer,
  type PeerTask,
} from './types.js';
import { installedVersion } from './version.js';

/** Mean cross-entropy of logits against one-hot rows y. */
const crossEntropy = (logits: tf.Tensor, y: tf.Tensor): tf.Scalar =>
  tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), y), -1))) as tf.Scalar;

/** Flat float32 copies of tensors (then disposed). */
function read(ts: tf.Tensor[]): Float32Array[] {
  const out = ts.map((t) => Float32Array.from(t.dataSync()));
  tf.dispose(ts);
  return out;
}

/**
 * A training step: loss over variables, gradients by tf.variableGrads,
 * SGD assigns; check() gives the loss and gradients at the start.
 */
function trainTask(
  loss: (vs: tf.Variable[]) => tf.Scalar,
  params: tf.Tensor[],
  lr: number,
  keep: tf.Tensor[],
): PeerTask {
  const vars = params.map((p) => tf.variable(p));
  tf.dispose(params);
  const start = vars.map((v) => v.clone());
  const lossGrad = (): [tf.Scalar, tf.Tensor[]] => {
    const { value, grads } = tf.variableGrads(() => loss(vars), vars);
    return [value, vars.map((v) => grads[v.name])];
  };
  return {
    async step() {
      const l = tf.tidy(() => {
        const [value, grads] = lossGrad();
        vars.forEach((v, i) => v.assign(tf.sub(v, tf.mul(grads[i], lr))));
        return value;
      });
      l.dataSync();
      l.dispose();
    },
    async check() {
      const now = vars.map((v) => v.clone());
      vars.forEach((v, i) => v.assign(start[i]));
      const [value, grads] = lossGrad();
      vars.forEach((v, i) => v.assign(now[i]));
      tf.dispose(now);
      return read([value, ...grads]);
    },
    dispose() {
      tf.dispose([...vars, ...start, ...keep]);
    },
  };
}

function matmul(a: Float32Array, b: Float32Array, n: number): PeerTask {
  const ta = tf.tensor2d(a, [n, n]);
  const tb = tf.tensor2d(b, [n, n]);
  return {
    async step() {
      const c = tf.matMul(ta, tb);
      c.dataSync();
      c.dispose();
    },
    check: async () => read([tf.matMul(ta, tb)]),
    dispose: () => tf.dispose([ta, tb]),
  };
}

function mlpStep(m: MlpInputs): PeerTask {
  const x = tf.tensor2d(m.x, [m.batch, 784]);
  const y = tf.tensor2d(m.y, [m.batch, 10]);
  const shapes = [[784, 256], [256], [256, 10], [10]];
  const loss = ([w1, b1, w2, b2]: tf.Variable[]): tf.Scalar =>
    crossEntropy(
      tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, w1), b1)), w2), b2),
      y,
    );
  const params = m.params.map((p, i) => tf.tensor(p, shapes[i]));
  return trainTask(loss, params, m.lr, [x, y]);
}

function convStep(c: ConvInputs): PeerTask {
  const flat = 32 * 24 * 24;
  // NHWC, as TF.js's conv2d takes it; one input channel, so x's data is
  // the same; OIHW weights become HWIO, [C, 1, 1] biases [C]
  const x = tf.tensor4d(c.x, [c.batch, 28, 28, 1]);
  const y = tf.tensor2d(c.y, [c.batch, 10]);
  const hwio = (w: Float32Array, shape: number[]) =>
    tf.tidy(() =>
      tf.transpose(
        tf.tensor4d(w, shape as [number, number, number, number]),
        [2, 3, 1, 0],
      ),
    );
  const [w1, b1, w2, b2, w3, b3] = c.params;
  const params = [
    hwio(w1, [16, 1, 3, 3]),
    tf.tensor1d(b1),
    hwio(w2, [32, 16, 3, 3]),
    tf.tensor1d(b2),
    tf.tensor2d(w3, [flat, 10]),
    tf.tensor1d(b3),
  ];
  const loss = ([k1, c1, k2, c2, k3, c3]: tf.Variable[]): tf.Scalar => {
    const h1 = tf.relu(tf.add(tf.conv2d(x, k1 as tf.Tensor4D, 1, 'valid'), c1));
    const h2 = tf.relu(
      tf.add(tf.conv2d(h1 as tf.Tensor4D, k2 as tf.Tensor4D, 1, 'valid'), c2),
    );
    // flatten in NCHW order, as ours, so that w3 is the same matrix
    const f = tf.reshape(tf.transpose(h2, [0, 3, 1, 2]), [c.batch, flat]);
    return crossEntropy(tf.add(tf.matMul(f, k3), c3), y);
  };
  return trainTask(loss, params, c.lr, [x, y]);
}

function softmaxCe(
  logits: Float32Array,
  y: Float32Array,
  rows: number,
  cols: number,
): PeerTask {
  const tl = tf.tensor2d(logits, [rows, cols]);
  const ty = tf.tensor2d(y, [rows, cols]);
  const f = tf.valueAndGrad((l: tf.Tensor) => crossEntropy(l, ty));
  return {
    async step() {
      const { value, grad } = f(tl);
      grad.dataSync();
      value.dataSync();
      tf.dispose([value, grad]);
    },
    async check() {
      const { value, grad } = f(tl);
      return read([value, grad]);
    },
    dispose: () => tf.dispose([tl, ty]),
  };
}

function choleskySolve(): PeerTask {
  throw new Missing(
    'TF.js has no Cholesky or triangular solve (tf.linalg: bandPart, gramSchmidt, qr)',
  );
}

/**
 * TensorFlow.js on its WebAssembly backend, one thread.
 * @example const tfjs = await tfjsPeer(); tfjs.matmul(a, b, 256);
 */
export async function tfjsPeer(): Promise<Peer> {
  const require = createRequire(import.meta.url);
  const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  setWasmPaths(`${wasmDir}/`);
  setThreadsCount(1);
  await tf.setBackend('wasm');
  await tf.ready();
  if (tf.getBackend() !== 'wasm')
    throw new Missing(`the wasm backend did not start (${tf.getBackend()})`);
  return {
    name: 'TF.js-wasm',
    version: installedVersion('@tensorflow/tfjs-backend-wasm'),
    matmul,
    mlpStep,
    convStep,
    softmaxCe,
    choleskySolve,
  };
}
