// Relaxed SIMD's fused multiply-add in the float32 matmul (runtime.ts,
// wat-sgemm.ts): the assembler's `f32x4.madd` both ways, the module's
// choice, and, in a child Node with relaxed SIMD on, the fused kernel's
// products against float64 and against the plain kernel, a split product
// with the same bits as one thread, and the float32 op suite.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as T from '@optnet/tensor';
import { opSuite } from '@optnet/tensor/testing';
import { assemble, type WasmFunc } from '@optnet/tensor/wasm';
import {
  loadKernels,
  takesRelaxedSimd,
  type WasmApi,
} from '../src/cpu/wasm/runtime.js';
import {
  CASES,
  Float32Cpu,
  fusedProbe,
  inputsOf,
  type Case,
} from './fma/cases.js';

const here = dirname(fileURLToPath(import.meta.url));
// (the test tsconfig has Node's types, which leave WebAssembly to lib.dom)
const WebAssembly = (globalThis as unknown as { WebAssembly: WasmApi })
  .WebAssembly;
const root = join(here, '..', '..', '..');

const madd = (body: string): WasmFunc => ({
  name: 'f',
  params: [
    ['$a', 'v128'],
    ['$b', 'v128'],
    ['$c', 'v128'],
  ],
  result: 'v128',
  body,
});
const ABC = '(local.get $a) (local.get $b) (local.get $c)';

/** Whether `needle` occurs in `bytes`. */
function contains(bytes: Uint8Array, needle: number[]): boolean {
  for (let i = 0; i + needle.length <= bytes.length; i++)
    if (needle.every((v, j) => bytes[i + j] === v)) return true;
  return false;
}

test('f32x4.madd assembles to relaxed_madd with fma, else to the multiply and add it replaces', () => {
  const RELAXED = [0xfd, 0x85, 0x02];
  const fused = assemble([madd(`(f32x4.madd ${ABC})`)], 1, { fma: true });
  assert.ok(contains(fused, RELAXED));
  const plain = assemble([madd(`(f32x4.madd ${ABC})`)], 1);
  const written = assemble(
    [
      madd(
        '(f32x4.add (f32x4.mul (local.get $a) (local.get $b)) (local.get $c))',
      ),
    ],
    1,
  );
  assert.ok(!contains(plain, RELAXED));
  assert.equal(Array.from(plain), Array.from(written));
  assert.ok(WebAssembly.validate(plain));
  assert.throws(
    () => assemble([madd('(f32x4.madd (local.get $a) (local.get $b))')], 1),
    /"f32x4\.madd" takes three folded operands/,
  );
});

test('the module uses fused multiply-add only where the engine validates relaxed SIMD', () => {
  const validated: boolean[] = [];
  const noRelaxed = {
    Module: WebAssembly.Module,
    Instance: WebAssembly.Instance,
    compile: WebAssembly.compile,
    validate(bytes: Uint8Array): boolean {
      const relaxed = contains(bytes, [0xfd, 0x85, 0x02]);
      validated.push(relaxed);
      return !relaxed && WebAssembly.validate(bytes);
    },
  };
  assert.is(takesRelaxedSimd(noRelaxed), false);
  const k = loadKernels(noRelaxed, () => {});
  assert.ok(k !== null, 'the plain module loads');
  assert.is(k.fma, false);
  // The probe was refused, and the module it then assembled was plain.
  assert.equal(validated.slice(-2), [true, false]);
});

test('setWasmFma(false) keeps the plain module; true gives the engine its choice back', () => {
  const was = T.setWasmFma(false);
  try {
    assert.is(T.usingWasmFma(), false);
    assert.is(T.usingWasmKernels(), true);
  } finally {
    T.setWasmFma(was);
  }
  assert.is(T.usingWasmFma(), takesRelaxedSimd(WebAssembly));
});

/** The child's report (fma/child.ts), run with relaxed SIMD on. */
function childReport(): {
  fma: boolean;
  products: number[][];
  probe: number[];
  splitCalls: number;
  splitSame: boolean;
  suite: { ran: number; failures: string[] };
} {
  const r = spawnSync(
    process.execPath,
    [
      '--conditions=source',
      '--import',
      join(root, 'scripts', 'register.mjs'),
      '--import',
      join(root, 'scripts', 'relaxed-simd.mjs'),
      join(here, 'fma', 'child.ts'),
    ],
    { encoding: 'utf8', cwd: root },
  );
  assert.is(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

/** op(A)·op(B) in float64, and Σ|a||b| per entry (the error bound's scale). */
function reference(c: Case): [Float64Array, Float64Array] {
  const [a, b] = inputsOf(c).map((t) => t.cast('float64'));
  const prod = T.matmul(a, b, c).dataSync() as Float64Array;
  const scale = T.matmul(a.abs(), b.abs(), c).dataSync() as Float64Array;
  return [prod, scale];
}

test('with relaxed SIMD: fused products within float32 bounds, not the plain bits, the same bits split, the op suite passing', () => {
  const got = childReport();
  assert.ok(got.fma, 'the child ran the fused kernels');
  const plainWas = T.setWasmFma(false);
  try {
    // The probe: 2⁻²⁴ where the CPU fuses (FMA3 here), 0 where it does not.
    const [pa, pb] = fusedProbe();
    const plainProbe = Array.from(T.matmul(pa, pb).dataSync());
    assert.equal(plainProbe, [0, 0, 0, 0]);
    const fused = got.probe[0] === 2 ** -24;
    assert.ok(
      got.probe.every((v) => v === (fused ? 2 ** -24 : 0)),
      `probe ${got.probe}`,
    );
    let differ = 0;
    CASES.forEach((c, i) => {
      const [want, scale] = reference(c);
      const [a, b] = inputsOf(c);
      const plain = T.matmul(a, b, c).dataSync();
      const out = got.products[i];
      assert.is(out.length, want.length);
      // |fl(AB) − AB| ≤ γ_k·(|A||B|), γ_k ≈ k·2⁻²⁴, both kernels.
      const g = (c.k + 2) * 2 ** -24;
      for (let j = 0; j < want.length; j++) {
        const bound = g * scale[j] + 1e-30;
        assert.ok(Math.abs(out[j] - want[j]) <= bound, `fused ${j}`);
        assert.ok(Math.abs(plain[j] - want[j]) <= bound, `plain ${j}`);
        if (!Object.is(out[j], plain[j])) differ++;
      }
    });
    if (fused)
      assert.ok(differ > 0, 'fused products differ from the plain ones');
  } finally {
    T.setWasmFma(plainWas);
  }
  assert.ok(got.splitCalls > 0, 'the product was split over threads');
  assert.ok(got.splitSame, 'split over two threads: the same bits as one');
  let cases = 0;
  opSuite(new Float32Cpu(), () => cases++);
  assert.is(got.suite.ran, cases, 'every op suite case ran');
  assert.equal(got.suite.failures, []);
});

test.run();
