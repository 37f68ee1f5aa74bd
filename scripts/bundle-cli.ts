/**
 * Bundles the command line (`src/cli.ts`, and through it the daemon) into `OUTDIR/cli.js`
 * with its lazily loaded parts in `OUTDIR/chunks/`: `npm run build` writes `dist/`, the tests
 * `.test-build/`. Loaded file by file, the daemon spent most of its start-up CPU in Node's ESM
 * loader going through ~600 modules of its own and of zod, hono and drizzle; bundled, a start
 * takes about half the CPU (docs/performance.md). The library entry points (`keyward/hono`,
 * `keyward/express`, `keyward/verifier`) stay tsc's file-by-file output, for services to
 * bundle as they like.
 *
 * Left to Node: native and optional modules (better-sqlite3, pg-native), and the TUI's React
 * and Ink, which find their own files beside themselves (Ink reads its package.json, Yoga its
 * WebAssembly) and load only when the TUI opens, with the chalk Ink styles with.
 */
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('..', import.meta.url));

export async function bundleCli(outdir: string, options: { sourcemap?: boolean } = {}): Promise<void> {
  // Chunk names carry a hash of their content: the last build's would stay beside the new ones.
  rmSync(join(outdir, 'chunks'), { recursive: true, force: true });
  await build({
    absWorkingDir: REPO,
    entryPoints: { cli: 'src/cli.ts' },
    outdir,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: options.sourcemap ?? false,
    // chalk with Ink: one instance, so the TUI's NO_COLOR (`chalk.level = 0`) reaches Ink's styles.
    external: ['better-sqlite3', 'pg-native', 'ink', 'chalk', 'react', 'react/*', 'react-devtools-core'],
    // The CommonJS packages bundled (pg, prom-client, commander …) call `require` for Node's
    // own modules, which an ES module does not have.
    banner: { js: "import { createRequire as __keywardRequire } from 'node:module';\nconst require = __keywardRequire(import.meta.url);" },
    logLevel: 'warning',
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outdir = process.argv[2];
  if (!outdir) throw new Error('usage: bundle-cli.ts OUTDIR');
  await bundleCli(outdir, { sourcemap: true });
}
