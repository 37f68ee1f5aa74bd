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
import { Chalk } from 'chalk';
import fc from 'fast-check';
import stringWidth from 'string-width';
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

/** The width function the patch puts into Ink's measure-text.js. */
type MeasureText = {
  default(text: string): { width: number; height: number };
  NARROW: RegExp;
  lineWidth(text: string): number;
  measuredTexts(): number;
};

/** Ink's measure-text.js, with what the patch adds to it. */
async function inkMeasureText(): Promise<MeasureText> {
  const index = createRequire(import.meta.url).resolve('ink');
  return (await import(pathToFileURL(join(dirname(index), 'measure-text.js')).href)) as MeasureText;
}

type StyledChar = { type: 'char'; value: string; fullWidth: boolean; styles: readonly unknown[] };

/** What the patch adds to Ink's output.js. */
type OutputModule = {
  styledCharsOf(line: string): StyledChar[];
  rowToString(chars: readonly StyledChar[]): string;
};

/** The tokenizer Ink ships with, which the patch's shortcuts must agree with. */
type Tokenizer = {
  tokenize(line: string): unknown[];
  styledCharsFromTokens(tokens: unknown[]): StyledChar[];
  styledCharsToString(chars: readonly StyledChar[]): string;
};

async function inkModules(): Promise<{ output: OutputModule; tokenizer: Tokenizer }> {
  const index = createRequire(import.meta.url).resolve('ink');
  const output = (await import(pathToFileURL(join(dirname(index), 'output.js')).href)) as OutputModule;
  // Ink's own dependency (hoisted beside it), not keyward's.
  const tokenizer = (await import('@alcalzone/ansi-tokenize')) as unknown as Tokenizer;
  return { output, tokenizer };
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

describe('the patched width of a line', () => {
  it('takes one column for each character it counts without string-width, as string-width does', async () => {
    const { NARROW } = await inkMeasureText();
    let narrow = 0;
    for (let code = 0; code <= 0xffff; code++) {
      const char = String.fromCharCode(code);
      if (!NARROW.test(char)) continue;
      narrow++;
      expect(stringWidth(char), `U+${code.toString(16)}`).toBe(1);
    }
    expect(narrow).toBeGreaterThan(95 + 128);
  });

  it('agrees with string-width on rows, colours, wide and zero-width text', async () => {
    const { lineWidth } = await inkMeasureText();
    const texts = [
      '› billing-0001  key_2SXJvhDjHV6WwdgkB1WV1b  active  kw_cFh9…1fHk  never  —',
      '\u001b[1m\u001b[36m› billing\u001b[39m\u001b[22m  kw_cFh9…1fHk',
      '╭──────╮ │ ✓ done · 3 keys ↓ │',
      '账单 kw_…',
      'e\u0301 and 🔑 and ⚠️',
      '\u001b]8;;https://example.com\u0007link\u001b]8;;\u0007 …',
      'zero\u200bwidth …',
    ];
    for (const text of texts) expect(lineWidth(text), JSON.stringify(text)).toBe(stringWidth(text));
  });
});

describe('the patched styled characters', () => {
  const chalk = new Chalk({ level: 3 });
  /** Pieces of a line: text keyward draws, colours as chalk and Ink write them, and what must go the shipped way. */
  const PIECES = [
    'billing-0001',
    ' ',
    'kw_cFh9…1fHk',
    '› ',
    '—',
    '▲ ▼ ↻ ✓ ✗ ● █ ▁▇ ─│╭╮',
    chalk.bold('name'),
    chalk.dim.cyan('kw_ab…cd'),
    chalk.inverse(`› ${chalk.green('active')} ${chalk.bold.dim('x')}`),
    chalk.rgb(1, 2, 3)('rgb'),
    chalk.bgAnsi256(208)('256'),
    '\u001b[1;31m',
    '\u001b[0m',
    '\u001b[m',
    '\u001b[;m',
    '\u001b[38;5;1m',
    '\u001b[39m',
    '\u001b[22m',
    '账单',
    'e\u0301',
    '🔑',
    '⚠️',
    '\u200b',
    '\u001b]8;;https://example.com\u0007link\u001b]8;;\u0007',
    '\u001b[',
    '\u009b1m',
    '\u001b[1',
    '\r',
  ];
  const line = fc.array(fc.constantFrom(...PIECES), { maxLength: 12 }).map((pieces) => pieces.join(''));

  it('reads every character the width patch counts as the shipped tokenizer does, alone and in colour', async () => {
    const { output, tokenizer } = await inkModules();
    const { NARROW } = await inkMeasureText();
    const shipped = (text: string) => tokenizer.styledCharsFromTokens(tokenizer.tokenize(text));
    for (let code = 0; code <= 0xffff; code++) {
      const char = String.fromCharCode(code);
      if (!NARROW.test(char)) continue;
      for (const text of [char, `\u001b[1m\u001b[36m${char}x${char}\u001b[39m\u001b[22m${char}`]) {
        expect(output.styledCharsOf(text), `U+${code.toString(16)}`).toEqual(shipped(text));
      }
    }
  });

  it('reads any line as the shipped tokenizer does, and writes any row back as it does', async () => {
    const { output, tokenizer } = await inkModules();
    const blank = (): StyledChar => ({ type: 'char', value: ' ', fullWidth: false, styles: [] });
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 3 }), fc.nat(4), (lines, gap) => {
        const read = lines.map((text) => output.styledCharsOf(text));
        lines.forEach((text, i) => expect(read[i]).toEqual(tokenizer.styledCharsFromTokens(tokenizer.tokenize(text))));
        // A row as Ink's grid holds it: blank cells, then the lines' characters side by side.
        const row = [...Array.from({ length: gap }, blank), ...read.flat(), blank()];
        expect(output.rowToString(row)).toBe(tokenizer.styledCharsToString(row));
      }),
      { numRuns: 2000 },
    );
  });

  it('gives a run of characters one styles array, and a frame the shipped text', async () => {
    const { output, tokenizer } = await inkModules();
    const text = chalk.inverse(`› ${chalk.bold('billing')} kw_ab…cd ${chalk.green('active')}`);
    const chars = output.styledCharsOf(text);
    expect(chars[1]!.styles).toBe(chars[0]!.styles);
    const Output = await inkOutput();
    const drawn = new Output({ width: 60, height: 2 });
    drawn.write(2, 1, text, { transformers: [] });
    const blanks = (n: number) => Array.from({ length: n }, (): StyledChar => ({ type: 'char', value: ' ', fullWidth: false, styles: [] }));
    const shippedChars = tokenizer.styledCharsFromTokens(tokenizer.tokenize(text));
    const expected = tokenizer.styledCharsToString([...blanks(2), ...shippedChars, ...blanks(60 - 2 - shippedChars.length)]).trimEnd();
    expect(drawn.get().output).toBe(`\n${expected}`);
  });
});

describe('the patched measureText', () => {
  it('keeps at most ten thousand texts, however many it has measured', async () => {
    const { default: measureText, measuredTexts } = await inkMeasureText();
    const texts = Array.from({ length: 25_000 }, (_, i) => `row ${i} kw_ab…cd`);
    expect(texts.filter((text) => measureText(text).width !== text.length)).toEqual([]);
    expect(measuredTexts()).toBeGreaterThan(0);
    expect(measuredTexts()).toBeLessThanOrEqual(10_000);
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
