/**
 * What a benchmark peer offers `pnpm bench`: each task is built from the
 * same seeded inputs as ours (plain typed arrays) and gives a step to time
 * and the numbers to check against ours. A task a peer cannot run throws
 * a Missing with the reason, shown in its column.
 */

/** A peer's task: `step` is timed; `check` returns what is compared. */
export interface PeerTask {
  /** One timed run, finished (results read back or blocked on). */
  step(): Promise<void>;
  /** The task's outputs at its initial inputs (flat), for the check. */
  check(): Promise<Float32Array[] | Float64Array[]>;
  /** Frees the peer's memory. */
  dispose(): void;
}

/** Why a peer has no number for a task. */
export class Missing extends Error {
  override readonly name = 'Missing';
}

/** MLP 784-256-10 step inputs: x [batch, 784], one-hot y, params. */
export interface MlpInputs {
  batch: number;
  x: Float32Array;
  /** One-hot labels [batch, 10]. */
  y: Float32Array;
  /** w1 [784, 256], b1 [256], w2 [256, 10], b2 [10]. */
  params: Float32Array[];
  lr: number;
}

/** Conv net step inputs (see bench/cases-train.ts). */
export interface ConvInputs {
  batch: number;
  /** x [batch, 1, 28, 28]. */
  x: Float32Array;
  /** One-hot labels [batch, 10]. */
  y: Float32Array;
  /** w1 [16,1,3,3], b1 [16,1,1], w2 [32,16,3,3], b2 [32,1,1], w3 [18432,10], b3 [10]. */
  params: Float32Array[];
  lr: number;
}

/**
 * A peer: its name and version, and a builder per task. The check of
 * each: matmul C; mlp/conv loss then the gradients at the initial
 * parameters; softmaxCe loss then the logits' gradient; cholesky X.
 */
export interface Peer {
  readonly name: string;
  readonly version: string;
  matmul(a: Float32Array, b: Float32Array, n: number): PeerTask;
  mlpStep(inputs: MlpInputs): PeerTask;
  convStep(inputs: ConvInputs): PeerTask;
  softmaxCe(
    logits: Float32Array,
    y: Float32Array,
    rows: number,
    cols: number,
  ): PeerTask;
  /** L = cholesky(A), X = solve(A, B): A [batch, n, n] SPD, B [batch, n, 1], float64. */
  choleskySolve(
    a: Float64Array,
    b: Float64Array,
    batch: number,
    n: number,
  ): PeerTask;
}
