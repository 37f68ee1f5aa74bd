/**
 * The names services import keyward by (`keyward/hono`, `keyward/express`, `keyward/verifier`)
 * and the `keyward` command: package.json must map each to the build of the module that holds
 * it (tsconfig.build.json compiles `src/X.ts` to `dist/X.js`), and each must export what the
 * docs tell services to import.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { bin: Record<string, string>; exports: Record<string, string>; types?: string };

/** What docs/services.md has services import from each entry point. */
const DOCUMENTED: Record<string, string[]> = {
  './hono': ['keyward', 'protect', 'requireScope'],
  './express': ['keyward', 'requireScope', 'apiKeyOf'],
  './verifier': ['createVerifier'],
};

/** The source a `dist/…` path is built from. */
function sourceOf(built: string): string {
  const match = /^\.\/dist\/(.+)\.js$/.exec(built);
  if (!match) throw new Error(`${built} is not a file of the build`);
  return `${root}src/${match[1]}.ts`;
}

describe('the package', () => {
  it('exports each entry point services import, built from a module that exports what the docs name', async () => {
    expect(Object.keys(pkg.exports).sort()).toEqual(Object.keys(DOCUMENTED).sort());
    for (const [entry, names] of Object.entries(DOCUMENTED)) {
      const source = sourceOf(pkg.exports[entry]!);
      expect(existsSync(source), `${entry} → ${source}`).toBe(true);
      const module = (await import(source)) as Record<string, unknown>;
      for (const name of names) expect(typeof module[name], `keyward${entry.slice(1)} exports ${name}`).toBe('function');
    }
  });

  it('installs the keyward command from the bundled command line', () => {
    expect(pkg.bin).toEqual({ keyward: 'dist/cli.js' });
    expect(existsSync(`${root}src/cli.ts`)).toBe(true);
  });
});
