// tensor's op suite on the WebGPU backend: every primitive's forward
// cases, against the values the CPU reference computes, with the float32
// tolerances the suite states (FLOAT32_FLOOR: rtol 2e-4, atol 1e-5).
import { test } from 'uvu';
import { opSuite } from '@optnet/tensor/testing';
import { gpuForTests } from './setup.js';

const gpu = await gpuForTests('op-suite');
if (gpu) opSuite(gpu, test);
test.run();
