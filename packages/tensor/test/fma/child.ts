// Run by wasm-fma.test.ts in a Node with relaxed SIMD on (the test loads
// scripts/relaxed-simd.mjs first): the float32 WebAssembly kernels with
// fused multiply-add. Prints one JSON line: whether this engine and CPU
// fuse (a module of its own), the products of CASES through matmul and
// through each micro-tile directly, the fused probe, a product split over
// two threads against the same on one, the same with setWasmFma(false),
// and the float32 op suite's failures.
import * as T from '@optnet/tensor';
import { opSuite } from '@optnet/tensor/testing';
import {
  cpuThreadStats,
  stopCpuThreads,
  useCpuThreads,
} from '@optnet/tensor/threads';
import { wasmKernels } from '@optnet/tensor/wasm';
import { setF32KernelMinSize } from '../../src/cpu/kernels/elementwise-f32.js';
import { packScratch } from '../../src/cpu/kernels/sgemm.js';
import { fusesMultiplyAdd, type WasmApi } from '../../src/cpu/wasm/runtime.js';
import { CASES, Float32Cpu, fusedProbe, inputsOf, type Case } from './cases.js';

const engine = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const products = () =>
  CASES.map((c) => {
    const [a, b] = inputsOf(c);
    return Array.from(T.matmul(a, b, c).dataSync());
  });
const probeOf = () => {
  const [pa, pb] = fusedProbe();
  return Array.from(T.matmul(pa, pb).dataSync());
};

/** op(A)·op(B) of `c` by the micro-tile `mr` (sgemm4 or sgemm6) directly. */
function byTile(c: Case, mr: number): number[] {
  const wk = wasmKernels()!;
  const [a, b] = inputsOf(c).map((t) => t.dataSync() as Float32Array);
  wk.begin();
  const aAt = wk.alloc(a.length * 4);
  const bAt = wk.alloc(b.length * 4);
  const cAt = wk.alloc(c.m * c.n * 4);
  const scratch = packScratch(wk, c.n);
  wk.f32().set(a, aAt >> 2);
  wk.f32().set(b, bAt >> 2);
  const [lda, ldb] = [c.transA ? c.m : c.k, c.transB ? c.k : c.n];
  wk.fn[`sgemm${mr}`](
    ...[aAt, lda, c.transA ? 1 : 0, bAt, ldb, c.transB ? 1 : 0, cAt],
    ...[c.n, c.m, c.k, c.n, ...scratch],
  );
  return Array.from(wk.f32().subarray(cAt >> 2, (cAt >> 2) + c.m * c.n));
}

/** One product split over two threads (rows to each), and on one. */
async function split(): Promise<{ calls: number; same: boolean }> {
  await useCpuThreads(2);
  // inputs made while threads are on live in shared memory
  const [sa, sb] = inputsOf({ m: 512, k: 300, n: 260, seed: 9 });
  const before = cpuThreadStats().splitCalls;
  const two = T.matmul(sa, sb).dataSync();
  const calls = cpuThreadStats().splitCalls - before;
  stopCpuThreads();
  const one = T.matmul(sa, sb).dataSync();
  return { calls, same: one.every((v, i) => Object.is(v, two[i])) };
}

const fused = {
  fma: T.usingWasmFma(),
  products: products(),
  tiles: CASES.map((c) => [byTile(c, 4), byTile(c, 6)]),
  probe: probeOf(),
  split: await split(),
};

const was = T.setWasmFma(false);
const plain = {
  fma: T.usingWasmFma(),
  products: products(),
  probe: probeOf(),
  split: await split(),
};
T.setWasmFma(was);

const failures: string[] = [];
const cases: [string, () => Promise<void>][] = [];
opSuite(new Float32Cpu(), (name, fn) => cases.push([name, fn]));
const minWas = setF32KernelMinSize(1);
for (const [name, fn] of cases)
  await fn().catch((e: unknown) => failures.push(`${name}: ${String(e)}`));
setF32KernelMinSize(minWas);

console.log(
  JSON.stringify({
    engineFuses: fusesMultiplyAdd(engine),
    fused,
    plain,
    suite: { ran: cases.length, failures },
  }),
);
