/** The version of an installed peer package (read from its package.json). */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The installed version of `name`, found from its entry file upwards.
 * @example installedVersion('@jax-js/jax'); // '0.1.25'
 */
export function installedVersion(name: string): string {
  const require = createRequire(import.meta.url);
  let dir = dirname(require.resolve(name));
  for (let i = 0; i < 4; i++, dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      if (pkg.name === name) return pkg.version as string;
    } catch {
      // not this folder
    }
  }
  return 'unknown';
}
