// The op suite on GpuLikeBackend: GPU semantics (no synchronous reads,
// float32/int32/bool only, core kernels only, deferred kernel failures)
// checked on every machine.
import { test } from 'uvu';
import { GpuLikeBackend, opSuite } from '@optnet/tensor/testing';

opSuite(new GpuLikeBackend(), test);

test.run();
