#!/usr/bin/env node
// The `optnet` command: a thin launcher for the built CLI module.
import { main } from '../dist/cli.js';

process.exitCode = await main(process.argv.slice(2));
