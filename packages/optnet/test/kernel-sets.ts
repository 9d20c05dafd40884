// Helpers the fused-kernel tests share: running a check with the
// WebAssembly kernels on and off, and a G of simple bounds.
import { setWasmKernels } from '@optnet/tensor';
import { wasmKernels } from '@optnet/tensor/wasm';

/**
 * fn's result and the number of chunks its kernels ran (inChunks begins
 * each). Call fn's op once before, so that its WebAssembly functions are
 * registered and wasmKernels() is the module it runs.
 */
export function countingChunks<T>(fn: () => T): [T, number] {
  const wk = wasmKernels()!;
  const begin = wk.begin;
  let chunks = 0;
  (wk as { begin: () => void }).begin = () => {
    chunks++;
    begin();
  };
  try {
    return [fn(), chunks];
  } finally {
    (wk as { begin: () => void }).begin = begin;
  }
}

/**
 * Runs fn with the WebAssembly kernels on, then off (the fused kernels' JS
 * loops).
 */
export function withEachKernelSet(fn: (wasm: boolean) => void): void {
  for (const wasm of [true, false]) {
    const was = setWasmKernels(wasm);
    try {
      fn(wasm);
    } finally {
      setWasmKernels(was);
    }
  }
}

/**
 * G with a lower and an upper bound on each of the first nz − 1 variables
 * (rows −2·e_j and e_j), none on the last, and a row of zeros:
 * [2(nz − 1) + 1, nz].
 */
export function boundsG(nz: number): number[][] {
  const rows: number[][] = [];
  for (let j = 0; j < nz - 1; j++) {
    const e = Array.from({ length: nz }, (_, k) => (k === j ? 1 : 0));
    rows.push(
      e.map((v) => -2 * v),
      e,
    );
  }
  rows.push(Array(nz).fill(0));
  return rows;
}
