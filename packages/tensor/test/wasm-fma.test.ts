// Relaxed SIMD's fused multiply-add in the float32 matmul (runtime.ts,
// wat-sgemm.ts): the assembler's `f32x4.madd` both ways, the module's
// choice (engine and CPU), the setting workers get, and, in a child Node
// with relaxed SIMD on, the fused kernel's products against float64 and
// against the plain kernel, both micro-tiles' bits, split products with
// the same bits as one thread, setWasmFma(false) giving the plain bits,
// and the float32 op suite.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as T from '@optnet/tensor';
import { opSuite } from '@optnet/tensor/testing';
import { assemble, type WasmFunc } from '@optnet/tensor/wasm';
import {
  fusesMultiplyAdd,
  loadKernels,
  wasmFmaAllowed,
  type WasmApi,
} from '../src/cpu/wasm/runtime.js';
import { CASES, Float32Cpu, inputsOf, type Case } from './fma/cases.js';

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

test('the module fuses only where the engine validates relaxed SIMD and the CPU fuses it', () => {
  const RELAXED = [0xfd, 0x85, 0x02];
  const validated: boolean[] = [];
  const noRelaxed = {
    Module: WebAssembly.Module,
    Instance: WebAssembly.Instance,
    compile: WebAssembly.compile,
    validate(bytes: Uint8Array): boolean {
      const relaxed = contains(bytes, RELAXED);
      validated.push(relaxed);
      return !relaxed && WebAssembly.validate(bytes);
    },
  };
  assert.is(fusesMultiplyAdd(noRelaxed), false);
  const k = loadKernels(noRelaxed, () => {});
  assert.ok(k !== null, 'the plain module loads');
  assert.is(k.fma, false);
  // The probe was refused, and the module it then assembled was plain.
  assert.equal(validated.slice(-2), [true, false]);
  // An engine that takes relaxed SIMD on a CPU without FMA: relaxed_madd
  // rounds the product first, so the probe gives 0 (faked here: the
  // probe module's function answers 0).
  const unfused = {
    ...noRelaxed,
    validate: () => true,
    Instance: class {
      readonly exports: Record<string, unknown>;
      constructor(m: object, i: object) {
        const real = new WebAssembly.Instance(m, i).exports;
        this.exports = 'probe' in real ? { probe: () => 0 } : real;
      }
    },
  };
  assert.is(fusesMultiplyAdd(unfused), false);
  assert.is(loadKernels(unfused, () => {})!.fma, false);
});

test('setWasmFma(false) keeps the plain module; true gives the engine its choice back; workers get the setting, not the kernels in use', () => {
  const was = T.setWasmFma(false);
  try {
    assert.is(T.usingWasmFma(), false);
    assert.is(T.usingWasmKernels(), true);
    assert.is(wasmFmaAllowed(), false);
  } finally {
    T.setWasmFma(was);
  }
  assert.is(T.usingWasmFma(), fusesMultiplyAdd(WebAssembly));
  // With the WebAssembly kernels off (the bench's kernel rows alternate)
  // split ops still tell their workers the setting: a worker whose module
  // fuses keeps it, instead of rebuilding it at every switch.
  const kernelsWas = T.setWasmKernels(false);
  try {
    assert.is(T.usingWasmFma(), false);
    assert.is(wasmFmaAllowed(), true);
  } finally {
    T.setWasmKernels(kernelsWas);
  }
});

test('setWasmFma and setWasmKernels take a boolean: anything else is BAD_ARGUMENT, and nothing changes', () => {
  const [fma, kernels] = [wasmFmaAllowed(), T.usingWasmKernels()];
  for (const bad of ['no', 'false', 0, 1, undefined, null]) {
    for (const [name, set] of [
      ['setWasmFma', T.setWasmFma],
      ['setWasmKernels', T.setWasmKernels],
    ] as const) {
      const e = (() => {
        try {
          set(bad as unknown as boolean);
        } catch (err) {
          return err as T.ValueError;
        }
        return null;
      })();
      assert.ok(e instanceof T.ValueError, `${name}(${String(bad)})`);
      assert.is(e.code, 'BAD_ARGUMENT');
      assert.match(e.message, new RegExp(`^${name}: on must be true or false`));
    }
  }
  assert.is(wasmFmaAllowed(), fma);
  assert.is(T.usingWasmKernels(), kernels);
});

