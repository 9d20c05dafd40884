// Lets Node run the TypeScript sources directly (tests, benchmarks, examples):
// `node --conditions=source --import ./scripts/register.mjs file.ts`.
// The hooks in ts-hooks.mjs transpile .ts with esbuild; no type checking here
// (that is `pnpm typecheck`).
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);
