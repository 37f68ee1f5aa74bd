/**
 * Where keyward's own files are (`drizzle/`, the migrations): the directory of its
 * `package.json`, found by walking up from this module. A fixed relative path would not do:
 * this module sits at a different depth in `src/` (tests), in `dist/` as compiled file by file
 * (the library), and in the bundled CLI's chunks (`dist/chunks/`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function isKeywardRoot(dir: string): boolean {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return false;
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name === 'keyward';
  } catch {
    return false;
  }
}

function findRoot(start: string): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    if (isKeywardRoot(dir)) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

const here = dirname(fileURLToPath(import.meta.url));

/**
 * The package root; in an installation without keyward's package.json, this module's own
 * directory, where the missing `drizzle/` is then reported as an incomplete installation (one
 * line from the CLI) rather than as a crash while loading.
 */
export const PACKAGE_ROOT = findRoot(here) ?? here;
