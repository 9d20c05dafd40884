/** Forward cases for the linalg primitives (see op-suite.ts). */
import type { OpCase } from './op-suite.js';

export const linalgCases: OpCase[] = [];
