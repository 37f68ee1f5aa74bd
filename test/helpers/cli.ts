/**
 * How tests run keyward as a process: `node` on the sources as compiled once per test run by
 * test/setup/compile-sources.ts, the way `dist/cli.js` runs it. A child started through tsx
 * spends about half a second loading the compiler first; the suite starts a hundred of them.
 */
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The compiled sources, one directory below the repository like `src/` and `dist/`, so the
 * paths the code resolves from its own location (`drizzle/`, `../cli.js`) hold here too.
 */
export const COMPILED_DIR = fileURLToPath(new URL('../../.test-build/', import.meta.url));

/** `keyward` as a command line: what a test spawns, before its own arguments. */
export const KEYWARD: readonly [string, ...string[]] = [process.execPath, `${COMPILED_DIR}cli.js`];

/** The environment for a spawned keyward: the test machine's own keyward settings must not leak in. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const name of ['KEYWARD_HOME', 'KEYWARD_URL', 'KEYWARD_TOKEN', 'KEYWARD_PORT', 'KEYWARD_DATABASE_URL']) delete env[name];
  return { ...env, ...extra };
}
