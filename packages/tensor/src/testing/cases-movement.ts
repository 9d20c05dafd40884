/** Forward cases for the movement primitives (see op-suite.ts). */
import type { OpCase } from './op-suite.js';

export const movementCases: OpCase[] = [];
