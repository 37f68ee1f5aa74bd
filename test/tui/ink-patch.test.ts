/**
 * Ink's rendering caches (scripts/patch-ink.mjs): the installed Ink carries them, they keep a
 * line's tokenized form from one frame to the next and no further, and the patch applies to
 * Ink as shipped, once, and leaves anything else alone.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { INK_CHANGES, INK_VERSION, inkPatched, ownInk, patchInk } from '../../scripts/patch-ink.mjs';

type StyledChars = readonly unknown[];
type Output = {
  caches: { getStyledChars(line: string): StyledChars };
  write(x: number, y: number, text: string, options: { transformers: [] }): void;
  get(): { output: string };
};
type OutputClass = new (size: { width: number; height: number }) => Output;

/** Ink's own Output class, the module instance its renderer uses. */
async function inkOutput(): Promise<OutputClass> {
  const index = createRequire(import.meta.url).resolve('ink');
  const module = (await import(pathToFileURL(join(dirname(index), 'output.js')).href)) as { default: OutputClass };
  return module.default;
}

/** One frame showing `lines`, as Ink's renderer makes it. */
function frame(Output: OutputClass, lines: readonly string[]): Output {
  const output = new Output({ width: 20, height: lines.length });
  lines.forEach((line, y) => output.write(0, y, line, { transformers: [] }));
  output.get();
  return output;
}

describe('the installed Ink', () => {
  it('carries the rendering caches', () => {
    const ink = ownInk();
    expect(ink?.version).toBe(INK_VERSION);
    expect(inkPatched(ink!.build)).toBe(true);
  });

  it('tokenizes a line drawn in two frames in a row once, and forgets it two frames later', async () => {
    const Output = await inkOutput();
    const first = frame(Output, ['› key-0001 active', '  key-0002 active']);
    const kept = first.caches.getStyledChars('  key-0002 active');
    const second = frame(Output, ['  key-0001 active', '  key-0002 active']);
    expect(second.caches.getStyledChars('  key-0002 active')).toBe(kept);
    frame(Output, ['something else']);
    const fourth = frame(Output, ['  key-0002 active']);
    expect(fourth.caches.getStyledChars('  key-0002 active')).not.toBe(kept);
    expect(fourth.caches.getStyledChars('  key-0002 active')).toEqual(kept);
  });
});

describe('patchInk', () => {
  const roots: string[] = [];
  afterEach(() => {
    for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  });

  /** A package root whose node_modules/ink holds `files` under build/ at `version`. */
  function packageWith(version: string, files: Record<string, string>): string {
    const root = mkdtempSync(join(tmpdir(), 'keyward-ink-'));
    roots.push(root);
    const build = join(root, 'node_modules', 'ink', 'build');
    mkdirSync(build, { recursive: true });
    writeFileSync(join(root, 'node_modules', 'ink', 'package.json'), JSON.stringify({ name: 'ink', version }));
    for (const [file, text] of Object.entries(files)) writeFileSync(join(build, file), text);
    return root;
  }

  /** Ink's two files as shipped: the texts the patch replaces, among other lines. */
  function shipped(): Record<string, string> {
    const files: Record<string, string> = {};
    for (const { file, before } of INK_CHANGES) files[file] = `${files[file] ?? '// before\n'}${before}\n// between\n`;
    return files;
  }

  const read = (root: string, file: string) => readFileSync(join(root, 'node_modules', 'ink', 'build', file), 'utf8');

  it('applies every change to Ink as shipped, and a second run changes nothing', () => {
    const root = packageWith(INK_VERSION, shipped());
    expect(patchInk(root)).toBeUndefined();
    const build = ownInk(root)!.build;
    expect(inkPatched(build)).toBe(true);
    const once = INK_CHANGES.map(({ file }) => read(root, file));
    expect(patchInk(root)).toBeUndefined();
    expect(INK_CHANGES.map(({ file }) => read(root, file))).toEqual(once);
    expect(read(root, 'output.js')).toContain('// before');
  });

  it('leaves another version of Ink alone, and says so', () => {
    const root = packageWith('7.0.0', shipped());
    expect(patchInk(root)).toMatch(/Ink 7\.0\.0 is installed/);
    expect(read(root, 'output.js')).toBe(shipped()['output.js']);
  });

  it('writes nothing when one file does not read as shipped', () => {
    const files = shipped();
    files['render-node-to-output.js'] = '// rewritten by someone else\n';
    const root = packageWith(INK_VERSION, files);
    expect(patchInk(root)).toMatch(/render-node-to-output\.js does not read as Ink/);
    expect(read(root, 'output.js')).toBe(files['output.js']);
  });

  it('does nothing where Ink is not its own (hoisted into a service)', () => {
    const root = mkdtempSync(join(tmpdir(), 'keyward-ink-'));
    roots.push(root);
    expect(patchInk(root)).toBeUndefined();
  });
});