/** The child's report (fma/child.ts), run with relaxed SIMD on. */
interface Run {
  fma: boolean;
  products: number[][];
  probe: number[];
  split: { calls: number; same: boolean };
}
function childReport(): {
  engineFuses: boolean;
  fused: Run & { tiles: [number[], number[]][] };
  plain: Run;
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

/** Whether this CPU says it has FMA3 (Linux); null where it cannot tell. */
function cpuHasFma(): boolean | null {
  try {
    return /^flags\s*:.*\bfma\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return null;
  }
}

const sameBits = (a: ArrayLike<number>, b: ArrayLike<number>): boolean =>
  a.length === b.length && Array.from(a).every((v, i) => Object.is(v, b[i]));

test('with relaxed SIMD: fused products within float32 bounds and not the plain bits, both tiles the same bits, split or not, setWasmFma(false) plain, the op suite passing', () => {
  const got = childReport();
  // The engine fuses exactly where the CPU has FMA (FMA3 on this CI's x64).
  const hasFma = cpuHasFma();
  if (hasFma !== null) assert.is(got.engineFuses, hasFma, 'engine fuses');
  assert.is(got.fused.fma, got.engineFuses, 'the module fuses where it can');
  const f = got.engineFuses;
  // The probe through matmul: 2⁻²⁴ where the product is fused into the
  // sum, 0 where it is rounded first.
  assert.equal(got.fused.probe, Array(4).fill(f ? 2 ** -24 : 0), 'probe');
  assert.is(got.plain.fma, false, 'setWasmFma(false)');
  assert.equal(got.plain.probe, [0, 0, 0, 0], 'plain probe');
  const plainWas = T.setWasmFma(false);
  try {
    let differ = 0;
    CASES.forEach((c, i) => {
      const [want, scale] = reference(c);
      const [a, b] = inputsOf(c);
      const plain = T.matmul(a, b, c).dataSync();
      const out = got.fused.products[i];
      assert.is(out.length, want.length);
      // |fl(AB) − AB| ≤ γ_k·(|A||B|), γ_k ≈ k·2⁻²⁴, both kernels.
      const g = (c.k + 2) * 2 ** -24;
      for (let j = 0; j < want.length; j++) {
        const bound = g * scale[j] + 1e-30;
        assert.ok(Math.abs(out[j] - want[j]) <= bound, `fused ${j}`);
        assert.ok(Math.abs(plain[j] - want[j]) <= bound, `plain ${j}`);
        if (!Object.is(out[j], plain[j])) differ++;
      }
      // Both micro-tiles, called directly, give matmul's bits.
      const [by4, by6] = got.fused.tiles[i];
      assert.ok(sameBits(by4, out), `case ${i}: the 4-row tile`);
      assert.ok(sameBits(by6, out), `case ${i}: the 6-row tile`);
      // setWasmFma(false) in the child: this process's plain bits.
      assert.ok(sameBits(got.plain.products[i], plain), `case ${i}: plain`);
    });
    if (f) assert.ok(differ > 0, 'fused products differ from the plain ones');
  } finally {
    T.setWasmFma(plainWas);
  }
  for (const run of [got.fused, got.plain]) {
    assert.ok(run.split.calls > 0, 'the product was split over threads');
    assert.ok(run.split.same, 'split over two threads: the same bits as one');
  }
  let cases = 0;
  opSuite(new Float32Cpu(), () => cases++);
  assert.is(got.suite.ran, cases, 'every op suite case ran');
  assert.equal(got.suite.failures, []);
});

test.run();
