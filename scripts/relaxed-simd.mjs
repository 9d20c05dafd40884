// Turns on WebAssembly relaxed SIMD where this Node has it behind a flag
// (Node 20; V8 11.4 turned it on: Chrome 114+, Node 21+), so the CPU backend's
// float32 matmul runs with fused multiply-add, as it does for users of a
// current Node or browser. Load it first:
//   node --import ./scripts/relaxed-simd.mjs ...
// It must run before @optnet/tensor compiles its WebAssembly module.
import { setFlagsFromString } from 'node:v8';

// A module whose one function is f32x4.relaxed_madd of its parameter, in
// hex: the header, a type (v128) -> v128, one function of it, and its
// body (no locals; local.get 0 three times; 0xfd 0x85 0x02; end).
const probe = Uint8Array.from(
  Buffer.from(
    '0061736d01000000' +
      '01060160017b017b' +
      '03020100' +
      '0a0d010b00' +
      '200020002000' +
      'fd8502' +
      '0b',
    'hex',
  ),
);

if (!WebAssembly.validate(probe)) {
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  if (!WebAssembly.validate(probe))
    console.warn(
      'relaxed-simd: this Node has no relaxed SIMD; float32 matmul runs without fused multiply-add',
    );
}
