/**
 * The package as a service installs it. What `npm pack` puts in it: package.json's `files`, where an
 * entry names a file or a directory with everything under it. Without `files` npm packs the
 * whole repository but what .gitignore names, and dist/ (ignored) got in only because `bin`
 * points into it. Read from package.json rather than asked of `npm pack --dry-run`, which
 * gzips the whole package to answer (over 2 s). And what an install brings along: the lock
 * file marks `dev` every package that only the repository installs.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as {
  bin: Record<string, string>;
  exports: Record<string, string>;
  scripts: Record<string, string>;
  files?: string[];
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
};
const lock = JSON.parse(readFileSync(`${root}package-lock.json`, 'utf8')) as { packages: Record<string, { dev?: boolean }> };

function packed(path: string): boolean {
  const clean = path.replace(/^\.\//, '');
  return (pkg.files ?? []).some((entry) => clean === entry || clean.startsWith(`${entry}/`));
}

describe('the packed package', () => {
  it('holds what an install runs: the entry points and their types, the command line, the postinstall script, the migrations', () => {
    // `postinstall` runs in every project that installs keyward: its file must be there.
    const postinstall = /^node (\S+)$/.exec(pkg.scripts.postinstall ?? '')?.[1];
    expect(postinstall).toBeDefined();
    const needed = [
      ...Object.values(pkg.bin),
      ...Object.values(pkg.exports).flatMap((entry) => [entry, entry.replace(/\.js$/, '.d.ts')]),
      postinstall!,
      'drizzle/meta/_journal.json',
      'drizzle/pg/meta/_journal.json',
    ];
    expect(needed.filter((path) => !packed(path))).toEqual([]);
  });

  it("leaves out the repository's tests, benchmarks and CI", () => {
    expect(pkg.files).toBeDefined();
    expect(['test/unit/package-files.test.ts', 'bench/run.ts', '.ci/run', 'vitest.config.ts'].filter(packed)).toEqual([]);
  });

  it("brings no Hono of its own: keyward/hono runs on the service's", () => {
    // A second copy, of another version, made the service's Hono reject the middleware's types.
    for (const name of ['hono', '@hono/node-server']) {
      expect(lock.packages[`node_modules/${name}`]?.dev, `${name} only in the repository`).toBe(true);
      expect(pkg.peerDependenciesMeta?.[name], `${name} an optional peer`).toEqual({ optional: true });
    }
  });
});
