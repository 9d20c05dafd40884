// Every primitive's VJP against central differences through
// checkVjpAsync: in float64 on the CPU, and in float32 on GpuLikeBackend
// (no synchronous reads, core kernels only), as a GPU backend runs it.
import { test } from 'uvu';
import { CpuBackend } from '@optnet/tensor';
import { GpuLikeBackend } from '@optnet/tensor/testing';
import { vjpSuite } from '@optnet/autograd/testing';

vjpSuite(new CpuBackend(), test);
vjpSuite(new GpuLikeBackend(), test);

test.run();
