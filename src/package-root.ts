/**
 * Where keyward's own files are (`drizzle/`, the migrations): the package root, the directory
 * above the one holding the code — `src/` (tests), `dist/` as compiled file by file (the
 * library) or `.test-build/` — or two above it for the bundled command line's parts in
 * `dist/chunks/`. Derived from this module's own place, never searched for: a search upwards
 * could end in a directory another local user can write to and run their "migrations".
 */
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export const PACKAGE_ROOT = join(here, basename(here) === 'chunks' ? '../..' : '..');
