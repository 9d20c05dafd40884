// Imported first by an instrumented README example (readme-examples.mjs
// `instrument`): `globalThis.__optnetExpect(k)` is a console.log that also
// appends `{"k":k,"numbers":[...]}` (the numbers as strings, so NaN and
// Infinity survive JSON) to the file named by OPTNET_EXPECT_LOG, one line
// per call, synchronously, so the record survives an example that crashes
// later.
import { appendFileSync } from 'node:fs';
import { printedNumbers } from './expectations.mjs';

const log = process.env.OPTNET_EXPECT_LOG;
if (!log) throw new Error('expect-runtime: OPTNET_EXPECT_LOG is not set');

globalThis.__optnetExpect =
  (k) =>
  (...args) => {
    console.log(...args);
    const numbers = printedNumbers(args).map(String);
    appendFileSync(log, JSON.stringify({ k, numbers }) + '\n');
  };
