/**
 * The CPU backend's WebAssembly SIMD kernels against its plain JS kernels,
 * op by op, on the batched float64 shapes of the QP solver at nz 50
 * ([128, 50, 50]): each call timed with the WebAssembly kernels on and
 * off, interleaved (on, off, on, off, ...) so both see the same machine
 * load, after a long warm-up (V8 optimizes a WebAssembly function only
 * after its first calls). The row's time is the WebAssembly kernel's;
 * "derived" gives its speedup over the JS kernel.
 */
import type { Entry } from './entry.js';
import { T, type Tensor } from './ops.js';
import { interleaved, type Timing } from './util.js';

const B = 128;
const N = 50;

interface Operands {
  a: Tensor;
  x: Tensor;
  s: Tensor;
  l: Tensor;
}

function operands(): Operands {
  const rng = T.makeRng(21);
  const a = T.randn([B, N, N], { rng, dtype: 'float64' });
  const x = T.randn([B, N, 1], { rng, dtype: 'float64' });
  const s = T.matmul(a, a, { transB: true }).addDiagonal(
    T.full([N], N, { dtype: 'float64' }),
  );
  return { a, x, s, l: T.cholesky(s) };
}

const kernels: [string, (o: Operands) => Tensor][] = [
  ['cholesky', (o) => T.cholesky(o.s)],
  ['solve L·y = x', (o) => T.triangularSolve(o.l, o.x)],
  ['solve Lᵀ·y = x', (o) => T.triangularSolve(o.l, o.x, { transpose: true })],
  ['mat-vec A·x', (o) => T.matmul(o.a, o.x)],
  ['mat-vec Aᵀ·x', (o) => T.matmul(o.a, o.x, { transA: true })],
  ['solve L·Y = A (50 rhs)', (o) => T.triangularSolve(o.l, o.a)],
  ['Gram AᵀA', (o) => T.matmul(o.a, o.a, { transA: true })],
];

function kernelEntry(name: string, call: (o: Operands) => Tensor): Entry {
  return {
    name: `wasm ${name} f64 ${B}x${N}x${N}`,
    async run() {
      if (!T.usingWasmKernels())
        return {
          note: 'skipped: no WebAssembly SIMD kernels here (or --js-kernels)',
        };
      const o = operands();
      const run = (wasm: boolean) => () => {
        T.setWasmKernels(wasm);
        call(o).dispose();
      };
      const was = T.setWasmKernels(true);
      let timing: Timing;
      let jsT: Timing;
      try {
        [timing, jsT] = interleaved(run(true), run(false), {
          reps: 21,
          warmupMs: 600,
        });
      } finally {
        T.setWasmKernels(was);
      }
      const js = jsT.medianMs;
      return {
        timing,
        derived: `${(js / timing.medianMs).toFixed(1)}x vs JS ${js < 1 ? (js * 1000).toFixed(0) + ' µs' : js.toFixed(2) + ' ms'}`,
      };
    },
  };
}

export function kernelEntries(): Entry[] {
  return kernels.map(([name, call]) => kernelEntry(name, call));
}
