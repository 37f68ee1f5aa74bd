/**
 * What Ink 6.8 lacks, put into keyward's own copy of Ink after `npm install`/`npm ci` (the
 * `postinstall` script). Ink redraws the whole screen on every frame, and per frame it
 * - measured every text node again with `widest-line` (string-width: strip ANSI, then a grapheme
 *   segmenter for any line that is not plain ASCII), although its `measureText` keeps that
 *   width for the layout already;
 * - tokenized every line it writes into per-character objects, with caches that lived for one
 *   frame only;
 * - sent every line holding a `…` or a `›` (every row of the key table) through string-width's
 *   grapheme segmenter (`LINE_WIDTH` below);
 * - tokenized every new line through a grapheme segmenter into characters each with its own copy
 *   of the styles, and wrote each row back by diffing the styles of every pair of neighbours
 *   (`STYLED_CHARS` below: ~15 ms of a 27 ms PgDn at 10,000 keys);
 * and `measureText` kept every text it ever measured, for as long as the TUI stays open.
 * Moving the cursor one row changes two lines of forty, so nearly all of that work repeated the
 * frame before. Patched, a `j` in the TUI benchmark fell from 28 ms to 11 ms (36 → 20 ms of
 * CPU) on the same box (docs/performance.md). Ink 8 still does both; the change is small
 * enough to offer upstream.
 *
 * The caches keep two frames: each frame's caches read through to the frame before's, so a
 * line drawn in both is tokenized once and memory stays bounded by what two frames show.
 * Behaviour is unchanged: the cached values are what the calls would compute again.
 *
 * Only the Ink inside this package's own `node_modules` is touched (a clone, or
 * `npm install -g keyward`): installed into a service for its middleware, keyward leaves the
 * service's Ink alone (the middleware never draws). A different Ink version, or files that no
 * longer read as expected, are left as they are with one line on stderr: the TUI works the
 * same, only slower. An install never fails over this. `test/tui/ink-patch.test.ts` fails when
 * the patch is not in place, so an Ink upgrade that drops it does not go unnoticed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const INK_VERSION = '6.8.0';

const OUTPUT_CACHES_BEFORE = `class OutputCaches {
    widths = new Map();
    blockWidths = new Map();
    styledChars = new Map();
    getStyledChars(line) {
        let cached = this.styledChars.get(line);
        if (cached === undefined) {
            cached = styledCharsFromTokens(tokenize(line));
            this.styledChars.set(line, cached);
        }
        return cached;
    }
    getStringWidth(text) {
        let cached = this.widths.get(text);
        if (cached === undefined) {
            cached = stringWidth(text);
            this.widths.set(text, cached);
        }
        return cached;
    }
`;

/**
 * Styled characters and rows with less work, for lines of the characters `NARROW` counts (the
 * width patch below) and colours. Ink's tokenizer runs a grapheme segmenter over every line and
 * gives each character its own copy of the styles in force; turning a row back into text then
 * diffed the styles of each pair of neighbours (three Sets a character), and every frame began
 * with a fresh grid of blank cells, each with its own empty styles array. At 10,000 keys that
 * was ~15 ms of a 27 ms PgDn (docs/tui.md). Here such a line is read one UTF-16 unit a
 * character (each is a whole grapheme and one column: `test/tui/ink-patch.test.ts` holds every
 * one to the tokenizer's answer), a run of characters shares one styles array, neighbours with
 * the same codes skip the diff (it is empty for them), and the blank cell is one frozen object.
 * Any other line — wide or combining characters, links, other escapes — goes the shipped way.
 */
const STYLED_CHARS = `// keyward: styled characters and rows with less work (scripts/patch-ink.mjs).
const sgrTokens = new Map();
const tokensOf = (sequence) => {
    let tokens = sgrTokens.get(sequence);
    if (tokens === undefined) {
        tokens = tokenize(sequence);
        if (sgrTokens.size < 1000) sgrTokens.set(sequence, tokens);
    }
    return tokens;
};
export const styledCharsOf = (line) => {
    if (!NARROW.test(line.includes('\\x1b') ? line.replace(SGR, '') : line)) return styledCharsFromTokens(tokenize(line));
    const chars = [];
    let styles = [];
    for (let i = 0; i < line.length; i++) {
        if (line.charCodeAt(i) === 27) {
            const end = line.indexOf('m', i);
            styles = reduceAnsiCodesIncremental(styles, tokensOf(line.slice(i, end + 1)));
            i = end;
        } else {
            chars.push({ type: 'char', value: line[i], fullWidth: false, styles });
        }
    }
    return chars;
};
const sameCodes = (a, b) => {
    if (a === b) return true;
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
};
export const rowToString = (chars) => {
    let ret = '';
    for (let i = 0; i < chars.length; i++) {
        const char = chars[i];
        if (i === 0) ret += ansiCodesToString(char.styles);
        else if (!sameCodes(chars[i - 1].styles, char.styles)) ret += ansiCodesToString(diffAnsiCodes(chars[i - 1].styles, char.styles));
        ret += char.value;
    }
    if (chars.length > 0) ret += ansiCodesToString(diffAnsiCodes(chars[chars.length - 1].styles, []));
    return ret;
};
const BLANK = Object.freeze({ type: 'char', value: ' ', fullWidth: false, styles: Object.freeze([]) });
`;

