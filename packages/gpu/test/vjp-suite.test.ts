// autograd's gradient checks on the WebGPU backend: every differentiable
// primitive's VJP against a central difference of its forward, both run
// on the GPU in float32 (checkVjpAsync's float32 step and tolerances).
import { test } from 'uvu';
import { vjpSuite } from '@optnet/autograd/testing';
import { gpuForTests } from './setup.js';

const gpu = await gpuForTests('vjp-suite');
if (gpu) vjpSuite(gpu, test);
test.run();
