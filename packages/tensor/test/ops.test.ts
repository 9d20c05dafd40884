import { test } from 'uvu';
import { CpuBackend } from '@optnet/tensor';
import { opSuite } from '@optnet/tensor/testing';

opSuite(new CpuBackend(), test);

test.run();
