#!/usr/bin/env node
// The `optnet` command: a thin launcher for the built CLI module. It uses
// every core for the batched kernels (OPTNET_THREADS=1 for one thread).
import { runOptnet } from '../dist/cli.js';

process.exitCode = await runOptnet(process.argv.slice(2));