const OUTPUT_CACHES_AFTER = `${STYLED_CHARS}
// keyward: the caches read through to the frame before's (scripts/patch-ink.mjs).
let lastCaches;
class OutputCaches {
    widths = new Map();
    blockWidths = new Map();
    styledChars = new Map();
    constructor() {
        this.previous = lastCaches;
        if (lastCaches) lastCaches.previous = undefined;
        lastCaches = this;
    }
    getStyledChars(line) {
        let cached = this.styledChars.get(line);
        if (cached === undefined) {
            cached = this.previous?.styledChars.get(line) ?? styledCharsOf(line);
            this.styledChars.set(line, cached);
        }
        return cached;
    }
    getStringWidth(text) {
        let cached = this.widths.get(text);
        if (cached === undefined) {
            cached = this.previous?.widths.get(text) ?? lineWidth(text);
            this.widths.set(text, cached);
        }
        return cached;
    }
`;

/**
 * A width without string-width's grapheme segmenter for text that does not need it. Every row
 * of the key table holds a `…` (the hint) and the selected one a `›`, which took string-width
 * off its ASCII path: ~200 µs for a 120-column row, ~7 ms a frame of new rows. Printable ASCII
 * and the symbols keyward draws (box drawing included), ANSI colours aside, take one column a
 * character as string-width counts them (`test/tui/ink-patch.test.ts` holds each to it);
 * anything else still goes to string-width.
 */
const LINE_WIDTH = `// keyward: one column a character for ASCII and the symbols keyward draws (scripts/patch-ink.mjs).
export const SGR = /\\x1b\\[[0-9;]*m/g;
export const NARROW = /^[\\x20-\\x7e·…⏎→›✓—✗×▲▼↻●█↓↑–○▁-▇\\u2500-\\u257f]*$/;
export const lineWidth = (text) => {
    const plain = text.includes('\\x1b') ? text.replace(SGR, '') : text;
    return NARROW.test(plain) ? plain.length : stringWidth(text);
};
const widestLine = (text) => Math.max(0, ...text.split('\\n').map(lineWidth));
/** Texts measured and kept; a screen shows a few hundred, so this holds many screens' worth. */
const MEASURED_MAX = 10_000;
export const measuredTexts = () => cache.size;
`;

/** Each change: the file under Ink's `build/`, the text Ink ships, and what replaces it. */
export const INK_CHANGES = [
  { file: 'output.js', before: OUTPUT_CACHES_BEFORE, after: OUTPUT_CACHES_AFTER },
  {
    file: 'measure-text.js',
    before: `import widestLine from 'widest-line';\n`,
    after: `import stringWidth from 'string-width';\n${LINE_WIDTH}`,
  },
  {
    file: 'measure-text.js',
    before: `    cache.set(text, dimensions);\n`,
    after: `    // keyward: bounded; it kept every text ever measured, for as long as the TUI stays open (scripts/patch-ink.mjs).
    if (cache.size >= MEASURED_MAX) cache.clear();
    cache.set(text, dimensions);
`,
  },
  {
    file: 'output.js',
    before: `import stringWidth from 'string-width';\n`,
    after: `import stringWidth from 'string-width';\nimport { lineWidth, NARROW, SGR } from './measure-text.js'; // keyward: scripts/patch-ink.mjs\n`,
  },
  {
    file: 'output.js',
    before: `import { styledCharsFromTokens, styledCharsToString, tokenize, } from '@alcalzone/ansi-tokenize';\n`,
    after: `import { ansiCodesToString, diffAnsiCodes, reduceAnsiCodesIncremental, styledCharsFromTokens, tokenize, } from '@alcalzone/ansi-tokenize'; // keyward: scripts/patch-ink.mjs\n`,
  },
  {
    file: 'output.js',
    before: `                row.push({
                    type: 'char',
                    value: ' ',
                    fullWidth: false,
                    styles: [],
                });
`,
    after: `                row.push(BLANK); // keyward: one shared blank cell (scripts/patch-ink.mjs)\n`,
  },
  {
    file: 'output.js',
    before: `return styledCharsToString(lineWithoutEmptyItems).trimEnd();`,
    after: `return rowToString(lineWithoutEmptyItems).trimEnd(); // keyward: scripts/patch-ink.mjs`,
  },
  {
    file: 'render-node-to-output.js',
    before: `import widestLine from 'widest-line';\n`,
    after: `import widestLine from 'widest-line';\nimport measureText from './measure-text.js'; // keyward: scripts/patch-ink.mjs\n`,
  },
  {
    file: 'render-node-to-output.js',
    before: `const currentWidth = widestLine(text);`,
    after: `const currentWidth = measureText(text).width;`,
  },
];

const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Ink's `build/` directory inside this package, and its version. */
export function ownInk(root = PACKAGE_ROOT) {
  const dir = join(root, 'node_modules', 'ink');
  try {
    const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    return { build: join(dir, 'build'), version };
  } catch {
    return undefined;
  }
}

/** Whether every change is in place in `build`. */
export function inkPatched(build) {
  return INK_CHANGES.every(({ file, after }) => readFileSync(join(build, file), 'utf8').includes(after));
}

/** Applies the changes not yet in place; returns why it did not, or undefined once all are in. */
export function patchInk(root = PACKAGE_ROOT) {
  const ink = ownInk(root);
  if (!ink) return undefined; // Ink is not ours to patch (hoisted into a service's node_modules)
  if (ink.version !== INK_VERSION) return `Ink ${ink.version} is installed; the rendering patch is for ${INK_VERSION}`;
  const files = new Map();
  for (const { file, before, after } of INK_CHANGES) {
    const text = files.get(file) ?? readFileSync(join(ink.build, file), 'utf8');
    if (text.includes(after)) {
      files.set(file, text);
      continue;
    }
    if (!text.includes(before)) return `ink/build/${file} does not read as Ink ${INK_VERSION} ships it`;
    files.set(file, text.replace(before, after));
  }
  for (const [file, text] of files) writeFileSync(join(ink.build, file), text);
  return undefined;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const problem = patchInk();
  if (problem) process.stderr.write(`keyward: Ink's rendering caches were not added (${problem}); the TUI works, only slower\n`);
}
