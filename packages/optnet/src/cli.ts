/**
 * @optnet/optnet/cli: the `optnet` command line as a function
 * (bin/optnet.js calls `runOptnet`; the commands are in cli/).
 * @example
 * import { main } from '@optnet/optnet/cli';
 * process.exitCode = await main(['solve', 'HS21.QPS', '--json']);
 *
 * @module \@optnet/optnet/cli
 */
export {
  main,
  runOptnet,
  version,
  USAGE,
  type MainOptions,
} from './cli/cli.js';
