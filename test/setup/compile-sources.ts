/**
 * vitest global setup: compiles `src/` to plain JavaScript in `.test-build/` for the tests that
 * spawn keyward (test/helpers/cli.ts) or a service using it (test/helpers/service-process.ts).
 * The library is transpiled file by file with esbuild, as tsx and vitest do (the type check is
 * `npm run typecheck`'s job; TypeScript's own transpileModule took 2.4 s from a clean clone, in
 * front of every test), and only when its source changed since the last run; files are replaced by rename,
 * never half-written. The command line is then bundled over it exactly as `npm run build`
 * bundles `dist/cli.js` (scripts/bundle-cli.ts), so the processes tests spawn start as users' do.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { transformSync, version } from 'esbuild';
import { bundleCli } from '../../scripts/bundle-cli.js';
import { COMPILED_DIR, REPO } from '../helpers/cli.js';

const SOURCES = join(REPO, 'src');
const MANIFEST = join(COMPILED_DIR, '.sources.json');
/** tsconfig.json's: ES2022 class fields (define semantics, as `target` implies there) and React's JSX runtime. */
const OPTIONS = { target: 'es2022', format: 'esm', jsx: 'automatic', tsconfigRaw: { compilerOptions: { useDefineForClassFields: true } } } as const;
/** Changes when the compiler or its options do, so every file is compiled again. */
const SALT = `esbuild ${version} ${JSON.stringify(OPTIONS)}`;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

function writeAtomically(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}

export default async function compileSources(): Promise<void> {
  let previous: Record<string, string> = {};
  try {
    previous = JSON.parse(readFileSync(MANIFEST, 'utf8')) as Record<string, string>;
  } catch {
    // first run, or a manifest from an interrupted one: compile everything
  }
  const current: Record<string, string> = {};
  for (const file of sourceFiles(SOURCES)) {
    const name = relative(SOURCES, file);
    const text = readFileSync(file, 'utf8');
    const hash = createHash('sha256').update(SALT).update(text).digest('hex');
    current[name] = hash;
    const output = join(COMPILED_DIR, name.replace(/\.tsx?$/, '.js'));
    if (previous[name] === hash && existsSync(output)) continue;
    const { code } = transformSync(text, { ...OPTIONS, loader: file.endsWith('.tsx') ? 'tsx' : 'ts', sourcefile: file });
    writeAtomically(output, code);
  }
  // A source that is gone must not stay importable from the compiled tree.
  for (const name of Object.keys(previous)) {
    if (!(name in current)) rmSync(join(COMPILED_DIR, name.replace(/\.tsx?$/, '.js')), { force: true });
  }
  writeAtomically(MANIFEST, JSON.stringify(current));
  // The command line as `npm run build` makes it (one bundle, chunks beside it), over the file-by-file cli.js.
  await bundleCli(COMPILED_DIR);
}
