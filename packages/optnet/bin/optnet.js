#!/usr/bin/env node
// The `optnet` command: a thin launcher for the built CLI module. It uses
// every core for the batched kernels (OPTNET_THREADS=1 for one thread).
import { useCpuThreads } from '@optnet/tensor/threads';
import { main } from '../dist/cli.js';

await useCpuThreads(Number(process.env.OPTNET_THREADS) || undefined);
process.exitCode = await main(process.argv.slice(2));
