/** Forward cases for the nn primitives (see op-suite.ts). */
import type { OpCase } from './op-suite.js';

export const nnCases: OpCase[] = [];
