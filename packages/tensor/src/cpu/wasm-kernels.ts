/**
 * @optnet/tensor/wasm: write WebAssembly SIMD kernels of your own for the
 * CPU backend, in the same module and memory as its built-in ones (a
 * fused kernel of @optnet/optnet's QP solver is one).
 *
 * A kernel is text in a subset of the WebAssembly text format (WasmFunc),
 * added with registerWasmKernels from the kernel that first needs it; at
 * run time wasmKernels() gives the module (or null: no SIMD here, or
 * turned off, so run a JS kernel), operand() the address of an input's
 * items (its mirror when it has one; batchMap() says which item of the
 * input each output item reads), inChunks() scratch for a range of
 * batch items, and the inline helpers (dotInline, axpyInline, ...) common
 * loops to splice into a body (withSuffix copies one for a second item
 * on its own locals, to pair with $trsvDot2/$trsvAxpy2). cpuKernelOf(op) is the kernel the CPU
 * backend runs for a primitive (its WebAssembly one where it has one, else
 * `op.cpu`), for a fused kernel's fallback path.
 *
 * @example
 * import { registerWasmKernels, wasmKernels } from '@optnet/tensor/wasm';
 * registerWasmKernels([{
 *   name: 'sq', params: [['$x', 'f64']], result: 'f64',
 *   body: '(f64.mul (local.get $x) (local.get $x))',
 * }]);
 * const k = wasmKernels();
 * if (k !== null) k.fn.sq(3); // 9
 *
 * @module \@optnet/tensor/wasm
 */
export {
  assemble,
  type AssembleOptions,
  type WasmFunc,
} from './wasm/assemble.js';
export { cpuKernelOf } from './kernels.js';
export { DGEMM_PANEL, packDgemmPanels } from './wasm/wat-dgemm.js';
export { batchMap } from '../ops/triangular-solve.js';
export {
  copyItems,
  inChunks,
  MAX_ALLOC,
  operand,
  registerWasmKernels,
  wasmKernels,
  type WasmKernels,
} from './wasm/runtime.js';
export {
  AXPY_LOCALS,
  axpyInline,
  DOT_LOCALS,
  dotInline,
  f64,
  hsum,
  i32,
  suffixed,
  v128,
  withSuffix,
  type Local,
} from './wasm/wat-common.js';
