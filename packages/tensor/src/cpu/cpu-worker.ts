/// <reference types="node" />
/**
 * Body of a worker thread started by `useCpuThreads` (threads.ts). It
 * waits for ranges of kernel calls, runs `cpuBatch.run` on them against the
 * shared input and output memory, and signals the main thread, blocked in
 * Atomics.wait, through its slot of the shared sync array: DONE, or FAILED
 * after posting the error on its port (which the main thread reads
 * synchronously and rethrows as the same typed error).
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import {
  DONE,
  FAILED,
  reportOf,
  splittableKernels,
  viewTensors,
  type CpuTask,
} from './threads.js';
import { cpuBatchOf } from './kernels.js';
import {
  resetWasmScratch,
  setWasmFma,
  setWasmKernels,
  useWasmScratchOnly,
} from './wasm/runtime.js';

useWasmScratchOnly();

interface WorkerInit {
  readonly index: number;
  readonly sync: Int32Array;
  readonly port: MessagePort;
}

const init = workerData as WorkerInit;
const kernels = splittableKernels();

function runTask(task: CpuTask): void {
  const op = kernels.get(task.op);
  const batch = op === undefined ? undefined : cpuBatchOf(op);
  if (batch === undefined)
    throw new Error(`cpu worker: no splittable kernel named ${task.op}.`);
  setWasmKernels(task.wasm);
  setWasmFma(task.fma);
  resetWasmScratch();
  batch.run(
    viewTensors(task.inputs),
    viewTensors(task.outputs),
    task.attrs,
    task.start,
    task.end,
  );
}

parentPort?.on('message', (task: CpuTask) => {
  let status = DONE;
  try {
    runTask(task);
  } catch (e) {
    init.port.postMessage(reportOf(e));
    status = FAILED;
  }
  Atomics.store(init.sync, init.index, status);
  Atomics.notify(init.sync, init.index);
});
parentPort?.postMessage('ready');
