/** Forward cases for the matmul primitives (see op-suite.ts). */
import type { OpCase } from './op-suite.js';

export const matmulCases: OpCase[] = [];
