// Turns on WebAssembly relaxed SIMD where this Node has it behind a flag
// (Node 20; V8 11.4 turned it on: Chrome 114+, Node 21+), so the CPU backend's
// float32 matmul runs with fused multiply-add, as it does for users of a
// current Node or browser. Load it first:
//   node --import ./scripts/relaxed-simd.mjs ...
// It must run before @optnet/tensor compiles its WebAssembly module.
import { setFlagsFromString } from 'node:v8';

// A module whose one function is f32x4.relaxed_madd of its parameter.
const probe = new Uint8Array([
  0x00,
  0x61,
  0x73,
  0x6d,
  0x01,
  0x00,
  0x00,
  0x00, // header
  0x01,
  0x06,
  0x01,
  0x60,
  0x01,
  0x7b,
  0x01,
  0x7b, // type (v128) -> v128
  0x03,
  0x02,
  0x01,
  0x00, // one function of type 0
  0x0a,
  0x0d,
  0x01,
  0x0b,
  0x00, // code: one body of 11 bytes, no locals
  0x20,
  0x00,
  0x20,
  0x00,
  0x20,
  0x00, // local.get 0, three times
  0xfd,
  0x85,
  0x02, // f32x4.relaxed_madd
  0x0b, // end
]);

if (!WebAssembly.validate(probe)) {
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  if (!WebAssembly.validate(probe))
    console.warn(
      'relaxed-simd: this Node has no relaxed SIMD; float32 matmul runs without fused multiply-add',
    );
}
