import { test } from 'uvu';
import { CpuBackend, setWasmKernels, usingWasmKernels } from '@optnet/tensor';
import { opSuite } from '@optnet/tensor/testing';

opSuite(new CpuBackend(), test);

// Once more with the WebAssembly kernels off: the plain JS kernels are
// what runs where WebAssembly SIMD is missing, so they keep their tests.
if (usingWasmKernels()) {
  opSuite(new CpuBackend(), (name, fn) =>
    test(`${name} [JS kernels]`, async () => {
      const was = setWasmKernels(false);
      try {
        await fn();
      } finally {
        setWasmKernels(was);
      }
    }),
  );
}

test.run();
