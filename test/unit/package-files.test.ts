/**
 * The package as a service installs it. What `npm pack` puts in it is package.json's `files`,
 * where an entry names a file or a directory with everything under it: without `files` npm
 * packed the whole repository but what .gitignore names, and dist/ (ignored) got in only
 * because `bin` points into it. Read from package.json rather than asked of `npm pack
 * --dry-run`, which gzips the whole package to answer (over 2 s). What an install brings
 * along: the packages the build loads and no other (the command line has the rest bundled);
 * the lock file marks `dev` what only the repository installs.
 */
import { readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { COMPILED_DIR } from '../helpers/cli.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as {
  license: string;
  bin: Record<string, string>;
  exports: Record<string, string>;
  scripts: Record<string, string>;
  files?: string[];
  dependencies: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
};
const lock = JSON.parse(readFileSync(`${root}package-lock.json`, 'utf8')) as { packages: Record<string, { dev?: boolean }> };

function packed(path: string): boolean {
  const clean = path.replace(/^\.\//, '');
  return (pkg.files ?? []).some((entry) => clean === entry || clean.startsWith(`${entry}/`));
}

/** How built code names another module: imports, esbuild's `__require`, `createRequire`. */
const IMPORTS = [
  /^(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']/gm,
  /^import\s*["']([^"']+)["']/gm,
  /\bimport\(\s*["']([^"']+)["']\s*\)/g,
  /\b__require\(\s*["']([^"']+)["']\s*\)/g,
  /\bcreateRequire\(import\.meta\.url\)(?:\.resolve)?\(\s*["']([^"']+)["']\s*\)/g,
];

/**
 * The packages the build can load, from the command line and the entry points down. Read in
 * the test build, which this run's global setup made as `npm run build` makes dist/.
 */
function packagesLoaded(): Set<string> {
  const files = [...Object.values(pkg.bin), ...Object.values(pkg.exports)].map((path) => resolve(COMPILED_DIR, path.replace(/^(\.\/)?dist\//, '')));
  const read = new Set<string>();
  const packages = new Set<string>();
  for (let file = files.pop(); file !== undefined; file = files.pop()) {
    if (read.has(file)) continue;
    read.add(file);
    const text = readFileSync(file, 'utf8');
    for (const pattern of IMPORTS) {
      for (const [, name = ''] of text.matchAll(pattern)) {
        if (name.startsWith('.')) files.push(resolve(dirname(file), name));
        else if (!isBuiltin(name)) packages.add(name.split('/').slice(0, name.startsWith('@') ? 2 : 1).join('/'));
      }
    }
  }
  return packages;
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

  it('carries the text of the license it declares (npm packs LICENSE whatever files says)', () => {
    expect(pkg.license).toBe('MIT');
    expect(readFileSync(`${root}LICENSE`, 'utf8')).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} /);
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

  it('depends on the packages the build loads, and on no other', () => {
    const loaded = packagesLoaded();
    // pg's optional native binding: loaded only for `pg.native`, in a try.
    loaded.delete('pg-native');
    for (const peer of Object.keys(pkg.peerDependencies ?? {})) loaded.delete(peer);
    expect(Object.keys(pkg.dependencies).sort()).toEqual([...loaded].sort());
  });
});
