// The `optnet` command line run from the TypeScript sources, for the
// workspace's `pnpm optnet ...` and `pnpm sudoku ...` (bin/optnet.js runs the
// built package the same way). Every core by default; OPTNET_THREADS=N caps.
// Its hints name `pnpm optnet ...`, the command a clone has.
import { runOptnet } from '@optnet/optnet/cli';

process.exitCode = await runOptnet(process.argv.slice(2), {
  prog: 'pnpm optnet',
});
