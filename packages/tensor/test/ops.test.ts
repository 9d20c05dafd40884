import { test } from 'uvu';
import {
  CpuBackend,
  setWasmKernels,
  usingWasmKernels,
  type DType,
} from '@optnet/tensor';
import { opSuite } from '@optnet/tensor/testing';
import { setF32KernelMinSize } from '../src/cpu/kernels/elementwise-f32.js';

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

// And in float32: a CPU backend that holds no float64 makes every case
// create float32 tensors (as on a GPU), so the float32 kernels run, with
// the WebAssembly kernels on (from size 1, so the suite's small cases
// reach them) and off.
class Float32Cpu extends CpuBackend {
  override readonly name = 'cpu-f32';
  override readonly dtypes: readonly DType[] = ['float32', 'int32', 'bool'];
}
opSuite(new Float32Cpu(), (name, fn) =>
  test(`${name} [float32 kernels from size 1]`, async () => {
    const was = setF32KernelMinSize(1);
    try {
      await fn();
    } finally {
      setF32KernelMinSize(was);
    }
  }),
);
if (usingWasmKernels()) {
  opSuite(new Float32Cpu(), (name, fn) =>
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
