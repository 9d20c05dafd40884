// The demo in Node, printing its result as one JSON line: the reference
// the browser test compares the page's numbers with.
//   node --conditions=source --import ./scripts/register.mjs examples/browser/node-run.ts
import { runDemo } from './demo.js';

console.log(JSON.stringify(await runDemo()));
