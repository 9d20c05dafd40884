// Run by wasm-fma.test.ts in a Node with relaxed SIMD on (the test loads
// scripts/relaxed-simd.mjs first): the float32 WebAssembly kernels with
// fused multiply-add. Prints one JSON line: the products of CASES, a
// product split over two threads against the same on one, and the float32
// op suite's failures.
import * as T from '@optnet/tensor';
import { opSuite } from '@optnet/tensor/testing';
import {
  cpuThreadStats,
  stopCpuThreads,
  useCpuThreads,
} from '@optnet/tensor/threads';
import { setF32KernelMinSize } from '../../src/cpu/kernels/elementwise-f32.js';
import { CASES, Float32Cpu, fusedProbe, inputsOf } from './cases.js';

const fma = T.usingWasmFma();
const products = CASES.map((c) => {
  const [a, b] = inputsOf(c);
  return Array.from(T.matmul(a, b, c).dataSync());
});
const [pa, pb] = fusedProbe();
const probe = Array.from(T.matmul(pa, pb).dataSync());

// One product split over two threads (rows to each), and the same on one
// (inputs made while threads are on live in shared memory).
await useCpuThreads(2);
const [sa, sb] = inputsOf({ m: 512, k: 300, n: 260, seed: 9 });
const before = cpuThreadStats().splitCalls;
const two = T.matmul(sa, sb).dataSync();
const splitCalls = cpuThreadStats().splitCalls - before;
stopCpuThreads();
const one = T.matmul(sa, sb).dataSync();
const splitSame = one.every((v, i) => Object.is(v, two[i]));

const failures: string[] = [];
const cases: [string, () => Promise<void>][] = [];
opSuite(new Float32Cpu(), (name, fn) => cases.push([name, fn]));
const was = setF32KernelMinSize(1);
for (const [name, fn] of cases)
  await fn().catch((e: unknown) => failures.push(`${name}: ${String(e)}`));
setF32KernelMinSize(was);

console.log(
  JSON.stringify({
    fma,
    products,
    probe,
    splitCalls,
    splitSame,
    suite: { ran: cases.length, failures },
  }),
);
